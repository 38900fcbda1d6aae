"""Compositing, CPU reference: the oracle the OBS shader is tested against, and the offline CLI path.

Maths (all in the colour space of the 8-bit input, which is what OBS renders SDR sources in):
    q      refined mask in [0, 1] (refine.apply)
    alpha  = smoothstep(t - s/2, t + s/2, q)          threshold t, edge softness s
    wrap   = light_wrap * alpha * blur_w(1 - alpha)     background light spilling onto the edge
                                                        (blur_w: Gaussian, sigma 1% of the diagonal)
    fg'    = fg + wrap * (bg - fg)
    out    = alpha * fg' + (1 - alpha) * bg             ("transparent": RGBA with alpha * source alpha)
The blurred background is a normalised convolution, blur(fg * (1 - alpha)) / blur(1 - alpha), at a
quarter of the resolution: the person is left out of it, so no halo of them bleeds into the blur.
The blur is OpenCV's exact Gaussian at sigma = strength / 4 quarter-size pixels, with the frame's
edge pixels repeated beyond it (what the GPU's clamped sampler does); the GPU's passes
(obs_script/data/backdrop_blur.effect) are tested against it.
The shader reaches the light-wrap neighbourhood with 3x3 taps of the model-size mask instead of a
Gaussian; both brighten the same edge band.
Weighted sums run in OpenCV's SIMD code (float numpy measured 37 ms at 1080p).
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from .. import vocabulary as V
from ..geometry import Rect
from ..vocabulary import MODES


def smoothstep_alpha(q: np.ndarray, threshold: float = V.THRESHOLD, softness: float = V.SOFTNESS) -> np.ndarray:
    """Refined mask in [0, 1] -> alpha in [0, 1], with a soft edge `softness` wide around `threshold`."""
    half = max(softness, V.MIN_SOFTNESS) / 2.0
    t = np.clip((q - (threshold - half)) * (1.0 / (2.0 * half)), 0.0, 1.0)
    return t * t * (3.0 - 2.0 * t)


def frame_window(image: np.ndarray, rect: Rect) -> np.ndarray:
    """The part `rect` (normalised) of `image`, scaled to the image's size: the samples the filter's
    shader takes for auto-frame (bilinear at pixel centres, edges repeated)."""
    if rect.is_full:
        return image
    h, w = image.shape[:2]
    x0, y0, rw, rh = rect.x0, rect.y0, rect.width, rect.height
    # output pixel i's centre (i + 1/2) / w -> frame uv x0 + rw (i + 1/2) / w -> frame pixel uv * w - 1/2
    m = np.array([[rw, 0.0, x0 * w + 0.5 * rw - 0.5], [0.0, rh, y0 * h + 0.5 * rh - 0.5]])
    return cv2.warpAffine(image, m, (w, h), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                          borderMode=cv2.BORDER_REPLICATE)


def alpha_lut(threshold: float = V.THRESHOLD, softness: float = V.SOFTNESS) -> np.ndarray:
    """smoothstep_alpha as a 256-entry uint8 table, for 8-bit masks (one cv2.LUT per frame)."""
    return np.clip(smoothstep_alpha(np.arange(256, dtype=np.float32) / 255.0, threshold, softness) * 255.0 + 0.5,
                   0, 255).astype(np.uint8)


def cover(image: np.ndarray, width: int, height: int) -> np.ndarray:
    """Scale `image` to fill width x height, cropping the overflow equally (CSS `cover`)."""
    ih, iw = image.shape[:2]
    sx, sy, ox, oy = V.cover_fit(width, height, iw, ih)
    x0, y0 = round(ox * iw), round(oy * ih)
    crop = image[y0:y0 + max(1, round(sy * ih)), x0:x0 + max(1, round(sx * iw))]
    shrink = crop.shape[1] > width
    return cv2.resize(crop, (width, height), interpolation=cv2.INTER_AREA if shrink else cv2.INTER_LINEAR)


def blend(fg: np.ndarray, bg: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """uint8 fg * w + bg * (1 - w), w = weight / 255, in 8-bit OpenCV arithmetic (rounding error <= 1)."""
    w3 = cv2.merge([weight, weight, weight])
    return cv2.add(cv2.multiply(fg, w3, scale=1.0 / 255.0), cv2.multiply(bg, cv2.bitwise_not(w3), scale=1.0 / 255.0))


def masked_blur(rgb: np.ndarray, alpha: np.ndarray, sigma: float) -> np.ndarray:
    """The background with the person left out, blurred, at full size (uint8 alpha in).

    Normalised convolution at 1/4 size: blur(fg * (1 - a)) / blur(1 - a), the person weighted out
    pixel by pixel before the area downscale. Where little background is near (the blurred weight
    below EMPTY_WEIGHT) the unblurred picture fades in, all of it where none is, as the shader does.
    """
    h, w = rgb.shape[:2]
    size = V.blur_size(w, h)
    inv = cv2.bitwise_not(alpha)
    premultiplied = cv2.multiply(rgb[:, :, :3], cv2.merge([inv, inv, inv]), scale=1.0 / 255.0, dtype=cv2.CV_32F)
    weight: np.ndarray = inv.astype(np.float32) / 255.0
    # A Gaussian prefilter before the area resize: the resize's box alone lets a dot grid's harmonics
    # near 1/4 cycle per pixel fold onto the blur (column means 400x less even than the exact
    # Gaussian's at strength 8 on 9-pixel dots). The variances of the prefilter, of the 4x4 box and
    # of the Gaussian at 1/4 size add up to the strength's.
    pre = min(V.CPU_PREFILTER_SIGMA, 0.5 * sigma)
    if pre > 0.0:
        premultiplied = cv2.GaussianBlur(premultiplied, (0, 0), pre, borderType=cv2.BORDER_REPLICATE)
        weight = cv2.GaussianBlur(weight, (0, 0), pre, borderType=cv2.BORDER_REPLICATE)
    num = cv2.resize(premultiplied, size, interpolation=cv2.INTER_AREA)
    weight = cv2.resize(weight, size, interpolation=cv2.INTER_AREA)
    box = (V.BLUR_SCALE * V.BLUR_SCALE - 1) / 12.0  # a 4-pixel box's variance
    s = max(math.sqrt(max(sigma * sigma - pre * pre - box, 0.0)) / V.BLUR_SCALE, 0.5)
    num = cv2.GaussianBlur(num, (0, 0), s, borderType=cv2.BORDER_REPLICATE)
    den = cv2.GaussianBlur(weight, (0, 0), s, borderType=cv2.BORDER_REPLICATE)
    # blurred * t + fg * (1 - t), with blurred = num / den, t = min(den / e, 1): only the 1/4-size parts
    # are float; the full-size step is one 8-bit blend.
    blurred = np.clip(num / np.maximum(den, 1e-6)[:, :, None] + 0.5, 0, 255).astype(np.uint8)
    t = np.clip(den / V.EMPTY_WEIGHT * 255.0 + 0.5, 0, 255).astype(np.uint8)
    up = cv2.resize(blurred, (w, h), interpolation=cv2.INTER_LINEAR)
    return blend(up, np.ascontiguousarray(rgb[:, :, :3]), cv2.resize(t, (w, h), interpolation=cv2.INTER_LINEAR))


def composite(frame: np.ndarray, q: np.ndarray, mode: str = V.MODE, *, threshold: float = V.THRESHOLD,
              softness: float = V.SOFTNESS, color: tuple[int, int, int] = V.COLOR_RGB,
              background: np.ndarray | None = None, blur_sigma: float = V.BLUR_STRENGTH,
              light_wrap: float = V.LIGHT_WRAP) -> np.ndarray:
    """uint8 RGB(A) frame + uint8 refined mask q (255 = person) -> uint8 RGBA ("transparent") or RGB."""
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}; choose one of {', '.join(MODES)}")
    h, w = frame.shape[:2]
    alpha = cv2.LUT(q, alpha_lut(threshold, softness))
    rgb = np.ascontiguousarray(frame[:, :, :3])
    if mode == "transparent":
        if frame.shape[2] == 4:  # the source's own alpha is respected
            alpha = cv2.multiply(alpha, np.ascontiguousarray(frame[:, :, 3]), scale=1.0 / 255.0)
        return cv2.merge([*cv2.split(rgb), alpha])
    if mode == "blur":
        bg = masked_blur(rgb, alpha, blur_sigma)
    elif mode == "image":
        if background is None:
            raise ValueError("image mode needs a background image")
        bg = np.ascontiguousarray(cover(background[:, :, :3], w, h))
    else:
        bg = np.empty_like(rgb)
        bg[:] = np.asarray(color, np.uint8)
    if light_wrap > 0.0:
        reach = V.WRAP_SIGMA * float(np.hypot(w, h))
        small = cv2.resize(alpha, V.blur_size(w, h), interpolation=cv2.INTER_AREA)
        inv = cv2.GaussianBlur(cv2.bitwise_not(small), (0, 0), V.blur_sigma(reach))
        wrap = cv2.multiply(alpha, cv2.resize(inv, (w, h), interpolation=cv2.INTER_LINEAR), scale=light_wrap / 255.0)
        rgb = blend(bg, rgb, wrap)
    return blend(rgb, bg, alpha)
