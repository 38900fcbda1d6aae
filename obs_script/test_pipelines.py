"""Mask sources for tests and benchmarks, selected by the hidden `debug_mask` setting and kept out
of the product's path: the engine imports this module only when that setting is set.

"luma" = bright pixels are the person, "opaque" = everything, "split" = the right half: they
exercise the whole readback -> runner -> upload path with masks whose right answer is known
exactly. "bare" = the model session alone on the worker thread, no tracking, smoothing or
refinement, to measure what the mask path costs on top of inference.
"""

from __future__ import annotations

import time

import numpy as np

from ..core.frame_plan import FramePlan
from ..core.pipeline import MaskResult
from ..core.postprocess import to_u8
from ..core.test_hooks import FAULTS


class TestPatternPipeline:
    model_size = (256, 256)

    def __init__(self, kind: str) -> None:
        self.kind = kind

    tracking = False

    def configure(self, options) -> None:
        pass

    def reset(self) -> None:
        pass

    def describe(self) -> str:
        return f"test pattern ({self.kind})"

    def plan(self, width: int, height: int) -> FramePlan:
        return FramePlan.whole(width, height, f"test pattern {self.kind}", self.model_size)

    def run_plan(self, images, frame_id: int, plan: FramePlan) -> MaskResult:
        small_rgb = images[0]
        t0 = time.perf_counter()
        if FAULTS.delay_ms:
            time.sleep(FAULTS.delay_ms / 1000.0)
        if self.kind == "luma":
            mask = np.where(small_rgb.max(axis=2) > 127, 255, 0).astype(np.uint8)
        else:
            mask = np.full(small_rgb.shape[:2], 255, np.uint8)
            if self.kind == "split":
                mask[:, : mask.shape[1] // 2] = 0
        coeffs = np.zeros(mask.shape + (2,), np.float32)
        return MaskResult(frame_id, mask, coeffs, (time.perf_counter() - t0) * 1e3, 0.0)


class BarePipeline:
    def __init__(self, segmenter) -> None:
        self.segmenter = segmenter

    tracking = False

    def configure(self, options) -> None:
        pass

    def reset(self) -> None:
        pass

    def describe(self) -> str:
        return f"bare session ({self.segmenter.session.describe()})"

    def plan(self, width: int, height: int) -> FramePlan:
        return FramePlan.whole(width, height, self.segmenter.card.name, self.segmenter.model_size)

    def run_plan(self, images, frame_id: int, plan: FramePlan) -> MaskResult:
        t0 = time.perf_counter()
        prob = self.segmenter.infer_small(images[0])
        return MaskResult(frame_id, to_u8(prob), None, (time.perf_counter() - t0) * 1e3, 0.0)


def build(kind: str, model: str, provider: str, threads: int):
    """The pipeline for a debug_mask value."""
    if kind == "bare":
        from ..core.segmenter import Segmenter

        return BarePipeline(Segmenter(model, provider, threads))
    return TestPatternPipeline(kind)
