"""OpenCV as the OpenCV inside MediaPipe 0.10.14 computes it, to the last bit: the pose pipeline
(core/pose.py) reproduces MediaPipe's crops exactly only with these, because opencv-python 4.10 and
5.x round a few values differently and the tracking loop amplifies a one-level difference."""

from __future__ import annotations

import functools
import math

import cv2
import numpy as np


def rotated_rect_points(x_center: float, y_center: float, width: float, height: float, rotation: float,
                        frame_width: int, frame_height: int) -> np.ndarray:
    """Corners in frame pixels of a rotated rectangle in normalised coordinates (MediaPipe's
    NormalizedRect, made square as PadRoi does): bottom-left, top-left, top-right, bottom-right,
    computed as cv::RotatedRect::points, in float32 from ImageToTensor's float products.
    (cv2.boxPoints in opencv-python 4.10 and 5.x rounds the corners otherwise: a 7th-digit
    difference that flips crop roundings and, through the tracking loop, drifts.)"""
    f = np.float32
    cx, cy = f(x_center) * f(frame_width), f(y_center) * f(frame_height)
    w, h = f(width) * f(frame_width), f(height) * f(frame_height)
    # PadRoi (keep_aspect_ratio, a square tensor): the side the float products make longer wins.
    w, h = (w, w) if f(1.0) > f(h / w) else (h, h)
    angle = f(float(f(rotation) * f(180.0)) / math.pi)  # RotatedRect's float angle, degrees
    radians = float(angle) * math.pi / 180.0
    b, a = f(math.cos(radians)) * f(0.5), f(math.sin(radians)) * f(0.5)
    p0 = (cx - a * h - b * w, cy + b * h - a * w)
    p1 = (cx + a * h - b * w, cy - b * h - a * w)
    p2 = (f(2) * cx - p0[0], f(2) * cy - p0[1])
    p3 = (f(2) * cx - p1[0], f(2) * cy - p1[1])
    return np.array([p0, p1, p2, p3], np.float32)


@functools.lru_cache(maxsize=4)
def _block_grid(w: int, h: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each output pixel's block start column, column in its block, and row (warpPerspective's
    walk: BLOCK_SZ 32, so blocks of min(1024 // min(16, h), w) columns)."""
    bw = min(1024 // min(16, h), w)
    xs, ys = np.meshgrid(np.arange(w, dtype=np.float64), np.arange(h, dtype=np.float64))
    xb = (xs // bw) * bw
    return xb, xs - xb, ys


def warp_u8(image: np.ndarray, m: np.ndarray, size: tuple[int, int], zero_border: bool) -> np.ndarray:
    """cv::warpPerspective(INTER_LINEAR) as the OpenCV inside MediaPipe computes it: source
    coordinates rounded to 1/32 pixel, 15-bit bilinear weights, the sum rounded. opencv-python
    4.10 and 5.x compute a tenth of the values one level apart, and the pose detector is sensitive
    enough for that to move its keypoints by a pixel (measured against MediaPipe's own input
    tensors: this matches them exactly)."""
    w, h = size
    inv = cv2.invert(m)[1]  # OpenCV's own LU, as warpPerspective inverts: the last bits decide roundings
    # warpPerspective walks the output in blocks (BLOCK_SZ 32: 64 columns here) and sums in that
    # order: (M0 * block_x + M1 * y + M2) + M0 * x_in_block; the same order gives the same ties.
    xb, x1, ys = _block_grid(w, h)
    w0 = inv[2, 0] * xb + inv[2, 1] * ys + inv[2, 2]
    den = w0 + inv[2, 0] * x1
    scale = np.where(den != 0, 32.0 / np.where(den != 0, den, 1.0), 0.0)
    fx = np.rint(((inv[0, 0] * xb + inv[0, 1] * ys + inv[0, 2]) + inv[0, 0] * x1) * scale).astype(np.int64)
    fy = np.rint(((inv[1, 0] * xb + inv[1, 1] * ys + inv[1, 2]) + inv[1, 0] * x1) * scale).astype(np.int64)
    # OpenCV's own fixed-point remap with those coordinates: integer parts and a 5+5-bit weight index.
    map1 = np.stack([fx >> 5, fy >> 5], -1).astype(np.int16)
    map2 = ((fy & 31) * 32 + (fx & 31)).astype(np.uint16)
    border = cv2.BORDER_CONSTANT if zero_border else cv2.BORDER_REPLICATE
    return cv2.remap(image, map1, map2, cv2.INTER_LINEAR, borderMode=border, borderValue=0)
