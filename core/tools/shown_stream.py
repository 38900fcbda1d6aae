"""A stream's masks as the OBS filter shows them, for `backdrop process` and `backdrop eval`: made for
every K-th frame, arriving N frames late, the video matched to them or not, and carried forward by
motion to the frames between (core/mask_timeline.py says which mask each frame gets, core/motion.py
carries it, with the flows the filter computes)."""

from __future__ import annotations

import cv2
import numpy as np

from ..geometry import FULL
from ..mask_timeline import MAX_RING, Shown, ShownMasks
from ..motion import MotionField, carry, grey_thumbnail


class ShownStream:
    def __init__(self, lag: int = 0, match_video: bool = True, every: int = 1, motion: bool = True) -> None:
        self.every, self.span = every, lag + every + MAX_RING  # frames a mask may still be shown after its own
        self.shown = ShownMasks(lag, match_video, every, motion)
        self.masks: dict[int, np.ndarray] = {}  # the masks made lately, by frame
        self.field = MotionField(keep=self.span + 1) if motion and every > 1 else None
        self._carried: tuple[int, int, np.ndarray] | None = None  # (source, frame, mask): the last carried

    def wants_mask(self, index: int) -> bool:
        """Whether the filter makes a mask for frame `index`."""
        return index % self.every == 0

    def next(self, index: int, rgb: np.ndarray, mask: np.ndarray | None) -> np.ndarray | None:
        """Frame `index` (frames in order, from 0) with its mask when one was made (`wants_mask`) ->
        the mask it is shown with, at the frame's size (None: no mask yet, the video passes through)."""
        if mask is not None:
            self.masks[index] = mask
        self.masks.pop(index - self.span, None)
        if self.field is not None:
            self.field.add(index, grey_thumbnail(rgb))
        shown = self.shown[index]
        if shown is None:
            return None
        return _fit(self._carry(shown), rgb)

    def _carry(self, shown: Shown) -> np.ndarray:
        """The mask made from frame `shown.source`, carried to frame `shown.frame_id`."""
        if shown.frame_id == shown.source:
            return self.masks[shown.source]
        last = self._carried
        if last is not None and last[0] == shown.source and last[1] <= shown.frame_id:
            start, planes = last[1], last[2]  # each frame carries the last one a step further
        else:
            start, planes = shown.source, self.masks[shown.source]
        assert self.field is not None  # masks are carried to other frames only with motion on
        path = self.field.path(start, shown.frame_id)
        if path is None:  # the frames changed size on the way: nothing to carry, as in the filter
            return self.masks[shown.source]
        planes = carry(planes, FULL, path)
        self._carried = (shown.source, shown.frame_id, planes)
        return planes


def _fit(mask: np.ndarray, rgb: np.ndarray) -> np.ndarray:
    """A mask made on a frame of another size (a folder of pictures of different sizes) stretched over
    this one, as the filter's mask, in frame-relative coordinates, covers a frame of any size."""
    h, w = rgb.shape[:2]
    return mask if mask.shape[:2] == (h, w) else cv2.resize(mask, (w, h), interpolation=cv2.INTER_LINEAR)
