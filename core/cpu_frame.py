"""The OBS filter's mask path with the GPU's part done on the CPU: a whole frame -> its plan -> the
plan's crops cut on the CPU -> `run_plan` -> the mask at the frame's size. One path for every
pipeline, so the command line (`backdrop process/eval`), the benchmarks and the tests score what OBS
runs: the filter draws the same crops on the GPU (obs_script/frame_capture.py) and computes
`full_size`'s mask per pixel in its shader.
"""

from __future__ import annotations

import cv2
import numpy as np

from . import refine
from .geometry import model_to_frame
from .mask_source import Crop, FramePlan, MaskResult, MaskSource
from .pose import cut
from .postprocess import to_u8
from .preprocess import resize_to_model


def cut_crop(frame_rgb: np.ndarray, crop: Crop) -> np.ndarray:
    """One crop of a plan, cut on the CPU (uint8 RGB at its size) as the OBS filter draws it on the
    GPU: a rectangle stretched with MediaPipe's warp, or a quad (the pose's) as its ImageToTensor cuts it."""
    return cut(frame_rgb, crop) if crop.quad is not None else resize_to_model(frame_rgb, *crop.size, crop.rect)


def cut_crops(frame_rgb: np.ndarray, plan: FramePlan) -> tuple[np.ndarray, ...]:
    return tuple(cut_crop(frame_rgb, c) for c in plan.crops)


def run_frame(source: MaskSource, frame_rgb: np.ndarray, frame_id: int = 0) -> MaskResult:
    """uint8 RGB frame of any size -> the pipeline's MaskResult, through its plan."""
    h, w = frame_rgb.shape[:2]
    plan = source.plan(w, h)
    return source.run_plan(cut_crops(frame_rgb, plan), frame_id, plan)


def full_size(result: MaskResult, frame_rgb: np.ndarray) -> np.ndarray:
    """uint8 refined mask q at the frame's size (what the shader computes per pixel): A * luma + B
    inside the result's rectangle, 0 outside; without coefficients (no refinement) the mask itself,
    upsampled bilinearly."""
    h, w = frame_rgb.shape[:2]
    if result.rect.is_full:
        if result.coeffs is None:  # A = 0, B = p: plain bilinear upsampling, done in 8 bits
            return cv2.resize(result.mask, (w, h), interpolation=cv2.INTER_LINEAR)
        return to_u8(refine.apply(result.coeffs, frame_rgb))
    mh, mw = result.mask.shape
    m = model_to_frame(w, h, result.rect, mw, mh)
    if result.coeffs is None:
        return cv2.warpAffine(result.mask, m, (w, h), flags=cv2.INTER_LINEAR,
                              borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    ab = cv2.warpAffine(result.coeffs, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
    q = ab[:, :, 0] * refine.luma(frame_rgb[:, :, :3]) + ab[:, :, 1]
    return to_u8(np.clip(q, 0.0, 1.0))


def frame_mask(source: MaskSource, frame_rgb: np.ndarray, frame_id: int = 0) -> np.ndarray:
    """uint8 RGB frame -> its mask at the frame's size, 255 = person."""
    return full_size(run_frame(source, frame_rgb, frame_id), frame_rgb)
