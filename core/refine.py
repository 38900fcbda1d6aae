"""Edge refinement: upsampling the low-resolution mask guided by the full-resolution picture.

A fast guided filter (He & Sun, 2015), the technique Google Meet uses: fit, in every window of the
model-resolution frame, the mask as a linear function of brightness, q = A * I + B. The pair (A, B)
is smooth, so it can be upsampled bilinearly and applied to the full-resolution brightness, giving
mask edges that follow the real edges of hair, shoulders and hands. The OBS shader does the last
step (`A * luma + B`, both sampled bilinearly) exactly as `apply` does here.

`strength` s blends with the plain mask inside the coefficients (A' = s A, B' = s B + (1 - s) p),
so "off" is the same formula with A = 0, B = p.
"""

from __future__ import annotations

import cv2
import numpy as np

from .vocabulary import LUMA_WEIGHTS

LUMA = np.array(LUMA_WEIGHTS, np.float32)


def luma(rgb: np.ndarray) -> np.ndarray:
    """uint8 RGB -> float32 brightness in [0, 1]."""
    return cv2.transform(rgb, (LUMA / 255.0).reshape(1, 3)).astype(np.float32, copy=False)


def guided_coefficients(prob: np.ndarray, small_rgb: np.ndarray, radius: int = 4, eps: float = 2e-3,
                        strength: float = 1.0) -> np.ndarray:
    """float32 HxWx2 (A, B) at model size such that the refined mask is A * luma + B."""
    p = prob.astype(np.float32, copy=False)
    if strength <= 0.0:
        return np.dstack([np.zeros_like(p), p])
    i = luma(small_rgb)
    k = (2 * radius + 1, 2 * radius + 1)

    def box(x):
        return cv2.boxFilter(x, -1, k, borderType=cv2.BORDER_REFLECT)

    mean_i, mean_p = box(i), box(p)
    cov_ip = box(i * p) - mean_i * mean_p
    var_i = box(i * i) - mean_i * mean_i
    a = cov_ip / (var_i + eps)
    b = mean_p - a * mean_i
    a, b = box(a), box(b)
    if strength < 1.0:
        a *= strength
        b = strength * b + (1.0 - strength) * p
    return np.dstack([a, b])


def apply(coeffs: np.ndarray, frame_rgb: np.ndarray) -> np.ndarray:
    """(A, B) at model size + the full-resolution frame -> float32 mask at frame size, in [0, 1]."""
    h, w = frame_rgb.shape[:2]
    ab = cv2.resize(coeffs, (w, h), interpolation=cv2.INTER_LINEAR)
    q = ab[:, :, 0] * luma(frame_rgb[:, :, :3]) + ab[:, :, 1]
    return np.clip(q, 0.0, 1.0, out=q)
