"""The mask path: model-size RGB frame -> inference -> temporal filter -> refinement coefficients.

Hand-off contract to compositing (the CPU reference here, the OBS shader in the filter): a
`MaskResult` at model resolution with the id of the frame it came from, an 8-bit probability mask
(255 = person) and the refinement coefficients (A, B); the full-resolution mask is A * luma + B,
after which threshold and edge softness are applied (composite.smoothstep_alpha).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import cv2
import numpy as np

from . import refine
from .postprocess import to_u8
from .preprocess import resize_to_model
from .segmenter import Segmenter
from .temporal import TemporalFilter, remove_small_blobs


@dataclass
class MaskOptions:
    temporal: float = 0.6  # 0 = off, 1 = heaviest smoothing on still regions (0.6: measured, see README)
    min_blob: float = 0.0  # drop person blobs smaller than this fraction of the largest
    refine: float = 0.0  # guided-upsampling strength, 0 = plain bilinear (measured: no gain on shared/eval yet)
    refine_radius: int = 2  # in model pixels
    refine_eps: float = 1e-3


@dataclass
class MaskResult:
    frame_id: int
    mask: np.ndarray  # uint8 HxW at model size, P(person) * 255
    coeffs: np.ndarray  # float32 HxWx2 (A, B)
    infer_ms: float
    post_ms: float


class MaskPipeline:
    """One stream's state (temporal filter) over a possibly shared Segmenter."""

    def __init__(self, segmenter: Segmenter, options: MaskOptions | None = None) -> None:
        self.segmenter = segmenter
        self.options = options or MaskOptions()
        self.temporal = TemporalFilter(self.options.temporal)

    def configure(self, options: MaskOptions) -> None:
        if options.temporal != self.options.temporal:
            self.temporal = TemporalFilter(options.temporal)
        self.options = options

    def run_small(self, small_rgb: np.ndarray, frame_id: int = 0) -> MaskResult:
        """uint8 RGB at model size -> MaskResult."""
        t0 = time.perf_counter()
        prob = self.segmenter.infer_small(small_rgb)
        t1 = time.perf_counter()
        o = self.options
        prob = self.temporal(prob, small_rgb)
        prob = remove_small_blobs(prob, o.min_blob)
        coeffs = refine.guided_coefficients(prob, small_rgb, o.refine_radius, o.refine_eps, o.refine)
        t2 = time.perf_counter()
        return MaskResult(frame_id, to_u8(prob), coeffs, (t1 - t0) * 1e3, (t2 - t1) * 1e3)

    def run(self, frame_rgb: np.ndarray, frame_id: int = 0) -> MaskResult:
        """uint8 RGB frame of any size -> MaskResult."""
        return self.run_small(resize_to_model(frame_rgb, *self.segmenter.model_size), frame_id)

    def full_mask(self, result: MaskResult, frame_rgb: np.ndarray) -> np.ndarray:
        """uint8 refined mask q at the frame's size (what the shader computes per pixel)."""
        h, w = frame_rgb.shape[:2]
        if self.options.refine <= 0.0:  # A = 0, B = p: plain bilinear upsampling, done in 8 bits
            return cv2.resize(result.mask, (w, h), interpolation=cv2.INTER_LINEAR)
        return to_u8(refine.apply(result.coeffs, frame_rgb))
