"""The one place that knows which mask pipelines exist and what each is made of.

A model name from the registry (core/model_registry.py) is a segmentation model with the selfie pipeline's
mask path (core/selfie.py); the names below are pipelines of several models. Everything else (the OBS
filter's engine, the CLI, the benchmarks) asks `make_pipeline` and drives the result, a `MaskStream`
(core/stream.py), through the `MaskSource` contract (core/mask_source.py) alone. A plug-in (the test
harness's) may `register` more.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .model_registry import DEFAULT_MODEL

if TYPE_CHECKING:  # the table itself imports no model code: the OBS dialog lists it without numpy or cv2
    from .mask_source import MaskOptions, MaskSource
    from .stream import MaskStream


@dataclass(frozen=True)
class PipelineKind:
    description: str
    build: Callable[[str, int, MaskOptions, int], MaskSource]  # (provider, threads, options, lag)
    parts: tuple[str, ...] = ()  # the pipelines it is made of, benchmarked beside it
    in_obs: bool = True  # offered in the OBS filter's model list


def _pose(provider: str, threads: int, options: MaskOptions, lag: int) -> MaskSource:
    from .pose import PosePipeline
    from .stream import MaskStream

    pose = PosePipeline(provider, threads, lag)
    # Alone (the command line only), the pose's whole-frame masks are MediaPipe's graph's, not its plan's:
    # eval's pose figures stay comparable to MediaPipe's (the plan's path masks a detecting frame only
    # from the next frame on).
    return MaskStream(pose, cpu_mask=pose.graph_mask)


def _full_body(provider: str, threads: int, options: MaskOptions, lag: int) -> MaskSource:
    from .full_body import FullBodyPipeline
    from .segmenter import Segmenter

    return FullBodyPipeline(Segmenter(DEFAULT_MODEL, provider, threads), options, provider, threads, lag)


PIPELINES: dict[str, PipelineKind] = {
    # The OBS filter does not offer the pose alone: it follows one person and drops everyone else.
    "pose": PipelineKind("MediaPipe Pose (BlazePose full): one person, whole body; detector + landmarks + "
                         "segmentation", _pose, in_obs=False),
    "full_body": PipelineKind(f"{DEFAULT_MODEL} (everyone, tracked) fused with the pose while a full body is in "
                              "view", _full_body, parts=(DEFAULT_MODEL, "pose")),
}


def register(name: str, kind: PipelineKind) -> None:
    """Add a pipeline under `name` (a plug-in's: e.g. the test harness's test patterns)."""
    PIPELINES[name] = kind


def obs_pipelines() -> list[str]:
    return [name for name, kind in PIPELINES.items() if kind.in_obs]


def make_pipeline(model: str, provider: str = "auto", threads: int = 2, options: MaskOptions | None = None,
                  lag: int = 0) -> MaskStream:
    """The mask pipeline for a model or pipeline name, as one stream. `lag`: a pose's crop lag in
    frames (the CLI's measure of what a GPU pipeline costs)."""
    from .mask_source import MaskOptions
    from .segmenter import Segmenter
    from .selfie import SelfiePipeline
    from .stream import MaskStream

    options = options or MaskOptions()
    kind = PIPELINES.get(model)
    source = kind.build(provider, threads, options, lag) if kind is not None else \
        SelfiePipeline(Segmenter(model, provider, threads), options)
    return source if isinstance(source, MaskStream) else MaskStream(source)
