"""A still person's edge holds still on the CLI's path (tools/measure/still_edge.py's measure, on real
model runs): the same mask frame after frame on an exactly still picture in every preset, far less
change than the bare model's own under webcam noise, a slow pan followed without lag, and a settled mask
no worse than the bare model's."""

from __future__ import annotations

import numpy as np
import pytest

from core.geometry import Rect
from core.tools.metrics import jaccard
from core.tracking import HOLD_TOLERANCE, PersonTracker
from tests.unit.test_tracking import _scene
from tools.measure.still_edge import CONFIGS, alphas, bare_for, flips_and_band, motion, pan, pan_offsets, still, trail
from tools.measure.still_edge import FRAMES as PAN_FRAMES

FRAMES = 60  # the measure's warm-up is 30 (1 s at 30 fps); its figures come from the rest


@pytest.fixture(scope="module")
def scene(people_photos) -> tuple[np.ndarray, np.ndarray]:
    """A person filling most of a 1280x720 frame's height, as a streamer at a desk, and their true mask."""
    return _scene(people_photos, [(400, 60)], scale=600)


@pytest.fixture(scope="module")
def person(scene) -> np.ndarray:
    return scene[0]


@pytest.mark.parametrize("preset", ["balanced", "quality", "low_cpu", "full_body", "full_body_2core"])
def test_an_exactly_still_picture_gets_the_same_mask_every_frame_after_a_second(person, preset):
    assert flips_and_band(alphas(CONFIGS[preset], still(person, FRAMES, False))) == (0.0, 0.0)


def test_webcam_noise_on_a_still_person_moves_a_tenth_of_the_edge_the_bare_model_moves(person):
    bare = flips_and_band(alphas(CONFIGS["bare"], still(person, FRAMES, True)))
    flips, band = flips_and_band(alphas(CONFIGS["balanced"], still(person, FRAMES, True)))
    assert bare[0] > 100  # the noise does move the bare model's edge
    assert flips <= 0.1 * bare[0] and band <= 0.25 * bare[1], (flips, band, bare)


def test_a_slow_pan_is_followed_without_lag(person):
    trail, j_pan, _, settled_vs_unsmoothed = motion(CONFIGS["balanced"], person)
    assert abs(trail) <= 2.0, trail
    assert settled_vs_unsmoothed >= 0.97  # settling froze no worse mask than each frame's own


def test_the_pan_measure_reads_a_mask_three_frames_late_as_three_px_of_trail(person):
    """The trail the pan test bounds is a lag: the bare model's own masks shown three frames late (the
    picture moves 1 px a frame) trail by 3 px, and on time by none."""
    right, left = (alphas(CONFIGS["bare"], pan(person, PAN_FRAMES, step)) for step in (1, -1))
    late = {step: masks[:1] * 3 + masks[:-3] for step, masks in ((1, right), (-1, left))}
    assert trail(pan_offsets(right, right, 1), pan_offsets(left, left, -1)) == 0.0
    assert 2.5 <= trail(pan_offsets(right, late[1], 1), pan_offsets(left, late[-1], -1)) <= 3.5


@pytest.mark.parametrize("preset", ["balanced", "low_cpu"])
def test_a_still_persons_settled_mask_is_no_worse_than_the_bare_models(scene, preset):
    """Settling must not freeze a worse mask: against the person's true mask, the last mask of a still
    clip, exact or noisy, scores at least what the bare model (the preset's model alone) scores."""
    frame, truth = scene
    for noisy in (False, True):
        settled, alone = (jaccard(truth, alphas(c, still(frame, 40, noisy))[-1] > 127)
                          for c in (CONFIGS[preset], bare_for(CONFIGS[preset])))
        assert settled >= alone - 0.005, (noisy, settled, alone)


def test_a_crop_stays_put_while_the_mask_wobbles_and_follows_a_real_move():
    tracker = PersonTracker({"selfie_general": 1.0})
    prob = np.zeros((256, 256), np.float32)
    prob[60:200, 100:160] = 1.0
    tracker.update(prob, Rect(), 1280, 720)
    crop = tracker.found
    wobble = np.roll(prob, 1, axis=1)  # the mask's edge one model pixel off: noise
    tracker.update(wobble, Rect(), 1280, 720)
    assert tracker.found == crop
    moved = np.roll(prob, int(256 * 3 * HOLD_TOLERANCE), axis=1)  # three times the tolerance: a real move
    tracker.update(moved, Rect(), 1280, 720)
    assert tracker.found != crop


def test_a_moving_persons_crop_follows_the_mask_even_within_the_hold():
    tracker = PersonTracker({"selfie_general": 1.0})
    prob = np.zeros((256, 256), np.float32)
    prob[60:200, 100:160] = 1.0
    tracker.update(prob, Rect(), 1280, 720, moving=False)
    crop = tracker.found
    nudged = np.roll(prob, 2, axis=1)  # within the hold's tolerance
    tracker.update(nudged, Rect(), 1280, 720, moving=True)
    assert tracker.found != crop  # a held crop would lag a moving person
    followed = tracker.found
    tracker.update(prob, Rect(), 1280, 720, moving=None)  # not known (smoothing off): the last answer stands
    assert tracker.found != followed
    tracker.update(nudged, Rect(), 1280, 720, moving=False)
    held = tracker.found
    tracker.update(prob, Rect(), 1280, 720)
    assert tracker.found == held
