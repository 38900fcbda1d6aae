"""BlazePose in core: MediaPipe Pose's CPU graph (0.10.14, model_complexity=1) on our ONNX models.

Pose segmentation follows one person and holds full bodies in fast motion better than the selfie
models. The graph is MediaPipe's, step for step; every parameter below comes from its graph files
at tag v0.10.14 (cited by file, under mediapipe/modules/), not from the wheel:

    no pose yet:  the frame letterboxed to 224x224 -> detector -> SSD decode -> weighted NMS
                  -> the first detection -> rotated ROI          (pose_detection/pose_detection_cpu.pbtxt,
                                                                  pose_landmark/pose_detection_to_roi.pbtxt)
    every frame:  the rotated ROI cut at 256x256 -> landmarks, presence, segmentation, heatmap
                  (pose_landmark/pose_landmark_by_roi_cpu.pbtxt,
                   pose_landmark/tensors_to_pose_landmarks_and_segmentation.pbtxt)
                  -> landmarks refined on the heatmap, projected to the frame; the mask warped back
                  -> smoothing: the ROI landmarks' One Euro filter (pose_landmark/pose_landmark_filtering.pbtxt).
                     The graph also blends each mask with the last (pose_segmentation_filtering.pbtxt,
                     ratio 0.7), but in the 0.10.14 wheel that changes nothing: its video-mode masks
                     equal the unblended ones (IoU 0.999 frame by frame, 0.91 with the blend), so the
                     mask is not blended here either.
                  -> next frame's ROI from those landmarks   (pose_landmark/pose_landmarks_to_roi.pbtxt)

The crops are described as a FramePlan of quads at model size (core/mask_source.py), so the OBS
filter can draw them on the GPU instead of reading back whole frames. `lag` reproduces what a
GPU pipeline costs: the ROI comes from landmarks `lag` frames old.
"""

from __future__ import annotations

import functools
import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, replace

import cv2
import numpy as np

from .geometry import FULL, Rect, model_to_frame
from .mask_source import Border, Crop, FramePlan, MaskOptions, MaskResult, Quad
from .model_registry import find_model
from .opencv_exact import rotated_rect_points, warp_u8
from .postprocess import to_u8
from .session import DEFAULT_THREADS, shared_session

GRID = (256, 256)  # a crop's mask resampled onto the frame's axes (run_plan; full_body fuses on it)
F32 = np.float32  # MediaPipe computes in float; the video path is chaotic enough for its last bits to matter
DETECTOR = "pose_detection"
LANDMARKS = "pose_landmarks_full"

# pose_detection_cpu.pbtxt: SsdAnchorsCalculator
_ANCHOR_LAYERS, _ANCHOR_MIN_SCALE, _ANCHOR_MAX_SCALE = 5, 0.1484375, 0.75
_ANCHOR_STRIDES = (8, 16, 32, 32, 32)
# pose_detection_cpu.pbtxt: TensorsToDetectionsCalculator, NonMaxSuppressionCalculator
_SCORE_CLIP, _MIN_SCORE, _NMS_IOU, _BOX_SCALE = 100.0, 0.5, 0.3, 224.0
# pose_detection_to_roi.pbtxt, pose_landmarks_to_roi.pbtxt: keypoints 0 -> 1 point up, box 1.25x, square
_ROI_SCALE, _ROI_TARGET_ANGLE = 1.25, math.pi / 2
# tensors_to_pose_landmarks_and_segmentation.pbtxt. Its RefineLandmarksFromHeatmap node says
# kernel_size 7, but the 0.10.14 wheel runs the calculator's default, 9 (its .proto): given the same
# crop, 9 reproduces MediaPipe's landmarks to 0.0003 px and 7 leaves them up to 2.4 px apart.
_PRESENCE_THRESHOLD, _NUM_LANDMARKS, _HEATMAP_KERNEL, _HEATMAP_MIN_CONFIDENCE = 0.5, 39, 9, 0.5
# pose_landmark_filtering.pbtxt: the auxiliary landmarks (the ROI's) One Euro filter
_AUX_MIN_CUTOFF, _AUX_BETA, _AUX_DERIVATE_CUTOFF = 0.01, 10.0, 1.0
_FPS = 30.0  # the solution's simulated timestamps: 33333 us apart


@dataclass(frozen=True)
class Roi:
    """A rotated rectangle in normalised frame coordinates (MediaPipe's NormalizedRect): where the
    pose's landmark model looks. A landmark crop carries it as its `tag`."""

    x_center: float
    y_center: float
    width: float
    height: float
    rotation: float  # radians

    def box_points(self, width: int, height: int) -> np.ndarray:
        """Corners in frame pixels, as MediaPipe's OpenCV computes them (core/opencv_exact.py)."""
        return rotated_rect_points(self.x_center, self.y_center, self.width, self.height, self.rotation, width,
                                   height)

    def quad(self, width: int, height: int) -> Quad:
        bl, tl, tr, br = ((float(x) / width, float(y) / height) for x, y in self.box_points(width, height))
        return tl, tr, br, bl


def _within(roi: Roi, held: Roi, hold: float) -> bool:
    """`roi` differs from `held` by at most `hold` of the held one's size, along each axis: its
    centre, its sides, and its corners as the rotation moves them (at half its size from the centre)."""
    return abs(roi.x_center - held.x_center) <= hold * held.width \
        and abs(roi.y_center - held.y_center) <= hold * held.height \
        and abs(roi.width - held.width) <= hold * held.width and abs(roi.height - held.height) <= hold * held.height \
        and 0.5 * abs(_normalize_radians(roi.rotation - held.rotation)) <= hold


def _sigmoid(x: np.ndarray) -> np.ndarray:
    """1 / (1 + exp(-x)) in float, as MediaPipe's (logits reach -1600: exp overflows to inf, giving 0)."""
    with np.errstate(over="ignore"):
        return (np.float32(1.0) / (np.float32(1.0) + np.exp(-x.astype(np.float32)))).astype(np.float32)


@functools.cache
def model_side(name: str) -> int:
    """A square model's input side, from its card: 224 for the detector, 256 for the landmarks."""
    return find_model(name).width


@functools.cache
def ssd_anchors(size: int | None = None) -> np.ndarray:
    """(x_centre, y_centre) of the detector's 2254 anchors (SsdAnchorsCalculator: fixed anchor
    size; one aspect ratio plus the interpolated one per layer, layers of one stride merged)."""
    size = size or model_side(DETECTOR)
    anchors = []
    layer = 0
    while layer < _ANCHOR_LAYERS:
        per_cell = 0
        last = layer
        while last < len(_ANCHOR_STRIDES) and _ANCHOR_STRIDES[last] == _ANCHOR_STRIDES[layer]:
            per_cell += 2
            last += 1
        cells = math.ceil(size / _ANCHOR_STRIDES[layer])
        for y in range(cells):
            for x in range(cells):
                anchors += [((x + 0.5) / cells, (y + 0.5) / cells)] * per_cell
        layer = last
    return np.array(anchors, np.float32)




def _normalize_radians(angle: float) -> float:
    return angle - 2 * math.pi * math.floor((angle + math.pi) / (2 * math.pi))


def _alignment(start, end, width: int, height: int):
    """AlignmentPointsRectsCalculator in float32: (x0, y0, x1, y1) in pixels and the box size,
    twice the distance from `start` to `end`."""
    w, h = F32(width), F32(height)
    x0, y0 = F32(start[0]) * w, F32(start[1]) * h
    x1, y1 = F32(end[0]) * w, F32(end[1]) * h
    return x0, y0, x1, y1, F32(np.sqrt((x1 - x0) * (x1 - x0) + (y1 - y0) * (y1 - y0)) * 2.0)


def alignment_roi(start: tuple[float, float], end: tuple[float, float], width: int, height: int) -> Roi:
    """AlignmentPointsRectsCalculator + RectTransformationCalculator: a square around `start` as big
    as twice its distance to `end`, turned so that start -> end points up, then 1.25x. In float32,
    as MediaPipe computes it."""
    w, h = F32(width), F32(height)
    x0, y0, x1, y1, size = _alignment(start, end, width, height)
    rotation = F32(_normalize_radians(float(F32(F32(_ROI_TARGET_ANGLE) - np.arctan2(-(y1 - y0), x1 - x0)))))
    long_side = max(F32(size / w) * w, F32(size / h) * h)  # square_long
    side_w, side_h = F32(long_side / w) * F32(_ROI_SCALE), F32(long_side / h) * F32(_ROI_SCALE)
    return Roi(float(x0 / w), float(y0 / h), float(side_w), float(side_h), float(rotation))


def alignment_box(points: np.ndarray, width: int, height: int) -> tuple[np.float32, np.float32]:
    """(width, height), normalised, of AlignmentPointsRectsCalculator's box for points[0] -> points[1]
    (before any transformation): the object scale the landmark filter divides by."""
    size = _alignment(points[0], points[1], width, height)[4]
    return F32(size / F32(width)), F32(size / F32(height))


def crop_matrix(quad_px: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """3x3: frame pixel -> crop pixel, corners onto corners (ImageToTensorOpenCvConverter)."""
    w, h = size
    dst = np.array([[0, h], [0, 0], [w, 0], [w, h]], np.float32)
    return cv2.getPerspectiveTransform(quad_px.astype(np.float32), dst)


def _box_points(crop: Crop, width: int, height: int) -> np.ndarray:
    assert crop.quad is not None  # the pose's crops are quads
    tl, tr, br, bl = crop.quad
    return np.array([bl, tl, tr, br], np.float32) * [width, height]


def cut(frame_rgb: np.ndarray, crop: Crop) -> np.ndarray:
    """A plan's quad crop at model size, uint8 RGB, as ImageToTensor cuts it on the CPU."""
    h, w = frame_rgb.shape[:2]
    return warp_u8(frame_rgb, crop_matrix(_box_points(crop, w, h), crop.size), crop.size, crop.border is Border.ZERO)


def letterbox_crop(width: int, height: int, size: int | None = None
                   ) -> tuple[Crop, tuple[float, float, float, float]]:
    """The whole frame padded to a square (PadRoi, keep_aspect_ratio) at the detector's size (its
    card's, by default), zero border, and the padding (left, top, right, bottom) as fractions of
    the square."""
    size = size or model_side(DETECTOR)
    side = max(width, height)
    pad_x, pad_y = (1.0 - width / side) / 2.0, (1.0 - height / side) / 2.0
    x0, y0 = (width - side) / 2.0 / width, (height - side) / 2.0 / height
    x1, y1 = 1.0 - x0, 1.0 - y0
    quad = ((x0, y0), (x1, y0), (x1, y1), (x0, y1))
    return Crop(quad=quad, model=DETECTOR, size=(size, size), border=Border.ZERO), (pad_x, pad_y, pad_x, pad_y)


def decode_first_detection(raw_boxes: np.ndarray, raw_scores: np.ndarray,
                           padding: tuple[float, float, float, float]) -> np.ndarray | None:
    """The detector's outputs -> keypoints (4 x 2, normalised frame coordinates) of its best person,
    or None. TensorsToDetections (sigmoid of clipped scores, boxes and keypoints relative to their
    anchor), the first cluster of weighted NMS, then the letterbox removed."""
    boxes, scores = raw_boxes.reshape(-1, 12), raw_scores.reshape(-1)
    scores = _sigmoid(np.clip(scores, -_SCORE_CLIP, _SCORE_CLIP))
    keep = np.nonzero(scores >= _MIN_SCORE)[0]
    if keep.size == 0:
        return None
    anchors = ssd_anchors()[keep]
    raw = boxes[keep] / _BOX_SCALE
    xc, yc = raw[:, 0] + anchors[:, 0], raw[:, 1] + anchors[:, 1]
    bw, bh = raw[:, 2], raw[:, 3]
    rects = np.stack([xc - bw / 2, yc - bh / 2, xc + bw / 2, yc + bh / 2], 1)
    kps = raw[:, 4:12].reshape(-1, 4, 2) + anchors[:, None, :]
    s = scores[keep]
    best = int(np.argmax(s))
    # Weighted NMS, first cluster: every box overlapping the best by IoU > 0.3, averaged by score.
    ix0, iy0 = np.maximum(rects[:, 0], rects[best, 0]), np.maximum(rects[:, 1], rects[best, 1])
    ix1, iy1 = np.minimum(rects[:, 2], rects[best, 2]), np.minimum(rects[:, 3], rects[best, 3])
    inter = np.clip(ix1 - ix0, 0, None) * np.clip(iy1 - iy0, 0, None)
    area = (rects[:, 2] - rects[:, 0]) * (rects[:, 3] - rects[:, 1])
    iou = inter / np.maximum(area + area[best] - inter, 1e-12)
    cluster = iou > _NMS_IOU
    weights = s[cluster]
    keypoints = (kps[cluster] * weights[:, None, None]).sum(0) / weights.sum()
    left, top, right, bottom = padding
    keypoints[:, 0] = (keypoints[:, 0] - left) / (1.0 - left - right)
    keypoints[:, 1] = (keypoints[:, 1] - top) / (1.0 - top - bottom)
    return keypoints


def refine_on_heatmap(landmarks: np.ndarray, heatmap: np.ndarray) -> np.ndarray:
    """RefineLandmarksFromHeatmapCalculator: x, y (normalised to the crop) moved to the
    confidence-weighted mean of a 9x9 window of the landmark's heatmap, when it is confident.
    Summed in float, in the calculator's row-major order (a running sum; cells beyond the
    heatmap add exact zeros, as its shrunken window leaves them out)."""
    hm_h, hm_w, n = heatmap.shape
    out = landmarks.astype(F32)
    off = (_HEATMAP_KERNEL - 1) // 2
    cols = (out[:, 0] * F32(hm_w)).astype(np.int64)  # C's float -> int: toward zero
    rows = (out[:, 1] * F32(hm_h)).astype(np.int64)
    inside = (cols >= 0) & (cols < hm_w) & (rows >= 0) & (rows < hm_h)
    conf = np.pad(_sigmoid(heatmap), ((off, off), (off, off), (0, 0)))
    k = np.arange(-off, off + 1)
    rr = np.clip(rows, 0, hm_h - 1)[:, None, None] + k[None, :, None]  # window rows and columns
    cc = np.clip(cols, 0, hm_w - 1)[:, None, None] + k[None, None, :]
    win = conf[rr + off, cc + off, np.arange(n)[:, None, None]].reshape(n, -1)
    r_idx = np.broadcast_to(rr, win.shape[:1] + (2 * off + 1,) * 2).reshape(n, -1).astype(F32)
    c_idx = np.broadcast_to(cc, win.shape[:1] + (2 * off + 1,) * 2).reshape(n, -1).astype(F32)
    total = np.cumsum(win, 1, dtype=F32)[:, -1]
    wcol = np.cumsum(c_idx * win, 1, dtype=F32)[:, -1]
    wrow = np.cumsum(r_idx * win, 1, dtype=F32)[:, -1]
    refine = inside & (win.max(1) >= _HEATMAP_MIN_CONFIDENCE) & (total > 0)
    out[refine, 0] = (wcol[refine] / F32(hm_w)) / total[refine]
    out[refine, 1] = (wrow[refine] / F32(hm_h)) / total[refine]
    return out


def project(points: np.ndarray, roi: Roi) -> np.ndarray:
    """LandmarkProjectionCalculator: crop-normalised (x, y) -> frame-normalised, in float."""
    x, y = points[:, 0].astype(F32) - F32(0.5), points[:, 1].astype(F32) - F32(0.5)
    angle = F32(roi.rotation)
    c, s = F32(np.cos(angle)), F32(np.sin(angle))
    new_x, new_y = c * x - s * y, s * x + c * y
    return np.stack([new_x * F32(roi.width) + F32(roi.x_center), new_y * F32(roi.height) + F32(roi.y_center)], 1)


class _LowPass:
    """util/filtering/low_pass_filter.cc: the stored values are floats."""

    def __init__(self) -> None:
        self.raw: np.float32 | None = None
        self.stored: np.float32 | None = None

    def __call__(self, value: float, alpha: float) -> np.float32:
        a = F32(alpha)
        v = F32(value)
        # alpha_ * value is a float product; (1.0 - alpha_) * stored_value_ is computed in double.
        result = v if self.stored is None else F32(float(a * v) + (1.0 - float(a)) * float(self.stored))
        self.raw, self.stored = v, result
        return result


class OneEuro:
    """MediaPipe's OneEuroFilter (util/filtering/one_euro_filter.cc) for one value."""

    def __init__(self, min_cutoff: float, beta: float, derivate_cutoff: float) -> None:
        self.min_cutoff, self.beta, self.derivate_cutoff = min_cutoff, beta, derivate_cutoff
        self.frequency = _FPS
        self.last_time: int = 0  # ns; 0: none yet (MediaPipe's own sentinel)
        self.x, self.dx = _LowPass(), _LowPass()

    def _alpha(self, cutoff: float) -> float:
        te, tau = 1.0 / self.frequency, 1.0 / (2 * math.pi * cutoff)
        return 1.0 / (1.0 + tau / te)

    def __call__(self, t_ns: int, value_scale: float, value: float) -> float | np.float32:
        if self.last_time >= t_ns:
            return value
        if self.last_time != 0 and t_ns != 0:
            self.frequency = 1.0 / ((t_ns - self.last_time) * 1e-9)
        self.last_time = t_ns
        dvalue = (value - float(self.x.raw)) * value_scale * self.frequency if self.x.raw is not None else 0.0
        edvalue = self.dx(dvalue, self._alpha(self.derivate_cutoff))
        return self.x(value, self._alpha(self.min_cutoff + self.beta * abs(float(edvalue))))


class AuxLandmarkFilter:
    """LandmarksSmoothingCalculator with the auxiliary landmarks' One Euro options, on pixels, with
    the value scale 1 / (the unfiltered landmarks' alignment box size)."""

    def __init__(self) -> None:
        self.filters: list[OneEuro] = []

    def reset(self) -> None:
        self.filters = []

    def __call__(self, t_ns: int, points: np.ndarray, width: int, height: int) -> np.ndarray:
        roi = alignment_box(points, width, height)
        scale = F32((F32(roi[0] * F32(width)) + F32(roi[1] * F32(height))) / F32(2.0))
        if scale < 1e-6:
            return points
        if not self.filters:
            self.filters = [OneEuro(_AUX_MIN_CUTOFF, _AUX_BETA, _AUX_DERIVATE_CUTOFF) for _ in range(points.size)]
        px = (points.astype(F32) * np.array([width, height], F32)).reshape(-1)
        flat = [f(t_ns, float(F32(1.0) / scale), float(v)) for f, v in zip(self.filters, px, strict=True)]
        return (np.array(flat, F32).reshape(points.shape) / np.array([width, height], F32)).astype(F32)


def union_rect(rect: Rect | None, quad: Quad) -> Rect:
    """The frame rectangle holding `rect` (None: nothing) and a crop's quad, clipped to the frame."""
    xs, ys = [p[0] for p in quad], [p[1] for p in quad]
    if rect is not None:
        xs, ys = xs + [rect.x0, rect.x1], ys + [rect.y0, rect.y1]
    return Rect(max(0.0, min(xs)), max(0.0, min(ys)), min(1.0, max(xs)), min(1.0, max(ys)))


def mask_on_grid(prob: np.ndarray, m: np.ndarray, rect: Rect, frame_size: tuple[int, int],
                 grid: tuple[int, int] = GRID) -> np.ndarray:
    """A crop's float mask (`m`: 3x3 frame pixel -> crop pixel) resampled onto a grid over `rect`."""
    grid_to_crop = m @ np.vstack([model_to_frame(*frame_size, rect, *grid), [0.0, 0.0, 1.0]])
    return cv2.warpPerspective(prob, grid_to_crop, grid, flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                               borderMode=cv2.BORDER_CONSTANT, borderValue=0)


@dataclass(frozen=True)
class Detection:
    """pose_detection_cpu.pbtxt + pose_detection_to_roi.pbtxt: the first person's ROI, or None."""

    roi: Roi | None
    infer_ms: float


@dataclass(frozen=True)
class Landmarks:
    """pose_landmark_by_roi_cpu.pbtxt for one ROI: the landmarks projected to the frame (33 of the
    pose, then 2 auxiliary ones that place the next ROI) and the segmentation at the crop's size;
    `present` False (and nothing else) when nobody is there."""

    present: bool
    infer_ms: float
    points: np.ndarray | None = None  # 35 x (x, y), normalised frame coordinates
    mask: np.ndarray | None = None  # float32 P(person) at the crop's size


@dataclass
class PoseResult:
    mask: np.ndarray  # float32 P(person): at frame size from `process`, at crop size from `run_crop`
    present: bool
    landmarks: np.ndarray | None  # 33 x (x, y) normalised frame coordinates
    infer_ms: float = 0.0
    crop_matrix: np.ndarray | None = None  # 3x3 frame pixel -> `mask` pixel (`run_crop` only)


class PosePipeline:
    """One video's pose state (ROI, landmark filter) over shared sessions: MediaPipe's graph, one
    frame at a time (`_frame`), its stages below as the graph files name them.

    Two ways to feed it: `process` takes whole frames and cuts what the graph asks for (the detector
    and the landmark model on the same frame, as MediaPipe); `plan_crop` + `run_crop` take the one
    crop planned for the frame, cut elsewhere (by the OBS filter on the GPU), so a frame that
    re-detects gives its ROI to the next frame instead of a mask. Threads for the second:
    `plan_crop` runs on the render thread and reads `next_roi`, which the worker replaces whole.
    """

    tracking = False  # the pose follows one person from its first detection: nothing to engage

    def __init__(self, provider: str = "auto", threads: int = DEFAULT_THREADS, lag: int = 0,
                 hold: float = 0.0) -> None:
        """`hold`: keep the ROI while the landmarks move it by at most this much of its size (0:
        MediaPipe's graph, which moves it every frame), and while `moving` is False."""
        self.hold = hold
        self.moving = False  # the person moved (full_body's temporal filter says): the ROI follows them
        self.detector = shared_session(find_model(DETECTOR), provider, threads)
        self.landmarks = shared_session(find_model(LANDMARKS), provider, threads)
        self.detector_side = self.detector.card.width  # square inputs: 224 and 256 (their cards)
        self.landmark_size = (self.landmarks.card.width, self.landmarks.card.height)
        self.lag = lag
        self.aux_filter = AuxLandmarkFilter()
        self.rois: deque[Roi | None] = deque(maxlen=lag + 1)  # ROIs from landmarks, newest last
        self.next_roi: Roi | None = None  # the ROI from landmarks `lag` frames before the newest, if any
        self.frame = 0

    def reset(self) -> None:
        """The stream restarted (core/stream.py decides when): the next frame detects."""
        self.aux_filter.reset()
        self.rois.clear()
        self.next_roi = None
        self.moving = False

    def configure(self, options: MaskOptions) -> None:
        """MediaPipe's graph has no options of ours (its smoothing is its own)."""

    def describe(self) -> str:
        return f"pose pipeline ({self.landmarks.describe()}; lag {self.lag})"

    # -- planning (render thread) --------------------------------------------------------------
    def plan_crop(self, width: int, height: int) -> Crop:
        """The crop the next frame needs: the pose's rotated square (its ROI as the tag), or, with
        nobody tracked, the letterboxed frame for the detector."""
        roi = self.next_roi
        if roi is None:
            return letterbox_crop(width, height, self.detector_side)[0]
        return Crop(quad=roi.quad(width, height), model=LANDMARKS, size=self.landmark_size, tag=roi)

    def plan(self, width: int, height: int) -> FramePlan:
        return FramePlan((width, height), (self.plan_crop(width, height),))

    # -- the two feeds -------------------------------------------------------------------------
    def process(self, frame_rgb: np.ndarray) -> PoseResult:
        """One frame of video (uint8 RGB) -> the pose mask at frame size."""
        h, w = frame_rgb.shape[:2]

        def pixels(roi: Roi | None) -> np.ndarray:
            if roi is None:
                return cut(frame_rgb, letterbox_crop(w, h, self.detector_side)[0])
            m = crop_matrix(roi.box_points(w, h), self.landmark_size)
            return warp_u8(frame_rgb, m, self.landmark_size, zero_border=False)

        p = self._frame(w, h, self.next_roi, pixels)
        if not p.present:
            return replace(p, mask=np.zeros((h, w), np.float32), crop_matrix=None)
        assert p.crop_matrix is not None  # a present pose carries its crop's matrix
        mask = cv2.warpPerspective(p.mask, p.crop_matrix, (w, h), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                                   borderMode=cv2.BORDER_CONSTANT, borderValue=0)
        return replace(p, mask=mask.astype(np.float32), crop_matrix=None)

    def run_crop(self, image: np.ndarray, crop: Crop, frame_size: tuple[int, int]) -> PoseResult:
        """The pixels of a crop from `plan_crop`, cut elsewhere (uint8 RGB at crop.size) -> the pose,
        its mask at crop size. A detector crop gives no mask: its ROI serves the next frame."""
        roi = None if crop.model == DETECTOR else crop.tag
        assert roi is None or isinstance(roi, Roi)  # the landmark crops this pipeline planned carry their ROI
        return self._frame(*frame_size, roi, lambda wanted: image if wanted is roi else None)

    def run_plan(self, images: tuple[np.ndarray, ...], frame_id: int, plan: FramePlan) -> MaskResult:
        """The pose's crop -> its mask on a grid over the crop's bounding rectangle in the frame."""
        t0 = time.perf_counter()
        p = self.run_crop(images[0], plan.crops[0], plan.frame_size)
        if not p.present:
            mask, rect = np.zeros(GRID[::-1], np.uint8), FULL
        else:
            assert plan.crops[0].quad is not None and p.crop_matrix is not None  # a pose crop, a present pose
            rect = union_rect(None, plan.crops[0].quad)
            mask = to_u8(mask_on_grid(p.mask, p.crop_matrix, rect, plan.frame_size))
        post_ms = (time.perf_counter() - t0) * 1e3 - p.infer_ms
        return MaskResult(frame_id, mask, None, p.infer_ms, post_ms, rect)

    def graph_mask(self, frame_rgb: np.ndarray) -> np.ndarray:
        """The pose alone on the command line: `process`'s mask as uint8 (core/pipelines.py). Not the
        plan's path: a frame that detects gets its mask here, there only the next frame does."""
        return to_u8(self.process(frame_rgb).mask)

    # -- the graph -----------------------------------------------------------------------------
    def _frame(self, width: int, height: int, roi: Roi | None, pixels: Callable[[Roi | None], np.ndarray | None]
               ) -> PoseResult:
        """One frame: detect while nobody is tracked (`roi` None), then landmarks by ROI, landmark
        filtering and the next frame's ROI. `pixels(roi)` gives the crop for an ROI (None: the
        detector's letterboxed frame), or None when this frame was not cut there; the mask is at
        the crop's size."""
        t_ns = self._next_timestamp()
        empty = np.zeros(self.landmark_size[::-1], np.float32)
        ms, detected = 0.0, roi is None
        if detected:
            letterboxed = pixels(None)
            assert letterboxed is not None  # the detector's crop is always cut
            found = self.detect(letterboxed, width, height)
            roi, ms = found.roi, found.infer_ms
            if roi is None:
                return self._lost(empty, ms)
        assert roi is not None  # given, or found just now
        image = pixels(roi)
        if image is None:  # only the detector's crop was cut: tracked from the very next frame, whatever the lag
            self._start_tracking(roi)
            return PoseResult(empty, False, None, ms)
        marks = self.landmarks_by_roi(image, roi, width, height)
        ms += marks.infer_ms
        if not marks.present:
            return self._lost(empty, ms)
        assert marks.points is not None and marks.mask is not None  # a present person has both
        aux = self.filter_landmarks(t_ns, marks.points, width, height)
        self._push_roi(self.landmarks_to_roi(aux, width, height))
        m = crop_matrix(roi.box_points(width, height), self.landmark_size)
        return PoseResult(marks.mask, True, marks.points[:33], ms, m)

    def detect(self, image: np.ndarray, width: int, height: int) -> Detection:
        """pose_detection_cpu.pbtxt + pose_detection_to_roi.pbtxt: the letterboxed frame (uint8 RGB)
        -> the first person's ROI."""
        x = image.astype(np.float32)[None] * (2.0 / 255.0) - 1.0
        t0 = time.perf_counter()
        raw_boxes, raw_scores = self.detector.run_all(x)
        ms = (time.perf_counter() - t0) * 1e3
        pad = letterbox_crop(width, height, self.detector_side)[1]
        keypoints = decode_first_detection(raw_boxes, raw_scores, pad)
        if keypoints is None:
            return Detection(None, ms)
        return Detection(alignment_roi(tuple(keypoints[0]), tuple(keypoints[1]), width, height), ms)

    def landmarks_by_roi(self, image: np.ndarray, roi: Roi, width: int, height: int) -> Landmarks:
        """pose_landmark_by_roi_cpu.pbtxt: the ROI's crop (uint8 RGB) -> landmarks refined on the
        heatmap and projected to the frame, and the segmentation."""
        x = image.astype(np.float32)[None] * (1.0 / 255.0)
        t0 = time.perf_counter()
        raw_landmarks, presence, seg, heatmap, _ = self.landmarks.run_all(x)
        ms = (time.perf_counter() - t0) * 1e3
        if float(presence.reshape(-1)[0]) < _PRESENCE_THRESHOLD:
            return Landmarks(False, ms)
        raw = raw_landmarks.reshape(_NUM_LANDMARKS, 5)
        points = refine_on_heatmap(raw[:, :2] / float(self.landmark_size[0]), heatmap[0])
        return Landmarks(True, ms, project(points, roi)[:35], _sigmoid(seg[0, :, :, 0]))

    def filter_landmarks(self, t_ns: int, points: np.ndarray, width: int, height: int) -> np.ndarray:
        """pose_landmark_filtering.pbtxt, the part that places the ROI: the auxiliary landmarks' One
        Euro filter (always on in MediaPipe's graph)."""
        return self.aux_filter(t_ns, points[33:35], width, height)

    def landmarks_to_roi(self, aux: np.ndarray, width: int, height: int) -> Roi:
        """pose_landmarks_to_roi.pbtxt: the next frame's ROI from the filtered auxiliary landmarks."""
        return alignment_roi(tuple(aux[0]), tuple(aux[1]), width, height)

    # -- state ---------------------------------------------------------------------------------
    def _next_timestamp(self) -> int:
        """Count the frame; its timestamp in ns, MediaPipe's: 33333 us apart."""
        self.frame += 1
        return self.frame * 33333 * 1000

    def _start_tracking(self, roi: Roi) -> None:
        self.aux_filter.reset()
        self.rois.extend([roi] * (self.rois.maxlen or 0))  # (made with a maxlen)
        self.next_roi = roi

    def _push_roi(self, roi: Roi) -> None:
        if not self.moving and self.rois and self.rois[-1] is not None and _within(roi, self.rois[-1], self.hold):
            roi = self.rois[-1]
        self.rois.append(roi)
        self.next_roi = self.rois[0] if len(self.rois) == self.rois.maxlen else None

    def _lost(self, empty: np.ndarray, ms: float) -> PoseResult:
        """No pose: MediaPipe outputs nothing, its filters start over, and the next frame detects."""
        self.reset()
        return PoseResult(empty, False, None, ms)
