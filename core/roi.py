"""Person ROI tracking: run the model on a crop around the people instead of the whole frame.

The selfie model is tuned for a face that fills the frame; a person standing further back gets few
of its 256x256 input pixels and loses hands and hair. After a full-frame pass, the next frames are
run on a crop: the box around every person blob of the last mask (blobs of at least 5% of the
largest, so a group stays together), grown by a margin, widened to the aspect ratio of the model
that needs the least widening, and kept inside the frame. A full-frame pass comes back every
`full_every` frames (people entering), when nobody was found (people leaving), and whenever the
crop would cover most of the frame anyway (a person filling it).

Rectangles are in normalised frame coordinates (0..1), so they mean the same on the CPU and in the
OBS shader, at any frame size.
"""

from __future__ import annotations

import cv2
import numpy as np

from .frame_plan import FULL, Rect


def crop_to_model(width: int, height: int, rect: Rect, model_w: int, model_h: int) -> np.ndarray:
    """2x3 affine: frame pixel -> model input pixel, a pure scale of the crop (MediaPipe's sampling)."""
    x0, y0, x1, y1 = rect.to_pixels(width, height)
    sx, sy = model_w / (x1 - x0), model_h / (y1 - y0)
    return np.array([[sx, 0.0, -x0 * sx], [0.0, sy, -y0 * sy]], np.float64)


def model_to_frame(width: int, height: int, rect: Rect, model_w: int, model_h: int) -> np.ndarray:
    """2x3 affine: mask pixel -> frame pixel, centre-aligned (what the GPU's linear sampler does)."""
    x0, y0, x1, y1 = rect.to_pixels(width, height)
    kx, ky = (x1 - x0) / model_w, (y1 - y0) / model_h
    return np.array([[kx, 0.0, x0 + 0.5 * kx - 0.5], [0.0, ky, y0 + 0.5 * ky - 0.5]], np.float64)


def model_to_model(width: int, height: int, src: Rect, src_size: tuple[int, int], dst: Rect,
                   dst_size: tuple[int, int]) -> np.ndarray:
    """2x3 affine: pixel of a mask over `src` -> pixel of a mask over `dst` (sizes are (w, h)).

    Both maps to the frame are a scale and a shift per axis, so the composition is one too."""
    a = model_to_frame(width, height, src, *src_size)
    b = model_to_frame(width, height, dst, *dst_size)
    sx, sy = a[0, 0] / b[0, 0], a[1, 1] / b[1, 1]
    return np.array([[sx, 0.0, (a[0, 2] - b[0, 2]) / b[0, 0]], [0.0, sy, (a[1, 2] - b[1, 2]) / b[1, 1]]])


class RoiTracker:
    """Threads: `update` runs on the mask worker and publishes where people are as one immutable
    (rect, model) pair, replaced whole; `plan` runs on the render thread and reads it once, so it
    never sees the rectangle of one mask with the model of another. `since_full` is the render
    thread's own."""

    def __init__(self, aspects: dict[str, float], full_every: int = 30, margin: float = 0.15,
                 max_cover: float = 0.8) -> None:
        """aspects: model name -> its input's width / height."""
        self.aspects, self.full_every, self.margin, self.max_cover = aspects, full_every, margin, max_cover
        self.found: tuple[Rect, str] | None = None  # None: nobody, or a person filling the frame
        self.since_full = 0

    def reset(self) -> None:
        self.found, self.since_full = None, 0

    def _closest_model(self, aspect: float) -> str:
        return min(self.aspects, key=lambda m: abs(np.log(self.aspects[m] / aspect)))

    def plan(self, width: int, height: int) -> tuple[Rect, str]:
        """The rectangle and model for the next frame."""
        found = self.found
        if found is None or self.since_full >= self.full_every:
            self.since_full = 0
            return FULL, self._closest_model(width / height)
        self.since_full += 1
        return found

    def update(self, prob: np.ndarray, rect: Rect, width: int, height: int) -> None:
        """Learn where the people are from the mask just computed over `rect`."""
        binary = (prob > 0.5).astype(np.uint8)
        n, _, stats, _ = cv2.connectedComponentsWithStats(binary, connectivity=8, ltype=cv2.CV_16U)  # 16-bit: faster
        if n <= 1:
            self.found = None  # nobody: look at the whole frame next time
            return
        areas = stats[1:, cv2.CC_STAT_AREA]
        keep = stats[1:][areas >= 0.05 * areas.max()]
        mh, mw = prob.shape
        m2f = model_to_frame(width, height, rect, mw, mh)
        bx0 = keep[:, cv2.CC_STAT_LEFT].min()
        by0 = keep[:, cv2.CC_STAT_TOP].min()
        bx1 = (keep[:, cv2.CC_STAT_LEFT] + keep[:, cv2.CC_STAT_WIDTH]).max()
        by1 = (keep[:, cv2.CC_STAT_TOP] + keep[:, cv2.CC_STAT_HEIGHT]).max()
        x0, y0 = m2f @ [bx0 - 0.5, by0 - 0.5, 1.0]
        x1, y1 = m2f @ [bx1 - 0.5, by1 - 0.5, 1.0]
        grow = self.margin * max(x1 - x0, y1 - y0)
        x0, y0, x1, y1 = x0 - grow, y0 - grow, x1 + grow, y1 + grow
        # Widen to the aspect of the model that needs the least widening.
        best = None
        for model, aspect in self.aspects.items():
            w, h = x1 - x0, y1 - y0
            w2, h2 = max(w, h * aspect), max(h, w / aspect)
            if best is None or w2 * h2 < best[0]:
                best = (w2 * h2, model, w2, h2)
        _, model, w2, h2 = best
        w2, h2 = min(w2, width), min(h2, height)
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        nx0 = min(max(cx - w2 / 2, 0.0), width - w2)
        ny0 = min(max(cy - h2 / 2, 0.0), height - h2)
        if w2 * h2 >= self.max_cover * width * height:
            self.found = None  # a person filling the frame: the full frame is the crop
            return
        self.found = (Rect(nx0 / width, ny0 / height, (nx0 + w2) / width, (ny0 + h2) / height), model)
