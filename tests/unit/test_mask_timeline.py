"""Which mask a viewer sees on each frame when masks arrive late or skip frames (core/mask_timeline.py):
the rule the OBS filter applies and `backdrop process/eval --mask-lag/--mask-every` emulate."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from core.mask_timeline import MAX_RING, MaskTimeline, Shown, ShownMasks, shown_masks
from tests.conftest import REPO, run_cli


def _made(frames):
    """Masks shown as made, not carried: Shown entries for these frames' own masks."""
    return [None if f is None else Shown(f, f) for f in frames]


@pytest.mark.parametrize("lag", [1, 2, 3, MAX_RING - 1])
def test_matching_video_to_mask_shows_every_frame_with_its_own_mask(lag):
    assert shown_masks(50, lag, match_video=True) == _made(range(50))


@pytest.mark.parametrize("lag", [1, 2, 5])
def test_without_matching_each_frame_shows_the_mask_of_lag_frames_before(lag):
    assert shown_masks(50, lag, match_video=False) == _made([None] * lag + list(range(50 - lag)))


def test_a_latency_beyond_the_ring_is_matched_as_far_as_the_ring_goes():
    lag = MAX_RING + 2
    shown = shown_masks(60, lag, match_video=True)
    assert all(f - m.source == lag - (MAX_RING - 1) for f, m in enumerate(shown) if m is not None)


def test_a_stream_of_unknown_length_gets_the_same_answers():
    cases = ((0, True, 1, True), (2, True, 1, True), (2, False, 1, True), (9, True, 1, True), (2, True, 3, True),
             (4, False, 3, True), (2, True, 3, False), (3, False, 3, False))
    for lag, match, every, motion in cases:
        stream = ShownMasks(lag, match, every, motion)
        assert [stream[f] for f in range(300)] == shown_masks(300, lag, match, every, motion)


def test_with_a_mask_every_third_frame_the_frames_between_show_the_newest_older_mask_carried_to_them():
    # Matched: each frame shows the newest mask made at or before it, carried forward to it by motion.
    assert shown_masks(12, 2, True, every=3) == [Shown(f, f - f % 3) for f in range(12)]
    assert shown_masks(12, 3, True, every=3) == [Shown(f, f - f % 3) for f in range(12)]
    # Not matched: frame t shows the mask carried to frame t - 2 (its thumbnail is read back a frame
    # late, then carried), or the newest made mask when that fits a later frame.
    late = shown_masks(12, 2, False, every=3)
    assert late[:2] == [None, None] and late[2:] == [Shown(t - 2, (t - 2) - (t - 2) % 3) for t in range(2, 12)]
    # Motion off: the newest older mask as it was made.
    assert shown_masks(12, 2, True, every=3, motion=False) == _made([0, 0, 0, 3, 3, 3, 6, 6, 6, 9, 9, 9])
    assert shown_masks(12, 2, False, every=3, motion=False) == _made([None, None, 0, 0, 0, 3, 3, 3, 6, 6, 6, 9])


def test_a_mask_carried_to_the_shown_frame_wins_over_older_masks_and_a_newer_source_over_an_older_one():
    """The filter's timeline gets made masks and carried ones in the order the worker sends them."""
    timeline = MaskTimeline()
    for mask, seen in ((Shown(0, 0), 2), (Shown(1, 0), 3), (Shown(2, 0), 4), (Shown(3, 0), 5), (Shown(3, 3), 6),
                       (Shown(4, 3), 6)):
        timeline.offer(mask, seen)
    assert timeline.pick(6, False, lambda f: True) == (Shown(4, 3), 6)  # the mask of the latest frame
    assert timeline.pick(6, True, lambda f: True) == (Shown(3, 3), 3)  # delayed 3 frames (the worst latency)
    timeline.offer(Shown(3, 0), 6)  # arriving after the mask made from frame 3 itself: not shown
    assert timeline.pick(6, True, lambda f: True) == (Shown(3, 3), 3)
    timeline.offer(Shown(3, 0), 6)
    assert len(timeline.results) == 7  # the same mask offered again is not kept twice


def _moving_frames(folder, n=8, speed=24):
    folder.mkdir()
    rng = np.random.default_rng(5)
    background = cv2.GaussianBlur(rng.integers(40, 200, (240, 426, 3), dtype=np.uint8), (0, 0), 2)
    face = cv2.resize(cv2.imread(str(REPO / "core" / "samples" / "astronaut.jpg")), (200, 200))
    for i in range(n):
        frame = background.copy()
        frame[40:240, 10 + speed * i:210 + speed * i] = face
        cv2.imwrite(str(folder / f"{i:05d}.png"), frame)


def test_process_mask_lag_writes_what_obs_shows(tmp_path):
    _moving_frames(tmp_path / "frames")
    outs = {}
    for name, extra in (("on_time", []), ("matched", ["--mask-lag", "2"]),
                        ("late", ["--mask-lag", "2", "--no-match-video"])):
        out = tmp_path / name
        res = run_cli("process", str(tmp_path / "frames"), "-o", str(out), "--mask-only", "-q", *extra)
        assert res.returncode == 0, res.stderr
        outs[name] = [cv2.imread(str(p), cv2.IMREAD_GRAYSCALE) for p in sorted(out.iterdir())]
    assert all(np.array_equal(a, b) for a, b in zip(outs["matched"], outs["on_time"], strict=True))
    assert all((m == 255).all() for m in outs["late"][:2])  # no mask yet: the video passes through
    assert all(np.array_equal(outs["late"][f], outs["on_time"][f - 2]) for f in range(2, 8))
    assert not np.array_equal(outs["late"][5], outs["on_time"][5])  # the person moved: the late mask is off
