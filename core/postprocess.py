"""The model's float probabilities as the 8-bit mask every later stage uses."""

from __future__ import annotations

import numpy as np


def to_u8(prob: np.ndarray) -> np.ndarray:
    """float P(person) in [0,1] -> uint8 0..255 (255 = person), rounded."""
    return np.clip(prob * 255.0 + 0.5, 0, 255).astype(np.uint8)
