"""Our pre-processing matches MediaPipe's own pipeline, so our masks are MediaPipe's masks."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from core.preprocess import resize_to_model
from core.segmenter import Segmenter
from tests.conftest import REPO

REF = REPO / "tests" / "data" / "mediapipe_reference"


def upsample(mask: np.ndarray, width: int, height: int) -> np.ndarray:
    return cv2.resize(mask, (width, height), interpolation=cv2.INTER_LINEAR)


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.logical_and(a, b).sum() / np.logical_or(a, b).sum())


@pytest.mark.parametrize("model", ["selfie_general", "selfie_landscape"])
@pytest.mark.parametrize("photo", ["astronaut", "cameraman"])
def test_full_resolution_mask_matches_mediapipe_solution(model, photo, people_photos):
    rgb = people_photos[photo]
    ref = cv2.imread(str(REF / f"{photo}_{model}.png"), cv2.IMREAD_UNCHANGED) / 255.0
    seg = Segmenter(model, "cpu")
    ours = upsample(seg.infer_small(resize_to_model(rgb, *seg.model_size)), rgb.shape[1], rgb.shape[0])
    assert _iou(ours > 0.5, ref > 0.5) >= 0.995


def test_plain_resize_would_not_match(people_photos):
    """Guards the choice of warp: a plain cv2.resize measurably changes the landscape model's mask."""
    rgb = people_photos["cameraman"]
    ref = cv2.imread(str(REF / "cameraman_selfie_landscape.png"), cv2.IMREAD_UNCHANGED) / 255.0
    seg = Segmenter("selfie_landscape", "cpu")
    plain = cv2.resize(rgb, seg.model_size, interpolation=cv2.INTER_LINEAR)
    mask = upsample(seg.infer_small(plain), rgb.shape[1], rgb.shape[0])
    assert _iou(mask > 0.5, ref > 0.5) < 0.99
