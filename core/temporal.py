"""Temporal smoothing of the model-resolution mask: kills flicker on still regions, not on moving edges.

Motion-adaptive exponential smoothing, per pixel:
    m_t = m_{t-1} + a * (p_t - m_{t-1}),   a = a_still + (1 - a_still) * motion
where p_t is the model's new probability and `motion` in [0, 1] is how much the *picture* changed
at that pixel since the last frame (|grey_t - grey_{t-1}| / MOTION_FULL). Where the picture moves,
the new mask is taken as is, so moving edges do not lag.

Where it is still, that blend alone leaves a webcam's noise in the mask: the noise changes the
model's input a little every frame, and the edge boils. So a pixel whose neighbourhood stayed within
the camera's noise of its own mean over its still frames (the difference averaged over a small window,
against a noise level estimated from the frames themselves, which may rise only slowly, so a pan does
not pass for noise; a slow movement drifts away from the mean, where noise does not) averages the
model's masks over all those frames, up to `still_frames`: the weight falls to 1 / (n + 1) after n.
A neighbourhood that did not change at all has no noise to average: there the new mask is taken as
is, so an exactly still picture gives the same mask every frame. `strength` 0 turns it off; 1 is the
heaviest smoothing.
"""

from __future__ import annotations

import cv2
import numpy as np

MOTION_FULL = 24.0  # grey-level change (0..255) that counts as full motion
MAX_STILL_WEIGHT = 0.85  # strength 1 keeps 85% of the old mask per frame on still pixels
STILL_FRAMES_AT_FULL = 40  # strength 1 averages up to 40 frames of a still neighbourhood (0.6: 24)
NOISE_WINDOW = 3  # model pixels: the picture's change is averaged over this square ...
NOISE_K = 2.5  # ... and is more than noise from this many times the noise level
NOISE_FLOOR = 1.0  # plus this many grey levels
NOISE_RISE = 1.02  # the noise estimate may rise by this factor per frame (it falls at once)
MODEL_JUMP = 0.5  # the model's probability moving this far is no noise, whatever the picture did
# Whether the person moved, for person tracking's crop hold (core/tracking.py): the picture changed beyond its
# noise over more than MOVING_SHARE of the mask (a still person, noisy or not: at most 0.1%; the slow pan and
# DAVIS: 10-80%). Where the crop moved, the history is resampled into the new crop, and the resampling of a
# downscaled frame reads as motion by itself (9-79% on an exactly still picture): there the mask's own jumps
# over more than MOVING_JUMP_SHARE say moving (after a still picture's crop moved: 0-4%; DAVIS: 1-31%, medians
# 3-14%), and no jump says nothing (a slow pan makes none): the last answer stands, until the UNKNOWN_MASKS-th
# such mask in a row, which reads still, so a still picture whose crop keeps moving settles.
MOVING_SHARE = 0.05
MOVING_JUMP_SHARE = 0.02
UNKNOWN_MASKS = 3


_IDENTITY = np.eye(2, 3)


class TemporalFilter:
    def __init__(self, strength: float = 0.5) -> None:
        self.strength = float(np.clip(strength, 0.0, 1.0))
        self._mask: np.ndarray | None = None
        self._grey: np.ndarray | None = None
        self._still: np.ndarray | None = None  # uint8: frames each pixel's neighbourhood has been still
        self._noise: float | None = None  # the camera's noise: the median grey-level change per frame
        self._grey_mean: np.ndarray | None = None  # float32: the picture's mean over each pixel's still frames
        self.moving: bool | None = None  # whether the last mask's person moved (None: no history to tell)
        self._moved, self._unknown = False, 0  # the last answer, and for how many masks it could not be told
        self.still_frames = max(1, round(STILL_FRAMES_AT_FULL * self.strength))
        n = np.arange(256, dtype=np.float32)
        self._mean = (1.0 / (n + 1.0)).astype(np.float32)  # n -> 1 / (n + 1): the mask's weight
        self._mean_of_n = (1.0 / np.maximum(n, 1.0)).astype(np.float32)  # n -> 1 / n: the picture's
        # a per grey-level change (an integer 0..255): the formula above, looked up in one pass
        a_still = 1.0 - MAX_STILL_WEIGHT * self.strength
        self._a = np.minimum(np.arange(256, dtype=np.float32) * ((1.0 - a_still) / MOTION_FULL) + a_still,
                             1.0).astype(np.float32)

    def reset(self) -> None:
        self._mask = self._grey = self._still = self._grey_mean = None
        self._noise = self.moving = None
        self._moved, self._unknown = False, 0

    def __call__(self, prob: np.ndarray, small_rgb: np.ndarray, warp: np.ndarray | None = None) -> np.ndarray:
        """float32 P(person) and the uint8 RGB it came from (both at model size) -> smoothed mask.

        `warp` (2x3 affine, previous mask pixel -> this mask pixel) realigns the history when the
        crop moved (person tracking); pixels the previous mask did not cover take the new value.
        """
        grey = cv2.cvtColor(small_rgb, cv2.COLOR_RGB2GRAY)
        prev_mask, prev_grey, still = self._mask, self._grey, self._still
        self._grey, self.moving = grey, None
        if self.strength <= 0.0 or prev_mask is None or prev_grey is None or still is None:  # (set together)
            self._mask = prob.astype(np.float32, copy=True)
            self._still, self._grey_mean = np.zeros(prob.shape, np.uint8), None
            return self._mask
        h, w = prob.shape
        motion_floor = None
        if warp is not None and not np.allclose(warp, _IDENTITY, rtol=0.0, atol=1e-9):  # the crop moved
            # Where the previous mask did not cover, motion_floor is 255 (partly: in between), so the new
            # value is taken there and whatever the constant border put into the history does not count.
            # (A constant border: replicating costs half as much again, for pixels that are not used.)
            prev_shape = prev_mask.shape
            prev_mask = cv2.warpAffine(prev_mask, warp, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
            prev_grey = cv2.warpAffine(prev_grey, warp, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
            motion_floor = cv2.warpAffine(np.zeros(prev_shape, np.uint8), warp, (w, h), flags=cv2.INTER_LINEAR,
                                          borderMode=cv2.BORDER_CONSTANT, borderValue=255)
            still = np.zeros(prob.shape, np.uint8)  # the history was resampled: the count starts again
        elif prev_mask.shape != prob.shape:
            self._mask = prob.astype(np.float32, copy=True)
            self._still, self._grey_mean = np.zeros(prob.shape, np.uint8), None
            return self._mask
        motion = change = cv2.absdiff(grey, prev_grey)
        if motion_floor is not None:
            motion = cv2.max(motion, motion_floor)
        a = cv2.LUT(motion, self._a)  # float32 weight of the new mask, per pixel
        prob = prob.astype(np.float32, copy=False)
        resampled = motion_floor is not None
        a, self._still = self._still_weight(a, grey, prev_grey, change, prob, prev_mask, still, resampled)
        out = cv2.add(prev_mask, cv2.multiply(a, cv2.subtract(prob, prev_mask)))  # prev + a * (p - prev)
        self._mask = out
        return out

    def _still_weight(self, a: np.ndarray, grey: np.ndarray, prev_grey: np.ndarray, change: np.ndarray,
                      prob: np.ndarray, prev_mask: np.ndarray, still: np.ndarray, resampled: bool
                      ) -> tuple[np.ndarray, np.ndarray]:
        """The weights `a` where the neighbourhood is still: the running mean's 1 / (n + 1) where the
        picture is within noise of its own mean over the same frames (a slow movement drifts away
        from it, where noise does not), 1 where it did not change at all; and the new counts n. Sets
        `moving` (`resampled`: the history was realigned to a moved crop)."""
        hist = cv2.calcHist([change], [0], None, [256], [0, 256]).ravel()
        median = float(np.searchsorted(np.cumsum(hist), change.size / 2))
        if median > 0.0:  # the same picture twice (a duplicated frame) says nothing of the noise: 0 would stick
            self._noise = median if self._noise is None else min(median, self._noise * NOISE_RISE)
        noise = self._noise or 0.0
        # No numpy `where` or boolean indexing on the float images (they cost four times as much here, on
        # the mask worker of every frame): OpenCV's per-pixel operations, under masks (0/1 uint8).
        grey_f = grey.astype(np.float32)
        ref = prev_grey.astype(np.float32)
        if self._grey_mean is not None:
            cv2.copyTo(self._grey_mean, still, ref)  # the picture's mean where it was still, else the last frame
        local = cv2.blur(cv2.absdiff(grey_f, ref), (NOISE_WINDOW, NOISE_WINDOW), borderType=cv2.BORDER_REPLICATE)
        calm = (local <= NOISE_K * noise + NOISE_FLOOR).view(np.uint8)
        steady = (cv2.absdiff(prob, prev_mask) < MODEL_JUMP).view(np.uint8)
        if resampled:  # no jump: a slow movement, or none
            reading = True if cv2.countNonZero(steady) < (1.0 - MOVING_JUMP_SHARE) * steady.size else None
        else:
            reading = cv2.countNonZero(calm) < (1.0 - MOVING_SHARE) * calm.size
        if reading is None:
            self._unknown += 1
            reading = self._moved and self._unknown < UNKNOWN_MASKS
        else:
            self._unknown = 0
        self.moving = self._moved = reading
        quiet = calm & steady
        still = (np.minimum(still, self.still_frames - 1) + 1) * quiet
        # where not quiet the count is 0 and its weight 1, which leaves `a` (at most 1) as it is
        a = cv2.min(a, cv2.LUT(still, self._mean))
        a[local == 0] = 1.0
        # the picture's mean over the n still frames, this one included (the first of them: itself)
        mean = cv2.add(ref, cv2.multiply(cv2.LUT(still, self._mean_of_n), cv2.subtract(grey_f, ref)))
        self._grey_mean = grey_f
        cv2.copyTo(mean, quiet, self._grey_mean)
        return a, still


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
