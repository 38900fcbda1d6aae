"""Backdrop's vocabulary: the modes, their defaults and the compositing constants, defined once.

Read by the CPU reference (core/composite.py, core/refine.py), the CLI, the OBS filter's settings
and its GPU side; the numbers the shaders need are also written in obs_script/data/*.effect (an
effect file cannot import Python), and tests/test_vocabulary.py reads them back out of those files.
"""

from __future__ import annotations

import math

MODES = ("transparent", "blur", "image", "color")
MODE_LABELS = {"transparent": "Transparent (for compositing)", "blur": "Blur", "image": "Image",
               "color": "Colour"}

# Defaults a user meets in the OBS filter and in `backdrop process`.
MODE = "transparent"
THRESHOLD = 0.5
SOFTNESS = 0.3
BLUR_STRENGTH = 16  # Gaussian sigma in frame pixels
BLUR_RANGE = (1, 64)
COLOR_RGB = (0, 177, 64)  # green
LIGHT_WRAP = 0.0

# Shader constants (#define in obs_script/data/backdrop_common.effect, BLUR_SCALE in the filter).
LUMA_WEIGHTS = (0.2126, 0.7152, 0.0722)  # Rec. 709, as OBS's own colour conversions
MIN_SOFTNESS = 1e-3  # smoothstep needs a non-empty edge
EMPTY_WEIGHT = 1e-2  # blur: background weight below which the unblurred picture shows instead
BLUR_SCALE = 4  # the background blur runs at 1/4 of the frame's size
BLUR_RADIUS_SIGMAS = 3.0  # the GPU's Gaussian reaches this far; OpenCV's reaches 4 sigma
WRAP_SIGMA = 0.01  # light-wrap reach, as a fraction of the frame diagonal (CPU reference)


def blur_sigma(strength: float) -> float:
    """Blur strength (sigma in frame pixels) -> sigma in texels of the 1/4-size blur."""
    return max(strength / BLUR_SCALE, 0.5)


def blur_pairs(sigma: float) -> int:
    """Texel pairs each side of the centre for the GPU's Gaussian: 2 * pairs >= 3 sigma."""
    return max(1, math.ceil(BLUR_RADIUS_SIGMAS * sigma / 2.0))


def gpu_blur_plan(strength: float) -> tuple[int, float, int]:
    """(halvings, sigma, pairs) for the GPU's Gaussian: the 1/4-size background is halved (a 2x2
    box each time) while the blur stays at least 3 texels wide there, at most twice, so the
    Gaussian reads as few texels as its shape allows (GPU time grows with texels x taps)."""
    sigma, halvings = blur_sigma(strength), 0
    while sigma >= 3.0 and halvings < 2:
        sigma, halvings = sigma / 2.0, halvings + 1
    return halvings, sigma, blur_pairs(sigma)


def blur_size(width: int, height: int) -> tuple[int, int]:
    return max(1, width // BLUR_SCALE), max(1, height // BLUR_SCALE)


def cover_fit(width: int, height: int, pic_w: int, pic_h: int) -> tuple[float, float, float, float]:
    """"Cover" fit of a pic_w x pic_h picture on a width x height frame, as uv maths:
    (scale_x, scale_y, offset_x, offset_y) with picture uv = frame uv * scale + offset. The picture
    fills the frame and its overflow is cropped equally on both sides, never stretched."""
    scale = max(width / pic_w, height / pic_h)
    sx, sy = width / (pic_w * scale), height / (pic_h * scale)
    return sx, sy, (1.0 - sx) / 2.0, (1.0 - sy) / 2.0
