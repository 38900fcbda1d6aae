"""A stream's masks as the OBS filter shows them, for `backdrop process` and `backdrop eval`: made for
every K-th frame, arriving N frames late, the video matched to them or not, and carried forward by
motion to the frames between (core/mask_timeline.py says which mask each frame gets, core/motion.py's
`MaskCarrier`, the filter's own, carries it)."""

from __future__ import annotations

import dataclasses

import cv2
import numpy as np

from ..framer import PeopleHook
from ..mask_source import MaskResult
from ..mask_timeline import MAX_RING, Shown, ShownMasks
from ..motion import MaskCarrier, grey_thumbnail
from ..ready_mask import ReadyMask


class ShownStream:
    def __init__(self, lag: int = 0, match_video: bool = True, every: int = 1, motion: bool = True,
                 post_mask: PeopleHook | None = None) -> None:
        self.post_mask = post_mask  # as the filter's mask worker's (core/runner.py): auto-frame's people
        self.every, self.span = every, lag + every + MAX_RING  # frames a mask may still be shown after its own
        self.shown = ShownMasks(lag, match_video, every, motion)
        self.masks: dict[int, ReadyMask] = {}  # the masks made lately (at the frame's size), by frame
        self.carrier = MaskCarrier(keep=self.span + 1) if motion and every > 1 else None

    def wants_mask(self, index: int) -> bool:
        """Whether the filter makes a mask for frame `index`."""
        return index % self.every == 0

    def next(self, index: int, rgb: np.ndarray, mask: np.ndarray | None) -> ReadyMask | None:
        """Frame `index` (frames in order, from 0) with its mask at its size when one was made
        (`wants_mask`) -> the mask it is shown with, at the frame's size over the whole frame (None: no
        mask yet, the video passes through)."""
        h, w = rgb.shape[:2]
        if mask is not None:
            made = MaskResult(index, mask, None, 0.0, 0.0)
            self.masks[index] = ReadyMask(made, index, None if self.post_mask is None else self.post_mask(made, (w, h)))
        self.masks.pop(index - self.span, None)
        if self.carrier is not None:
            self.carrier.add_thumbnail(index, grey_thumbnail(rgb))
        shown = self.shown[index]
        if shown is None:
            return None
        ready = self._carry(shown)
        if ready.result.mask.shape[:2] == (h, w):
            return ready
        return dataclasses.replace(ready, result=dataclasses.replace(ready.result, mask=_fit(ready.result.mask, rgb)))

    def _carry(self, shown: Shown) -> ReadyMask:
        """The mask made from frame `shown.source`, carried to frame `shown.frame_id`."""
        made = self.masks[shown.source]
        if shown.frame_id == shown.source:
            return made
        assert self.carrier is not None  # masks are carried to other frames only with motion on
        # None: the frames changed size on the way, nothing to carry, as in the filter
        return self.carrier.carry(made, shown.frame_id) or made


def _fit(mask: np.ndarray, rgb: np.ndarray) -> np.ndarray:
    """A mask made on a frame of another size (a folder of pictures of different sizes) stretched over
    this one, as the filter's mask, in frame-relative coordinates, covers a frame of any size."""
    h, w = rgb.shape[:2]
    return cv2.resize(mask, (w, h), interpolation=cv2.INTER_LINEAR)
