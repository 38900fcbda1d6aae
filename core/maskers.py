"""What `backdrop process/eval/bench` run per frame: a segmentation model with Backdrop's mask path,
or a pipeline (code naming its models, not a card): "pose" is BlazePose (core/pose.py)."""

from __future__ import annotations

import numpy as np

from .pipeline import MaskOptions, MaskPipeline
from .postprocess import to_u8
from .segmenter import Segmenter

PIPELINES = {
    "pose": "MediaPipe Pose (BlazePose full): one person, whole body; detector + landmarks + segmentation",
    "full_body": "selfie_general (everyone, tracked) fused with the pose while a full body is in view",
}


class SelfieMasker:
    def __init__(self, model: str, provider: str, threads: int, options: MaskOptions) -> None:
        self.pipeline = MaskPipeline(Segmenter(model, provider, threads), options)

    def reset(self) -> None:
        self.pipeline.reset()

    def mask(self, rgb: np.ndarray, frame_id: int = 0) -> np.ndarray:
        """uint8 refined mask q at the frame's size (255 = person)."""
        return self.pipeline.full_mask(self.pipeline.run(rgb, frame_id), rgb)

    def describe(self) -> str:
        return self.pipeline.segmenter.session.describe()


class PoseMasker:
    def __init__(self, provider: str, threads: int, lag: int = 0) -> None:
        from .pose import PosePipeline

        self.lag = lag
        self.pipeline = PosePipeline(provider, threads, lag=lag)

    def reset(self) -> None:
        self.pipeline.reset()

    def mask(self, rgb: np.ndarray, frame_id: int = 0) -> np.ndarray:
        return to_u8(self.pipeline.process(rgb).mask)

    def describe(self) -> str:
        return f"pose pipeline ({self.pipeline.landmarks.describe()}; lag {self.lag})"


class FullBodyMasker(SelfieMasker):
    def __init__(self, provider: str, threads: int, options: MaskOptions, lag: int = 0) -> None:
        from .full_body import FullBodyPipeline

        self.pipeline = FullBodyPipeline(Segmenter("selfie_general", provider, threads), options, provider,
                                         threads, lag)

    def describe(self) -> str:
        return f"full_body ({self.pipeline.segmenter.session.describe()} + pose; lag {self.pipeline.pose.lag})"


def make_masker(model: str, provider: str = "auto", threads: int = 2, options: MaskOptions | None = None,
                lag: int = 0):
    """The per-frame mask source for a model name, or for a pipeline name (PIPELINES)."""
    if model == "pose":
        return PoseMasker(provider, threads, lag)
    if model == "full_body":
        return FullBodyMasker(provider, threads, options or MaskOptions(), lag)
    return SelfieMasker(model, provider, threads, options or MaskOptions())
