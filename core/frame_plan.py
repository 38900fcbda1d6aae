"""What the mask path wants from the next frame: the crops to cut out of it, each at a model's size.

The OBS filter draws every crop on the GPU at model size and reads back only those pixels, so a
plan says everything the GPU needs (rectangles in frame coordinates, the output sizes) and what the
worker needs to interpret the pixels it gets back (which model, which frame size). Frozen: a plan
is made on the render thread and read on the mask worker, so nobody may change it in between.
Pure Python: the OBS filter imports it before it knows whether numpy and OpenCV are installed.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np


@dataclass(frozen=True)
class Rect:
    x0: float = 0.0
    y0: float = 0.0
    x1: float = 1.0
    y1: float = 1.0

    @property
    def is_full(self) -> bool:
        return self == FULL

    def to_pixels(self, width: int, height: int) -> tuple[float, float, float, float]:
        return self.x0 * width, self.y0 * height, self.x1 * width, self.y1 * height


FULL = Rect()

THUMB_SIDE = 256  # the motion thumbnail's longer side, in pixels: 256x144 for a 16:9 frame (core/motion.py)


def thumb_size(width: int, height: int) -> tuple[int, int]:
    """(w, h) of a frame's motion thumbnail: the frame's aspect, the longer side THUMB_SIDE."""
    scale = THUMB_SIDE / max(width, height)
    return max(16, round(width * scale)), max(16, round(height * scale))


# Four corners in normalised frame coordinates: top-left, top-right, bottom-right, bottom-left of
# the crop as the model sees it (a rotated square for a pose; may reach outside the frame).
Quad = tuple[tuple[float, float], tuple[float, float], tuple[float, float], tuple[float, float]]


class Border(Enum):
    """What a crop reaching beyond the frame sees there."""

    REPLICATE = "replicate"  # the frame's edge pixels (MediaPipe's landmark crops)
    ZERO = "zero"  # black (the detector's letterbox)


@dataclass(frozen=True)
class Roi:
    """A rotated rectangle in normalised frame coordinates (MediaPipe's NormalizedRect): where the
    pose's landmark model looks."""

    x_center: float
    y_center: float
    width: float
    height: float
    rotation: float  # radians

    def box_points(self, width: int, height: int) -> np.ndarray:
        """Corners in frame pixels, as MediaPipe's OpenCV computes them (core/opencv_exact.py)."""
        from .opencv_exact import rotated_rect_points  # numpy: only where a pose runs

        return rotated_rect_points(self.x_center, self.y_center, self.width, self.height, self.rotation, width,
                                   height)

    def quad(self, width: int, height: int) -> Quad:
        bl, tl, tr, br = ((float(x) / width, float(y) / height) for x, y in self.box_points(width, height))
        return tl, tr, br, bl


@dataclass(frozen=True)
class Crop:
    rect: Rect = FULL  # axis-aligned: normalised frame coordinates (0..1), the same at any frame size
    model: str = ""  # the model that runs on it
    size: tuple[int, int] = (0, 0)  # the model's input (width, height): what the crop is drawn at
    quad: Quad | None = None  # instead of `rect`: any four corners, drawn onto the model's square
    border: Border = Border.REPLICATE
    tag: Roi | None = None  # the pose's ROI this crop shows, handed back with it to the pipeline
    search: bool = False  # only looks for people the crops before it missed (core/roi.py)

    def frame_uv_map(self, width: int, height: int) -> tuple[tuple[float, float], tuple[float, float, float, float]]:
        """For a quad (a parallelogram): (origin, (x axis, y axis)) with frame uv = origin + u * x_axis +
        v * y_axis for crop uv (u, v), texel centres where OpenCV's warp puts them. core/pose.py's
        `cut` maps the quad's corners onto the crop's corner *coordinates* in OpenCV's pixel
        convention (pixel centres at integers), so crop pixel x sits at u * size - 1/2 and frame
        pixel X at uv * width - 1/2: the same samples as the CPU cut, drawn by the GPU."""
        if self.quad is None:
            raise ValueError("frame_uv_map: the crop has no quad")
        (tlx, tly), (trx, try_), _, (blx, bly) = self.quad
        mw, mh = self.size
        ex, ey = (trx - tlx, try_ - tly), (blx - tlx, bly - tly)
        ox = tlx - 0.5 / mw * ex[0] - 0.5 / mh * ey[0] + 0.5 / width
        oy = tly - 0.5 / mw * ex[1] - 0.5 / mh * ey[1] + 0.5 / height
        return (ox, oy), (*ex, *ey)


@dataclass(frozen=True)
class FramePlan:
    frame_size: tuple[int, int]  # (width, height) of the frame the crops come from
    crops: tuple[Crop, ...]

    @classmethod
    def whole(cls, width: int, height: int, model: str, size: tuple[int, int]) -> FramePlan:
        """The whole frame through one model."""
        return cls((width, height), (Crop(FULL, model, size),))
