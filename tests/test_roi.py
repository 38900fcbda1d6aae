"""Person tracking: the crop follows people, keeps groups whole, and lets go when they leave."""

from __future__ import annotations

import cv2
import numpy as np

from core.pipeline import MaskOptions, MaskPipeline
from core.roi import FULL
from core.segmenter import Segmenter
from core.tools.metrics import jaccard
from tests.conftest import REPO

REF = REPO / "tests" / "data" / "mediapipe_reference" / "astronaut_selfie_general.png"


def _scene(people_photos, places, size=(1280, 720), scale=200):
    """People (the astronaut, `scale` px tall) on a plain wall, with their true masks."""
    w, h = size
    frame = np.full((h, w, 3), 90, np.uint8)
    truth = np.zeros((h, w), bool)
    person = cv2.resize(people_photos["astronaut"], (scale, scale), interpolation=cv2.INTER_AREA)
    mask = cv2.resize(cv2.imread(str(REF), cv2.IMREAD_GRAYSCALE), (scale, scale)) > 127
    for x, y in places:
        frame[y:y + scale, x:x + scale][mask] = person[mask]
        truth[y:y + scale, x:x + scale] |= mask
    return frame, truth


def _run(pipe, frame, n=4):
    for i in range(n):
        result = pipe.run(frame, i)
    return result, pipe.full_mask(result, frame) > 127


def test_a_small_person_is_segmented_better_through_a_crop(people_photos):
    frame, truth = _scene(people_photos, [(900, 420)])
    seg = Segmenter("selfie_general", "cpu")
    raw_result, raw = _run(MaskPipeline(seg, MaskOptions(roi=False, temporal=0.0)), frame)
    roi_result, tracked = _run(MaskPipeline(seg, MaskOptions(roi=True, temporal=0.0)), frame)
    assert raw_result.rect == FULL and not roi_result.rect.is_full
    assert jaccard(tracked, truth) > jaccard(raw, truth) + 0.05, (jaccard(tracked, truth), jaccard(raw, truth))


def test_the_crop_keeps_a_group_together_and_lets_go_when_people_leave(people_photos):
    pipe = MaskPipeline(Segmenter("selfie_general", "cpu"), MaskOptions(roi=True, temporal=0.0))
    group, truth = _scene(people_photos, [(100, 420), (500, 400)])
    result, mask = _run(pipe, group)
    r = result.rect
    assert r.x0 * 1280 <= 110 and r.x1 * 1280 >= 690  # both people inside the one crop
    assert mask[truth].mean() > 0.8
    empty = np.full((720, 1280, 3), 90, np.uint8)
    _run(pipe, empty, n=2)
    assert pipe.plan(1280, 720).crops[0].rect == FULL  # nobody left: look at the whole frame again


def test_a_person_filling_the_frame_uses_the_whole_frame(people_photos):
    pipe = MaskPipeline(Segmenter("selfie_general", "cpu"), MaskOptions(roi=True))
    result, _ = _run(pipe, people_photos["astronaut"])
    assert result.rect == FULL
