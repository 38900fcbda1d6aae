"""The one rectangle type (`Rect`) and the maps between a frame and a model's crop of it.

A leaf, like the contract (core/mask_source.py, which imports `Rect` and `FULL` from here and is the
only product module allowed to; tests/test_architecture.py checks both): it imports no other module
of Backdrop, and numpy only inside the maps, so the OBS filter can import it before it knows whether
numpy is installed. A `Rect` is in normalised frame coordinates (0..1, the same on the CPU and in
the OBS shader at any frame size) unless the code holding it says frame pixels (the tracker's and
auto-frame's boxes).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray


@dataclass(frozen=True)
class Rect:
    x0: float = 0.0
    y0: float = 0.0
    x1: float = 1.0
    y1: float = 1.0

    @property
    def is_full(self) -> bool:
        return self == FULL

    @property
    def width(self) -> float:
        return self.x1 - self.x0

    @property
    def height(self) -> float:
        return self.y1 - self.y0

    @property
    def area(self) -> float:
        return (self.x1 - self.x0) * (self.y1 - self.y0)

    def union(self, other: Rect) -> Rect:
        """The smallest rectangle holding both."""
        return Rect(min(self.x0, other.x0), min(self.y0, other.y0), max(self.x1, other.x1), max(self.y1, other.y1))

    def overlaps(self, other: Rect) -> bool:
        """The two share more than an edge."""
        return self.x0 < other.x1 and other.x0 < self.x1 and self.y0 < other.y1 and other.y0 < self.y1

    def to_pixels(self, width: int, height: int) -> tuple[float, float, float, float]:
        """(x0, y0, x1, y1) of a normalised rectangle in frame pixels."""
        return self.x0 * width, self.y0 * height, self.x1 * width, self.y1 * height


FULL = Rect()  # the whole frame


def crop_to_model(width: int, height: int, rect: Rect, model_w: int, model_h: int) -> NDArray[np.float64]:
    """2x3 affine: frame pixel -> model input pixel, a pure scale of the crop (MediaPipe's sampling)."""
    import numpy as np

    x0, y0, x1, y1 = rect.to_pixels(width, height)
    sx, sy = model_w / (x1 - x0), model_h / (y1 - y0)
    return np.array([[sx, 0.0, -x0 * sx], [0.0, sy, -y0 * sy]], np.float64)


def model_to_frame(width: int, height: int, rect: Rect, model_w: int, model_h: int) -> NDArray[np.float64]:
    """2x3 affine: mask pixel -> frame pixel, centre-aligned (what the GPU's linear sampler does)."""
    import numpy as np

    x0, y0, x1, y1 = rect.to_pixels(width, height)
    kx, ky = (x1 - x0) / model_w, (y1 - y0) / model_h
    return np.array([[kx, 0.0, x0 + 0.5 * kx - 0.5], [0.0, ky, y0 + 0.5 * ky - 0.5]], np.float64)


def model_to_model(width: int, height: int, src: Rect, src_size: tuple[int, int], dst: Rect,
                   dst_size: tuple[int, int]) -> NDArray[np.float64]:
    """2x3 affine: pixel of a mask over `src` -> pixel of a mask over `dst` (sizes are (w, h)).

    Both maps to the frame are a scale and a shift per axis, so the composition is one too."""
    import numpy as np

    a = model_to_frame(width, height, src, *src_size)
    b = model_to_frame(width, height, dst, *dst_size)
    sx, sy = a[0, 0] / b[0, 0], a[1, 1] / b[1, 1]
    return np.array([[sx, 0.0, (a[0, 2] - b[0, 2]) / b[0, 0]], [0.0, sy, (a[1, 2] - b[1, 2]) / b[1, 1]]])
