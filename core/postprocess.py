"""Model-resolution mask -> frame-resolution mask (the plain path; refinement lives elsewhere)."""

from __future__ import annotations

import cv2
import numpy as np


def to_u8(prob: np.ndarray) -> np.ndarray:
    """float P(person) in [0,1] -> uint8 0..255 (255 = person), rounded."""
    return np.clip(prob * 255.0 + 0.5, 0, 255).astype(np.uint8)


def upsample(mask: np.ndarray, width: int, height: int) -> np.ndarray:
    """Bilinear upsampling at pixel centres (what a GPU's linear sampler does)."""
    if mask.shape[:2] == (height, width):
        return mask
    return cv2.resize(mask, (width, height), interpolation=cv2.INTER_LINEAR)
