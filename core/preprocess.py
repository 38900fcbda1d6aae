"""Frame -> model input, matching MediaPipe's own pre-processing.

MediaPipe stretches the whole frame to the model size (no letterbox) with an affine warp and
bilinear sampling, then scales to [0,1]. A plain `cv2.resize` samples differently and measurably
changes the mask, so we use the same warp.
"""

from __future__ import annotations

import cv2
import numpy as np

from .geometry import FULL, Rect, crop_to_model


def resize_to_model(frame_rgb: np.ndarray, width: int, height: int, rect: Rect = FULL) -> np.ndarray:
    """uint8 HxWx3 RGB -> uint8 height x width x 3: `rect` of the frame stretched with a pure-scale affine warp."""
    h, w = frame_rgb.shape[:2]
    if (w, h) == (width, height) and rect.is_full:
        return frame_rgb
    return cv2.warpAffine(frame_rgb, crop_to_model(w, h, rect, width, height), (width, height),
                          flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def to_tensor(small_rgb: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """uint8 HxWx3 at model size -> float32 [1,H,W,3] in [0,1], reusing `out` when given."""
    h, w = small_rgb.shape[:2]
    if out is None:
        out = np.empty((1, h, w, 3), np.float32)
    np.multiply(small_rgb, np.float32(1.0 / 255.0), out=out[0], casting="unsafe")
    return out
