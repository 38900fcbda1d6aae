"""The blur tests' yardstick: pictures that show a bad resampler at once, and the exact Gaussian."""

from __future__ import annotations

import math

import cv2
import numpy as np

BLUR_SIZES = ((854, 480), (1280, 720), (1920, 1080), (1366, 768))


def dot_grid(w: int, h: int, period: int, person: tuple[int, int, int]) -> np.ndarray:
    """Bright 3x3 dots every `period` px on dark grey (string lights, blinds, tiles, text behind a
    streamer), the red person on the right half. The dots' level puts the grid's mean on a whole
    level: a blur of it is then even in 8 bits too, where a mean near x.5 alone would make rounding
    flip whole columns between two levels (column-mean std 0.18 for a perfect Gaussian)."""
    share = 9.0 / (period * period)
    dot = min(255, round(40 + (math.floor(40 + 215 * share) - 40) / share))
    img = np.full((h, w, 3), 40, np.uint8)
    for dy in range(3):
        for dx in range(3):
            img[period // 2 + dy::period, period // 2 + dx::period] = dot
    img[:, w // 2:] = person
    return img


def split_alpha(w: int, h: int) -> np.ndarray:
    """The filter's "split" test mask (the right half is the person) as the GPU upsamples and cuts it:
    alpha in 0..1 at the frame's size."""
    from core.tools.composite import smoothstep_alpha

    mask = np.zeros((256, 256), np.float32)
    mask[:, 128:] = 1.0
    return smoothstep_alpha(cv2.resize(mask, (w, h), interpolation=cv2.INTER_LINEAR), 0.5, 0.3)


def exact_blur(frame: np.ndarray, alpha: np.ndarray, strength: float) -> np.ndarray:
    """The exact float Gaussian of the background with the person weighted out, at full resolution."""
    inv = (1.0 - alpha).astype(np.float32)
    blur = lambda x: cv2.GaussianBlur(x, (0, 0), strength, borderType=cv2.BORDER_REPLICATE)  # noqa: E731
    return blur(frame.astype(np.float32) * inv[:, :, None]) / np.maximum(blur(inv), 1e-6)[:, :, None]


def evenness(img: np.ndarray) -> tuple[float, float]:
    """(std of the column means, std of the row means): bands and lattices show up here."""
    grey = img.astype(np.float64).mean(axis=2)
    return float(grey.mean(axis=0).std()), float(grey.mean(axis=1).std())
