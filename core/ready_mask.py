"""A mask ready to show: the pipeline's output for a frame, where it came from, and what the mask
worker found in it. The pipeline's `MaskResult` (core/mask_source.py) stays the pipeline's alone;
the runner (core/runner.py) and the motion carrier (core/motion.py) add their part here."""

from __future__ import annotations

from dataclasses import dataclass

from .geometry import Rect
from .mask_source import MaskResult


@dataclass(frozen=True)
class ReadyMask:
    result: MaskResult  # for frame result.frame_id: made there, or carried there by motion
    source: int  # the frame the model made it from
    people: tuple[Rect, ...] | None = None  # auto-frame: each person's framed box in frame pixels; None: off

    @property
    def frame_id(self) -> int:
        """The frame the mask fits."""
        return self.result.frame_id

    @property
    def carried(self) -> bool:
        """Carried forward by motion from an older frame's mask."""
        return self.source != self.result.frame_id
