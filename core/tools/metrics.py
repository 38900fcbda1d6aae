"""Mask quality metrics, as defined in shared/eval/README.md (DAVIS conventions).

J: IoU of (mask > 0.5) with the ground truth. F: boundary F-score with a tolerance of
round(0.008 * diagonal) pixels. flicker: 100 * mean |m_t - m_{t-1}| of the soft mask over pixels
whose ground truth did not change. dtSSD: 100 * RMS of the mask's temporal change minus the ground
truth's.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

_K3 = np.ones((3, 3), np.uint8)


def _disk(radius: int) -> np.ndarray:
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))


def jaccard(pred: np.ndarray, gt: np.ndarray) -> float:
    union = np.logical_or(pred, gt).sum()
    return 1.0 if union == 0 else float(np.logical_and(pred, gt).sum() / union)


def _boundary(mask: np.ndarray) -> np.ndarray:
    m = mask.astype(np.uint8)
    return (m - cv2.erode(m, _K3, borderType=cv2.BORDER_CONSTANT, borderValue=0)).astype(bool)


def boundary_f(pred: np.ndarray, gt: np.ndarray) -> float:
    h, w = gt.shape
    tol = max(1, round(0.008 * math.hypot(h, w)))
    bp, bg = _boundary(pred), _boundary(gt)
    if not bp.any() and not bg.any():
        return 1.0
    if not bp.any() or not bg.any():
        return 0.0
    disk = _disk(tol)
    bg_near = cv2.dilate(bg.astype(np.uint8), disk).astype(bool)
    bp_near = cv2.dilate(bp.astype(np.uint8), disk).astype(bool)
    precision = float((bp & bg_near).sum() / bp.sum())
    recall = float((bg & bp_near).sum() / bg.sum())
    return 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)


def drop_unannotated_blobs(pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
    """Keep only predicted blobs touching the ground truth dilated by 2% of the diagonal."""
    h, w = gt.shape
    near = cv2.dilate(gt.astype(np.uint8), _disk(max(1, round(0.02 * math.hypot(h, w))))).astype(bool)
    n, labels = cv2.connectedComponents(pred.astype(np.uint8), connectivity=8)
    keep = np.unique(labels[near & pred])
    keep = keep[keep > 0]
    return np.isin(labels, keep)


class SequenceScore:
    """Accumulates J, F, flicker and dtSSD over the frames of one video (or independent stills)."""

    def __init__(self, ignore_unannotated: bool = False, temporal: bool = True) -> None:
        self.ignore_unannotated, self.temporal = ignore_unannotated, temporal
        self.j: list[float] = []
        self.f: list[float] = []
        self.flicker: list[float] = []
        self.dtssd: list[float] = []
        self._prev: tuple[np.ndarray, np.ndarray] | None = None

    def add(self, soft: np.ndarray, gt: np.ndarray) -> None:
        """soft mask in [0, 1] and boolean ground truth, same size."""
        pred = soft > 0.5
        if self.ignore_unannotated:
            pred = drop_unannotated_blobs(pred, gt)
        self.j.append(jaccard(pred, gt))
        self.f.append(boundary_f(pred, gt))
        g = gt.astype(np.float32)
        if self.temporal and self._prev is not None and self._prev[0].shape == soft.shape:
            pm, pg = self._prev
            dm, dg = soft - pm, g - pg
            still = dg == 0
            if still.any():
                self.flicker.append(100.0 * float(np.abs(dm[still]).mean()))
            self.dtssd.append(100.0 * math.sqrt(float(np.mean((dm - dg) ** 2))))
        self._prev = (soft.astype(np.float32), g)

    def summary(self) -> dict[str, float]:
        def mean(x):
            return float(np.mean(x)) if x else float("nan")

        return {"J": mean(self.j), "F": mean(self.f), "flicker": mean(self.flicker), "dtSSD": mean(self.dtssd),
                "frames": len(self.j)}
