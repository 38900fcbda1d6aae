"""Backdrop's vocabulary: the modes, their defaults and the compositing constants, defined once.

Read by the CPU reference (core/tools/composite.py, core/refine.py), the CLI, the OBS filter's settings
and its GPU side; the numbers the shaders need are also written in obs_script/data/*.effect (an
effect file cannot import Python), and tests/unit/test_vocabulary.py reads them back out of those files.
"""

from __future__ import annotations

import math

MODES = ("transparent", "blur", "image", "color")

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
EMPTY_WEIGHT = 1e-2  # blur: below this background weight the unblurred picture fades in (at 0: all of it)
BLUR_SCALE = 4  # the background blur runs at 1/4 of the frame's size
BLUR_RADIUS_SIGMAS = 3.0  # the GPU's Gaussian reaches this far; OpenCV's reaches 4 sigma
# The GPU blur's prefilters (backdrop_blur.effect), whose variances the Gaussian after them leaves out:
DOWN_VARIANCE = 2.25  # full -> 1/4: [1 1 2 2 1 1] / 8 per axis, in frame pixels^2
HALF_VARIANCE = 0.75  # each halving: [1 3 3 1] / 8 per axis, in texels^2 of the grid it reads
CPU_PREFILTER_SIGMA = 2.0  # the CPU reference's Gaussian before its area resize to 1/4, frame pixels
WRAP_SIGMA = 0.01  # light-wrap reach, as a fraction of the frame diagonal (CPU reference)


def blur_sigma(strength: float) -> float:
    """Blur strength (sigma in frame pixels) -> sigma in texels of the 1/4-size blur."""
    return max(strength / BLUR_SCALE, 0.5)


def blur_pairs(sigma: float) -> int:
    """Texel pairs each side of the centre for the GPU's Gaussian: 2 * pairs >= 3 sigma."""
    return max(1, math.ceil(BLUR_RADIUS_SIGMAS * sigma / 2.0))


def gpu_blur_plan(strength: float) -> tuple[int, float, int]:
    """(halvings, sigma, pairs) for the GPU's Gaussian: the 1/4-size background is halved while the
    blur stays at least 3 texels wide there, at most twice, so the Gaussian reads as few texels as
    its shape allows (GPU time grows with texels x taps). The prefilters of the downsample and of
    each halving are Gaussian-like blurs themselves: their variances add up to the strength's, and
    the Gaussian gives the rest."""
    variance, texel, halvings = strength * strength - DOWN_VARIANCE, float(BLUR_SCALE), 0
    while math.sqrt(max(variance, 0.0)) / texel >= 3.0 and halvings < 2:
        variance -= HALF_VARIANCE * texel * texel
        texel, halvings = 2.0 * texel, halvings + 1
    sigma = max(math.sqrt(max(variance, 0.0)) / texel, 0.5)
    return halvings, sigma, blur_pairs(sigma)


BLUR_GRID_ORIGIN = -1  # frame pixel where the GPU blur's grids start (see gpu_blur_grids)


def gpu_blur_grids(width: int, height: int, halvings: int) -> list[tuple[int, int, int]]:
    """(columns, rows, frame pixels per texel) of the GPU blur's 1/4-size grid and of each halving.
    Each grid is a whole number of texels of its size from BLUR_GRID_ORIGIN on, so it reaches a
    little past the frame's edges when the size does not divide (854 / 4 = 213.5: 214 texels):
    every texel then covers the same pixels at every frame size, and no beat between the frame's
    grid and the blur's shows up as bands. The origin puts the downsample's bilinear taps between
    an even and the next odd pixel (as the 4x4 box before them): a tap mixes two pixels' colours
    before the person is weighted out, so an edge between such a pair leaks a little colour."""
    extent = lambda n: -(-(n - BLUR_GRID_ORIGIN) // BLUR_SCALE)  # noqa: E731
    cols, rows, texel = extent(width), extent(height), BLUR_SCALE
    grids = [(cols, rows, texel)]
    for _ in range(halvings):
        cols, rows, texel = -(-cols // 2), -(-rows // 2), texel * 2
        grids.append((cols, rows, texel))
    return grids


def blur_size(width: int, height: int) -> tuple[int, int]:
    """The CPU reference's 1/4 size (core/tools/composite.py: an area resize, exact at any ratio)."""
    return max(1, width // BLUR_SCALE), max(1, height // BLUR_SCALE)


def cover_fit(width: int, height: int, pic_w: int, pic_h: int) -> tuple[float, float, float, float]:
    """"Cover" fit of a pic_w x pic_h picture on a width x height frame, as uv maths:
    (scale_x, scale_y, offset_x, offset_y) with picture uv = frame uv * scale + offset. The picture
    fills the frame and its overflow is cropped equally on both sides, never stretched."""
    scale = max(width / pic_w, height / pic_h)
    sx, sy = width / (pic_w * scale), height / (pic_h * scale)
    return sx, sy, (1.0 - sx) / 2.0, (1.0 - sy) / 2.0
