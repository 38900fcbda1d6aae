"""The selfie pipeline: a segmentation model's mask path, frame -> (crop) -> inference -> temporal filter ->
refinement coefficients (any model card of kind segmentation; MediaPipe's selfie models by default).

It hands compositing (the CPU reference in core/cpu_frame.py, the OBS shader in the filter) a
`MaskResult`, as every pipeline does: the contract and its hand-off are in core/mask_source.py.
"""

from __future__ import annotations

import time

import cv2
import numpy as np

from . import refine
from .geometry import FULL, Rect, model_to_model
from .mask_source import Crop, FramePlan, MaskOptions, MaskResult, MaskStatus
from .postprocess import to_u8
from .segmenter import Segmenter
from .temporal import TemporalFilter, remove_small_blobs
from .tracking import PersonTracker


class SelfiePipeline:
    """One stream's state (temporal filter, person tracker) over possibly shared Segmenters."""

    def __init__(self, segmenter: Segmenter, options: MaskOptions | None = None) -> None:
        self.segmenter = segmenter
        self.options = options or MaskOptions()
        self.temporal = TemporalFilter(self.options.temporal)
        self.tracker = self._make_tracker()
        self._prev: tuple[Rect, tuple[int, int]] | None = None  # the last mask's rect and model size

    def _make_tracker(self) -> PersonTracker:
        o, card = self.options, self.segmenter.card
        return PersonTracker({card.name: card.width / card.height}, o.tracking_every, o.tracking_margin,
                             every_s=o.tracking_every_s)

    @property
    def tracking(self) -> bool:
        return self.options.tracking

    def describe(self) -> str:
        return self.segmenter.session.describe()

    def configure(self, options: MaskOptions) -> None:
        if options.temporal != self.options.temporal:
            self.temporal = TemporalFilter(options.temporal)
        old, self.options = self.options, options
        if (old.tracking_every, old.tracking_margin, old.tracking_every_s) != (
                options.tracking_every, options.tracking_margin, options.tracking_every_s):
            self.tracker = self._make_tracker()

    def reset(self) -> None:
        """Forget the history: the stream restarted (core/stream.py decides when)."""
        self.temporal.reset()
        self.tracker.reset()
        self._prev = None

    def plan(self, width: int, height: int) -> FramePlan:
        """Which part of the next frame to look at, with which model."""
        if not self.options.tracking:
            return FramePlan.whole(width, height, self.segmenter.card.name, self.segmenter.model_size)
        crops, searching = self.tracker.plan(width, height)
        size, first_search = self.segmenter.model_size, len(crops) - searching
        return FramePlan((width, height), tuple(Crop(rect, model, size, search=i >= first_search)
                                                for i, (rect, model) in enumerate(crops)))

    def run_plan(self, images: tuple[np.ndarray, ...], frame_id: int, plan: FramePlan) -> MaskResult:
        """The crops of `plan`, cut out at model size (uint8 RGB) -> MaskResult: one crop (the whole
        frame, or the person-tracking box), or several (one per person, or the whole frame and a
        search tile) whose masks are stitched on one grid over them all."""
        for crop in plan.crops:
            if crop.model != self.segmenter.card.name:
                raise ValueError(f"this pipeline runs {self.segmenter.card.name}, not {crop.model}")
        if len(plan.crops) == 1:
            return self.run_small(images[0], frame_id, plan.crops[0].rect, plan.frame_size)
        t0 = time.perf_counter()
        probs = [self.segmenter.infer_small(image) for image in images]
        infer_ms = (time.perf_counter() - t0) * 1e3
        prob, small_rgb, rect, found = _stitch(probs, images, plan, self.segmenter.model_size)
        return self._post(prob, small_rgb, frame_id, rect, plan.frame_size, infer_ms, found)

    def run_small(self, small_rgb: np.ndarray, frame_id: int = 0, rect: Rect = FULL,
                  frame_size: tuple[int, int] = (0, 0)) -> MaskResult:
        """uint8 RGB of `rect` at the model's size -> MaskResult. frame_size is needed with tracking."""
        t0 = time.perf_counter()
        prob = self.segmenter.infer_small(small_rgb)
        return self._post(prob, small_rgb, frame_id, rect, frame_size, (time.perf_counter() - t0) * 1e3)

    def _post(self, prob: np.ndarray, small_rgb: np.ndarray, frame_id: int, rect: Rect,
              frame_size: tuple[int, int], infer_ms: float,
              found: tuple[np.ndarray, Rect] | None = None) -> MaskResult:
        """A mask over `rect` (float, with the pixels it was made from) -> temporal filter, tracking,
        refinement coefficients. `found`: a search's mask, with the people it added, for the tracker."""
        t1 = time.perf_counter()
        o = self.options
        size = (prob.shape[1], prob.shape[0])
        warp = None  # the history realigned when the crop moved (one frame size: core/stream.py resets on a new one)
        if self._prev is not None and self._prev != (rect, size) and frame_size[0]:
            warp = model_to_model(*frame_size, *self._prev, rect, size)
        prob = self.temporal(prob, small_rgb, warp)
        prob = remove_small_blobs(prob, o.min_blob)
        if o.tracking and frame_size[0]:
            self.tracker.update(*(found or (prob, rect)), *frame_size, moving=self.temporal.moving)
        self._prev = (rect, size)
        coeffs = refine.guided_coefficients(prob, small_rgb, o.refine_radius, o.refine_eps, o.refine) \
            if o.refine > 0.0 else None
        t2 = time.perf_counter()
        status = MaskStatus(searching=o.tracking and bool(frame_size[0]) and self.tracker.searching)
        return MaskResult(frame_id, to_u8(prob), coeffs, infer_ms, (t2 - t1) * 1e3, rect, status)


def _stitch(probs: list[np.ndarray], images: tuple[np.ndarray, ...], plan: FramePlan, grid: tuple[int, int]
            ) -> tuple[np.ndarray, np.ndarray, Rect, tuple[np.ndarray, Rect] | None]:
    """Several crops' masks (and pixels, for the temporal filter and refinement) on one grid of the
    model's size over the rectangle holding them all: the most likely person wins where they
    overlap; the pixels come from the first crop that covers them. A people's crop that finds
    nobody (someone who left; a search's false find, given a crop of its own) is left out, so it
    does not coarsen the grid. Searching crops never change the mask of the frame they look at:
    the people they add (their mask and rectangle, the last item) go to the tracker, whose crops
    show them from the next frame; a false find then changes nothing anyone sees."""
    crops = list(zip(probs, images, plan.crops, strict=True))
    own = [c for c in crops if not c[2].search]
    prob, rgb, rect, _ = _stitch_on([c for c in own if c[0].max() > 0.5] or own[:1], plan.frame_size, grid)
    assert rgb is not None
    if len(own) == len(crops):
        return prob, rgb, rect, None
    with_search, _, search_rect, added = _stitch_on(crops, plan.frame_size, grid, pixels=False)
    return prob, rgb, rect, (with_search, search_rect) if added else None


IDENTITY = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])


def _stitch_on(crops: list, frame_size: tuple[int, int], grid: tuple[int, int], pixels: bool = True
               ) -> tuple[np.ndarray, np.ndarray | None, Rect, bool]:
    """_stitch's work: also whether the searching crops added anyone. `pixels`: also the pixels (the
    search's stitch needs only the mask). A crop already on the grid (one person's crop, the grid over
    it alone) is taken as it is: warping it through the identity would copy it exactly, at a cost."""
    w, h = frame_size
    rects = [c.rect for _, _, c in crops]
    rect = Rect(min(r.x0 for r in rects), min(r.y0 for r in rects), max(r.x1 for r in rects), max(r.y1 for r in rects))
    prob = np.zeros(grid[::-1], np.float32)
    rgb = np.zeros(grid[::-1] + (3,), np.uint8) if pixels else None
    covered = np.zeros(grid[::-1], bool)
    added = False
    for p, image, crop in crops:
        m = model_to_model(w, h, crop.rect, (p.shape[1], p.shape[0]), rect, grid)
        same = p.shape == grid[::-1] and bool((m == IDENTITY).all())
        warped = p if same else cv2.warpAffine(p, m, grid, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
        if crop.search:
            warped = _new_people(warped, prob)
            added = added or bool(warped.any())
        prob = np.maximum(prob, warped)
        if rgb is None:
            continue
        # cv2.copyTo with a mask: rgb[fill] = ...[fill] (a 2-D boolean index into 3 channels) cost 6 ms here.
        if same:
            rgb = cv2.copyTo(image, (~covered).view(np.uint8), rgb)
            covered[:] = True
            continue
        inside = cv2.warpAffine(np.ones(p.shape, np.uint8), m, grid, flags=cv2.INTER_NEAREST,
                                borderMode=cv2.BORDER_CONSTANT) > 0
        fill = inside & ~covered
        rgb = cv2.copyTo(cv2.warpAffine(image, m, grid, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE),
                         fill.view(np.uint8), rgb)
        covered |= inside
    return prob, rgb, rect, added


NEW_PERSON_MIN_AREA = 0.001  # of the grid: a person the whole frame missed is larger than this
NEW_PERSON_MIN_P = 0.55  # and the search is this sure of it on average (a zoomed-in wall is no person)


def _new_people(tile: np.ndarray, whole: np.ndarray) -> np.ndarray:
    """A searching crop's mask (on the grid) reduced to the confident blobs that touch nothing the
    crops before it found (`whole`): people too small for the whole-frame look, people who came in.
    Where a person was found already, that mask stays: a coarser look adds only false edges (and
    the whole-frame look takes large red graffiti for a person, where a tracked crop does not)."""
    person = tile > 0.5
    # A small person seen faintly comes in pieces: pieces a few cells apart are one blob.
    blobs = cv2.dilate(person.astype(np.uint8), np.ones((5, 5), np.uint8))
    n, labels, stats, _ = cv2.connectedComponentsWithStats(blobs, connectivity=8, ltype=cv2.CV_16U)
    seen = cv2.dilate((whole > 0.5).astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
    # Per blob (its person pixels), at once: area, whether any was seen, mean probability.
    label = labels[person]
    area = np.bincount(label, minlength=n)
    touches = np.bincount(label, weights=seen[person], minlength=n) > 0
    mean = np.bincount(label, weights=tile[person], minlength=n) / np.maximum(area, 1)
    new = (area >= NEW_PERSON_MIN_AREA * tile.size) & ~touches & (mean >= NEW_PERSON_MIN_P)
    new[0] = False
    out = np.zeros(tile.shape, np.float32)
    if new.any():  # mostly not: nobody new
        keep = person & new[labels]
        out[keep] = tile[keep]
    return out
