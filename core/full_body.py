"""`full_body`: the selfie model (everyone, with person tracking) fused with the pose (one person,
whole body).

The selfie model finds every person but loses limbs of a full body in motion; the pose model follows
one person and holds the whole body. Per frame both run on their own crops (one FramePlan: the
selfie's tracked rectangle, then the pose's rotated square or, while nobody is tracked, the
letterboxed frame for its detector), each mask is smoothed as the other models' are, and, while
the pose sees a full body, they are fused on a grid over both crops:

    fused = max(pose, selfie where it is kept)

Selfie pixels outside the pose's mask are kept only where they form parts thicker than BAND of
the pose person's height: other people and limbs the pose missed stay, and the selfie's halo
around the pose person (a thin band, the selfie's commonest error on full bodies) goes. Without a
full body in view (a webcam at a desk, a group photo) the result is the selfie mask as is.
"""

from __future__ import annotations

import time
from dataclasses import replace

import cv2
import numpy as np

from .geometry import model_to_model
from .mask_source import Crop, FramePlan, MaskOptions, MaskResult, PoseState
from .pose import GRID, PosePipeline, mask_on_grid, union_rect
from .postprocess import to_u8
from .segmenter import Segmenter
from .selfie import SelfiePipeline
from .temporal import TemporalFilter
from .tracking import HOLD_TOLERANCE

# Selfie parts beyond the pose mask must be this thick, as a fraction of the pose person's height.
# Tuned on breakdance-flare and dance-jump (0.01-0.04 within 0.004 J of each other; 0.02 best on CIHP).
BAND = 0.02
HIPS_AND_KNEES = (23, 24, 25, 26)  # BlazePose landmarks: all inside the frame = a full body in view
LEAVE_AFTER = 5  # frames without a full body in view before the pose branch stands down (no flicker)

# The pose's person must be the selfie model's: at least this much of the pose's mask lies on the
# selfie's (grown a little). The pose holds limbs the selfie loses, so not all of it; a pose detector
# that found someone else (a person on a poster, a reflection) leaves most of it elsewhere.
AGREE = 0.5


def agrees(selfie: np.ndarray, pose: np.ndarray) -> bool:
    """uint8 selfie and float pose masks on one grid: the same person?"""
    person = pose > 0.5
    if not person.any():
        return False
    near = cv2.dilate((selfie > 127).astype(np.uint8), np.ones((9, 9), np.uint8)) > 0
    return float((person & near).sum()) >= AGREE * float(person.sum())


def full_body_in_view(landmarks: np.ndarray) -> bool:
    """Hips and knees inside the frame (normalised coordinates)."""
    pts = landmarks[list(HIPS_AND_KNEES)]
    return bool(np.all((pts >= 0.0) & (pts <= 1.0)))


def fuse(selfie: np.ndarray, pose: np.ndarray, pixel: tuple[float, float]) -> np.ndarray:
    """uint8 selfie and pose P(person) * 255 on one grid -> the fused one. `pixel`: one grid cell's
    (width, height) in frame pixels, so the band is as wide across as down in the frame."""
    person = pose > 127
    rows = np.flatnonzero(person.any(1))
    if rows.size == 0:
        return selfie
    radius = BAND * (rows[-1] - rows[0] + 1) * pixel[1]  # frame pixels
    rx, ry = max(1, round(radius / pixel[0])), max(1, round(radius / pixel[1]))
    # A rectangle, not a disc: separable, so the opening costs the same at any radius.
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (2 * rx + 1, 2 * ry + 1))
    extra = ((selfie > 127) & ~person).astype(np.uint8)
    keep = cv2.dilate(cv2.erode(extra, kernel), kernel)  # an opening: parts thinner than the band go
    return cv2.max(pose, selfie * keep)


class FullBodyPipeline:
    """One stream's state: the SelfiePipeline, the pose's PosePipeline and its smoothing."""

    def __init__(self, segmenter: Segmenter, options: MaskOptions | None = None, provider: str = "auto",
                 threads: int = 1, lag: int = 0) -> None:
        self.segmenter = segmenter
        self.options = options or MaskOptions()
        # Edge refinement needs the frame's pixels on the fused grid, which no crop has: off here.
        self.selfie = SelfiePipeline(segmenter, replace(self.options, refine=0.0))
        self.pose = PosePipeline(provider, threads, lag, hold=HOLD_TOLERANCE)
        self.pose_temporal = TemporalFilter(self.options.temporal)
        self._pose_prev: np.ndarray | None = None  # the last pose crop's matrix
        self._out_of_view = LEAVE_AFTER  # frames since a full body was last in view

    @property
    def tracking(self) -> bool:
        return self.selfie.tracking

    def describe(self) -> str:
        return f"{self.segmenter.session.describe()} + pose"

    def configure(self, options: MaskOptions) -> None:
        if options.temporal != self.options.temporal:
            self.pose_temporal = TemporalFilter(options.temporal)
        self.options = options
        self.selfie.configure(replace(options, refine=0.0))

    def reset(self) -> None:
        """The stream restarted (core/stream.py decides when): every part forgets."""
        self.selfie.reset()
        self.pose.reset()
        self.pose_temporal.reset()
        self._pose_prev, self._out_of_view = None, LEAVE_AFTER

    def plan(self, width: int, height: int) -> FramePlan:
        """The selfie's crop, then the pose's."""
        return FramePlan((width, height), self.selfie.plan(width, height).crops + (self.pose.plan_crop(width, height),))

    def run_plan(self, images: tuple[np.ndarray, ...], frame_id: int, plan: FramePlan) -> MaskResult:
        n = len(plan.crops) - 1  # the selfie's crops (one per person, or a search's), then the pose's
        pose_crop = plan.crops[n]
        s = self.selfie.run_plan(images[:n], frame_id, FramePlan(plan.frame_size, plan.crops[:n]))
        t0 = time.perf_counter()
        p = self.pose.run_crop(images[n], pose_crop, plan.frame_size)
        if not p.present:
            self.pose_temporal.reset()
            self._pose_prev, self._out_of_view = None, LEAVE_AFTER
            result, state = s, PoseState.SEARCHING
        else:
            assert p.crop_matrix is not None and p.mask is not None and p.landmarks is not None  # a present pose
            warp = self._pose_warp(p.crop_matrix)
            if warp is None:  # no history (the first pose)
                self.pose_temporal.reset()
            prob = self.pose_temporal(p.mask, images[n], warp)
            if self.pose_temporal.moving is not None:  # the pose's ROI holds only while its person is still
                self.pose.moving = self.pose_temporal.moving
            self._pose_prev = p.crop_matrix
            self._out_of_view = 0 if full_body_in_view(p.landmarks) else self._out_of_view + 1
            if self._out_of_view >= LEAVE_AFTER:
                result, state = s, PoseState.NO_FULL_BODY
            else:
                fused = self._fused(s, prob, p.crop_matrix, pose_crop, plan.frame_size)
                result, state = (fused, PoseState.ACTIVE) if fused is not None else (s, PoseState.ELSEWHERE)
        post_ms = s.post_ms + (time.perf_counter() - t0) * 1e3 - p.infer_ms
        return replace(result, infer_ms=s.infer_ms + p.infer_ms, post_ms=post_ms,
                       status=replace(s.status, pose=state))

    def _pose_warp(self, m: np.ndarray) -> np.ndarray | None:
        """2x3: last frame's pose-crop pixel -> this one's (both crops are similarities of the frame)."""
        if self._pose_prev is None:
            return None
        return (m @ np.linalg.inv(self._pose_prev))[:2]

    def _fused(self, s: MaskResult, pose_prob: np.ndarray, m: np.ndarray, pose_crop: Crop,
               frame_size: tuple[int, int]) -> MaskResult | None:
        """Both masks on one grid over both crops (the selfie's own when it holds the pose's), fused;
        None when the pose's person is not one the selfie model sees (AGREE)."""
        w, h = frame_size
        assert pose_crop.quad is not None  # the pose's crop is a quad
        rect = union_rect(s.rect, pose_crop.quad)
        selfie: np.ndarray  # the selfie's mask on the grid
        if rect == s.rect:
            grid, selfie = (s.mask.shape[1], s.mask.shape[0]), s.mask
        else:
            grid = GRID
            selfie = cv2.warpAffine(s.mask, model_to_model(w, h, s.rect, s.mask.shape[::-1], rect, grid), grid,
                                    flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
        pose = mask_on_grid(pose_prob, m, rect, frame_size, grid)
        if not agrees(selfie, pose):
            return None
        x0, y0, x1, y1 = rect.to_pixels(w, h)
        fused = fuse(selfie, to_u8(pose), ((x1 - x0) / grid[0], (y1 - y0) / grid[1]))
        return replace(s, mask=fused, coeffs=None, rect=rect)
