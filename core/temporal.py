"""Temporal smoothing of the model-resolution mask: kills flicker on still regions, not on moving edges.

Motion-adaptive exponential smoothing, per pixel:
    m_t = m_{t-1} + a * (p_t - m_{t-1}),   a = a_still + (1 - a_still) * motion
where p_t is the model's new probability and `motion` in [0, 1] is how much the *picture* changed
at that pixel since the last frame (|grey_t - grey_{t-1}| / MOTION_FULL). Where the picture is still,
the model's frame-to-frame wobble is averaged away; where it moves, the new mask is taken as is, so
moving edges do not lag. `strength` 0 turns it off; 1 is the heaviest smoothing.
"""

from __future__ import annotations

import cv2
import numpy as np

MOTION_FULL = 24.0  # grey-level change (0..255) that counts as full motion
MAX_STILL_WEIGHT = 0.85  # strength 1 keeps 85% of the old mask per frame on still pixels


class TemporalFilter:
    def __init__(self, strength: float = 0.5) -> None:
        self.strength = float(np.clip(strength, 0.0, 1.0))
        self._mask: np.ndarray | None = None
        self._grey: np.ndarray | None = None
        # a per grey-level change (an integer 0..255): the formula above, looked up in one pass
        a_still = 1.0 - MAX_STILL_WEIGHT * self.strength
        self._a = np.minimum(np.arange(256, dtype=np.float32) * ((1.0 - a_still) / MOTION_FULL) + a_still,
                             1.0).astype(np.float32)

    def reset(self) -> None:
        self._mask = self._grey = None

    def __call__(self, prob: np.ndarray, small_rgb: np.ndarray, warp: np.ndarray | None = None) -> np.ndarray:
        """float32 P(person) and the uint8 RGB it came from (both at model size) -> smoothed mask.

        `warp` (2x3 affine, previous mask pixel -> this mask pixel) realigns the history when the
        crop moved (person tracking); pixels the previous mask did not cover take the new value.
        """
        grey = cv2.cvtColor(small_rgb, cv2.COLOR_RGB2GRAY)
        prev_mask, prev_grey = self._mask, self._grey
        self._grey = grey
        if self.strength <= 0.0 or prev_mask is None or prev_grey is None:  # (set together)
            self._mask = prob.astype(np.float32, copy=True)
            return self._mask
        h, w = prob.shape
        motion_floor = None
        if warp is not None:
            # Where the previous mask did not cover, motion_floor is 255 (partly: in between), so the new
            # value is taken there and whatever the constant border put into the history does not count.
            # (A constant border: replicating costs half as much again, for pixels that are not used.)
            prev_shape = prev_mask.shape
            prev_mask = cv2.warpAffine(prev_mask, warp, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
            prev_grey = cv2.warpAffine(prev_grey, warp, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
            motion_floor = cv2.warpAffine(np.zeros(prev_shape, np.uint8), warp, (w, h), flags=cv2.INTER_LINEAR,
                                          borderMode=cv2.BORDER_CONSTANT, borderValue=255)
        elif prev_mask.shape != prob.shape:
            self._mask = prob.astype(np.float32, copy=True)
            return self._mask
        motion = cv2.absdiff(grey, prev_grey)
        if motion_floor is not None:
            motion = cv2.max(motion, motion_floor)
        a = cv2.LUT(motion, self._a)  # float32 weight of the new mask, per pixel
        prob = prob.astype(np.float32, copy=False)
        out = cv2.add(prev_mask, cv2.multiply(a, cv2.subtract(prob, prev_mask)))  # prev + a * (p - prev)
        self._mask = out
        return out


def remove_small_blobs(prob: np.ndarray, min_fraction: float) -> np.ndarray:
    """Zero person blobs smaller than `min_fraction` of the largest one (stray detections)."""
    if min_fraction <= 0:
        return prob
    binary = (prob > 0.5).astype(np.uint8)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(binary, connectivity=8)
    if n <= 2:
        return prob
    areas = stats[1:, cv2.CC_STAT_AREA]
    small = np.flatnonzero(areas < min_fraction * areas.max()) + 1
    if small.size == 0:
        return prob
    out = prob.copy()
    out[np.isin(labels, small)] = 0.0
    return out
