"""One video stream through a mask pipeline, and the one rule for "the stream restarted".

A pipeline's history (temporal filters, where the people are, the pose's region) belongs to one
picture: when the frame size changes, or someone says so (`reset`: a still between unrelated
photos, a cut), all of it goes, in every part of the pipeline at once. `MaskStream` decides that
here, for every pipeline (make_pipeline wraps each in one), on the thread that owns the state: the
OBS filter's mask worker in `run_plan`, the CPU path in `frame_mask` before it plans. The first plan
the OBS render thread makes at a new size may still come from the old history; its crops are in
normalised frame coordinates, so it is a valid plan, run on a pipeline already reset.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from . import cpu_frame
from .mask_source import FramePlan, MaskOptions, MaskResult, MaskSource


class MaskStream:
    """A MaskSource (the contract's, for the OBS filter) that also makes whole-frame masks on the CPU.

    `cpu_mask`: a pipeline's own whole-frame path for the CPU instead of its plan's, for the pose
    alone (not offered in OBS): MediaPipe's graph, which detects and tracks on the same frame."""

    def __init__(self, source: MaskSource, cpu_mask: Callable[[np.ndarray], np.ndarray] | None = None) -> None:
        self.source = source
        self._cpu_mask = cpu_mask
        self._size: tuple[int, int] | None = None  # the frame size the pipeline's history is about

    def _frame(self, size: tuple[int, int]) -> None:
        """The rule: a frame of another size than the last restarts the stream."""
        if self._size is not None and self._size != size:
            self.source.reset()
        self._size = size

    @property
    def tracking(self) -> bool:
        return self.source.tracking

    def plan(self, width: int, height: int) -> FramePlan:
        return self.source.plan(width, height)

    def run_plan(self, images: tuple[np.ndarray, ...], frame_id: int, plan: FramePlan) -> MaskResult:
        self._frame(plan.frame_size)
        return self.source.run_plan(images, frame_id, plan)

    def frame_mask(self, frame_rgb: np.ndarray, frame_id: int = 0) -> np.ndarray:
        """A whole frame (uint8 RGB) -> its mask at the frame's size, 255 = person: what OBS shows
        (core/cpu_frame.py)."""
        h, w = frame_rgb.shape[:2]
        self._frame((w, h))
        if self._cpu_mask is not None:
            return self._cpu_mask(frame_rgb)
        return cpu_frame.frame_mask(self.source, frame_rgb, frame_id)

    def configure(self, options: MaskOptions) -> None:
        self.source.configure(options)

    def reset(self) -> None:
        """Restart the stream (a cut to an unrelated picture)."""
        self.source.reset()
        self._size = None

    def describe(self) -> str:
        return self.source.describe()
