"""A still person keeps a still edge in real OBS: after the warm-up the filtered source's alpha is
the same in every screenshot, each taken after new masks (before: about 2,300 edge pixels flipped from
one frame to the next on a still picture)."""

from __future__ import annotations

import cv2
import pytest

from tests.obs_harness import ObsInstance, filter_entry
from tests.unit.test_tracking import _scene

pytestmark = pytest.mark.obs


def test_a_still_person_keeps_an_identical_edge_screenshot_after_screenshot(tmp_path, people_photos):
    frame, truth = _scene(people_photos, [(400, 60)], scale=600)
    picture = tmp_path / "still.png"
    cv2.imwrite(str(picture), cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    with ObsInstance(image=picture, filters=[filter_entry("Backdrop")]) as inst:
        inst.wait_log("engine ready for 'Backdrop'", timeout=60)
        inst.wait_masks(30)  # the warm-up: the crop settles on the person
        shots = []
        for _ in range(20):  # each after new masks: a still edge, not a frozen mask
            inst.wait_masks(1)
            shots.append(inst.screenshot()[:, :, 3])
    person, wall = shots[0][truth].mean() / 255, shots[0][~truth].mean() / 255
    assert person > 0.9 and wall < 0.05, (person, wall)  # the person is cut out, not all opaque
    changed = [int((shot != shots[0]).sum()) for shot in shots[1:]]
    assert changed == [0] * 19, changed
