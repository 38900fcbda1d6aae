"""Which mask a viewer sees on each frame when masks arrive late (core/mask_timeline.py): the rule the
OBS filter applies and `backdrop process/eval --mask-lag` emulate."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from core.mask_timeline import MAX_RING, MaskTimeline, ShownMasks, shown_masks
from tests.conftest import REPO, run_cli


@pytest.mark.parametrize("lag", [1, 2, 3, MAX_RING - 1])
def test_matching_video_to_mask_shows_every_frame_with_its_own_mask(lag):
    assert shown_masks(50, lag, match_video=True) == list(range(50))


@pytest.mark.parametrize("lag", [1, 2, 5])
def test_without_matching_each_frame_shows_the_mask_of_lag_frames_before(lag):
    assert shown_masks(50, lag, match_video=False) == [None] * lag + list(range(50 - lag))


def test_a_latency_beyond_the_ring_is_matched_as_far_as_the_ring_goes():
    lag = MAX_RING + 2
    shown = shown_masks(60, lag, match_video=True)
    assert all(f - m == lag - (MAX_RING - 1) for f, m in enumerate(shown) if m is not None)


def test_a_stream_of_unknown_length_gets_the_same_answers():
    for lag, match, every in ((0, True, 1), (2, True, 1), (2, False, 1), (9, True, 1), (2, True, 3), (4, False, 3)):
        stream = ShownMasks(lag, match, every)
        assert [stream[f] for f in range(300)] == shown_masks(300, lag, match, every)


def test_with_a_mask_every_third_frame_the_frames_between_show_the_newest_older_mask():
    assert shown_masks(12, 2, True, every=3) == [0, 0, 0, 3, 3, 3, 6, 6, 6, 9, 9, 9]
    assert shown_masks(12, 2, False, every=3) == [None, None, 0, 0, 0, 3, 3, 3, 6, 6, 6, 9]


def test_frames_without_their_own_mask_get_the_newest_older_one():
    """A mask every third frame (Low CPU), two frames late, video matched: the in-between frames show
    the mask of the frame before them (motion compensation would do better: not built)."""
    class Mask:
        def __init__(self, frame_id):
            self.frame_id = frame_id

    timeline, picks = MaskTimeline(), []
    for t in range(40):
        if t >= 2 and (t - 2) % 3 == 0:
            timeline.offer(Mask(t - 2), t)
        picked = timeline.pick(t, True, lambda f: f >= 0)
        if picked:
            picks.append((picked[1], picked[0].frame_id))
    assert picks[-6:] == [(f, f - f % 3) for f in range(32, 38)]


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
