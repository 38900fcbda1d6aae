"""Temporal smoothing and the async runner, on real model runs."""

from __future__ import annotations

import time

import numpy as np

from core.mask_source import FramePlan, MaskOptions
from core.preprocess import resize_to_model
from core.runner import AsyncMaskRunner
from core.segmenter import Segmenter
from core.selfie import SelfiePipeline
from core.temporal import UNKNOWN_MASKS, TemporalFilter


def test_smoothing_removes_flicker_on_a_still_picture_but_follows_motion(people_photos):
    rng = np.random.default_rng(1)
    small = resize_to_model(people_photos["astronaut"], 256, 256)
    segmenter = Segmenter("selfie_general", "cpu")
    truth = segmenter.infer_small(small)
    tf = TemporalFilter(0.6)
    raw_flicker, out_flicker, prev_raw, prev_out = [], [], None, None
    for _ in range(30):  # a webcam's noise on a still picture: the model's mask wobbles with it
        noisy_picture = np.clip(small + rng.normal(0, 3, small.shape), 0, 255).astype(np.uint8)
        noisy = segmenter.infer_small(noisy_picture)
        out = tf(noisy, noisy_picture)
        if prev_raw is not None:
            raw_flicker.append(np.abs(noisy - prev_raw).mean())
            out_flicker.append(np.abs(out - prev_out).mean())
        prev_raw, prev_out = noisy, out
    assert np.mean(out_flicker) < 0.25 * np.mean(raw_flicker)

    moved = np.roll(small, 40, axis=1)  # the picture moved: the new mask must be taken at once
    new_prob = np.roll(truth, 40, axis=1)
    out = tf(new_prob, moved)
    changed = np.abs(moved.astype(int) - small).max(axis=2) > 40
    assert np.abs(out - new_prob)[changed].mean() < 0.02


def test_it_tells_a_still_person_from_a_moving_one_for_the_crop_hold(people_photos):
    """`moving` (person tracking holds a crop only while it is False): still, with or without a
    webcam's noise; moving when the picture shifts by one model pixel a mask; where the crop moved,
    the mask's own jumps tell a person moving, not the resampled picture, and no jump (a slow pan
    looks the same) keeps the last answer for a few masks: a crop that followed a moving person
    every mask would otherwise count them still every other mask."""
    rng = np.random.default_rng(2)
    small = resize_to_model(people_photos["astronaut"], 256, 256)
    segmenter = Segmenter("selfie_general", "cpu")
    prob = segmenter.infer_small(small)
    tf = TemporalFilter(0.6)
    tf(prob, small)
    assert tf.moving is None  # nothing to compare with yet
    tf(prob, small)
    assert tf.moving is False
    noisy = small
    for n in range(8):  # a webcam's noise, and one frame it sent twice (the same picture says nothing of noise)
        if n != 4:
            noisy = np.clip(small + rng.normal(0, 3, small.shape), 0, 255).astype(np.uint8)
        tf(segmenter.infer_small(noisy), noisy)
        assert tf.moving is False, n
    for shift in range(1, 4):  # a slow pan: one model pixel a mask
        moved = np.roll(small, shift, axis=1)
        tf(segmenter.infer_small(moved), moved)
        assert tf.moving is True
    crop_moved = np.float64([[1.02, 0.0, -2.5], [0.0, 1.02, -2.5]])  # the crop, not the person, moved
    answers = [tf.moving]
    for _ in range(UNKNOWN_MASKS):  # no jump: the person may still be moving, until a few masks say nothing
        tf(prob, small, crop_moved)
        answers.append(tf.moving)
    assert answers == [True] * UNKNOWN_MASKS + [False]
    tf(prob, small)
    tf(prob, small, crop_moved)  # still, then only the crop moved: still
    assert tf.moving is False
    tf(np.roll(prob, 30, axis=1), small, crop_moved)  # the mask jumped: the person moved
    assert tf.moving is True


WHOLE = FramePlan.whole(256, 256, "selfie_general", (256, 256))  # a whole 256x256 frame


def test_runner_hands_back_the_newest_mask_and_never_queues(people_photos):
    pipe = SelfiePipeline(Segmenter("selfie_general", "cpu"), MaskOptions())
    runner = AsyncMaskRunner(pipe)
    small = resize_to_model(people_photos["astronaut"], 256, 256)
    try:
        t0 = time.perf_counter()
        for i in range(50):  # far faster than inference
            runner.submit((small,), i, WHOLE)
        assert time.perf_counter() - t0 < 0.05  # submitting never waits for inference
        deadline = time.monotonic() + 10
        while (runner.latest() is None or runner.latest().frame_id != 49) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert runner.latest().frame_id == 49  # the newest frame wins
        assert runner.dropped >= 40 and runner.done <= 10
        mask = runner.latest().result.mask
        assert mask.shape == (256, 256) and mask.dtype == np.uint8 and mask[100:200, 100:150].mean() > 200
        assert runner.infer_ms > 0 and runner.mask_ms >= runner.infer_ms
    finally:
        assert runner.stop()


def test_runner_reports_errors_and_keeps_working(people_photos):
    pipe = SelfiePipeline(Segmenter("selfie_general", "cpu"), MaskOptions())
    runner = AsyncMaskRunner(pipe)
    try:
        runner.submit((np.zeros((10, 10, 3), np.uint8),), 1, WHOLE)  # wrong size: the model refuses it
        deadline = time.monotonic() + 5
        while runner.error is None and time.monotonic() < deadline:
            time.sleep(0.01)
        assert runner.error is not None
        runner.submit((resize_to_model(people_photos["astronaut"], 256, 256),), 2, WHOLE)
        while (runner.latest() is None) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert runner.latest().frame_id == 2 and runner.error is None
    finally:
        assert runner.stop()


def test_runner_carries_its_masks_to_the_thumbnails_frames_and_stops_both_threads(people_photos):
    """Masks for frames 0 and 3 of a picture moving 8 px a frame; thumbnails for every frame. `take`
    hands back the two masks made and the ones carried to frames 1, 2, 3 (before its own mask was
    made), 4 and 5 (the two threads finish them in either order), each moved with the picture."""
    from core.mask_source import thumb_size

    pipe = SelfiePipeline(Segmenter("selfie_general", "cpu"), MaskOptions(temporal=0.0, tracking=False))
    runner = AsyncMaskRunner(pipe)
    frame = resize_to_model(people_photos["astronaut"], 256, 256)
    frames = [np.roll(frame, 8 * k, axis=1) for k in range(6)]
    thumb = thumb_size(256, 256)
    taken: list = []

    def wait_for(frame_id: int, source: int) -> None:
        deadline = time.monotonic() + 10
        while not any((r.frame_id, r.source) == (frame_id, source) for r in taken) and time.monotonic() < deadline:
            taken.extend(runner.take())
            time.sleep(0.01)

    try:
        for k in range(6):
            runner.submit_thumbnail(frames[k], k)  # 256x256: already the thumbnail's size
            if k in (0, 3):
                runner.submit((frames[k],), k, WHOLE)
                wait_for(k, k)
        wait_for(5, 3)
        assert thumb == (256, 256)
        assert sorted((r.frame_id, r.source) for r in taken) == [(0, 0), (1, 0), (2, 0), (3, 0), (3, 3), (4, 3),
                                                                   (5, 3)]
        assert runner.carried == 5 and runner.motion_cpu_s > 0 and runner.cpu_s > runner.mask_cpu_s
        made = {r.frame_id: r.result.mask for r in taken if not r.carried}
        carried = {r.frame_id: r.result.mask for r in taken if r.carried}
        expected = np.roll(made[3], 16, axis=1).astype(int)  # frame 5: the picture 16 px further
        assert np.abs(carried[5].astype(int) - expected)[:, 40:-40].mean() < 0.5 * np.abs(
            made[3].astype(int) - expected)[:, 40:-40].mean()
    finally:
        assert runner.stop() and not runner.alive()


class _Slow:
    """A mask source whose first run takes 20 ms and every later one 300 ms."""

    def __init__(self) -> None:
        self.runs = 0

    def run_plan(self, images, frame_id, plan):
        from core.mask_source import MaskResult

        time.sleep(0.02 if self.runs == 0 else 0.3)
        self.runs += 1
        return MaskResult(frame_id, np.zeros((4, 4), np.uint8), None, 0.0, 0.0)


def test_a_run_past_its_usual_time_keeps_the_worker_busy_for_as_long_again():
    """The render thread sends no frame to a worker whose run is overdue and that has one waiting: the
    frame waiting would be replaced and go without a mask, unknown to the render thread."""
    runner = AsyncMaskRunner(_Slow())
    try:
        runner.submit((np.zeros((4, 4, 3), np.uint8),), 0, WHOLE)
        deadline = time.monotonic() + 5
        while runner.done < 1 and time.monotonic() < deadline:
            time.sleep(0.005)
        runner.submit((np.zeros((4, 4, 3), np.uint8),), 1, WHOLE)  # 300 ms where 20 ms is usual
        while not runner._working and time.monotonic() < deadline:  # started on it
            time.sleep(0.001)
        time.sleep(0.1)
        runner.submit((np.zeros((4, 4, 3), np.uint8),), 2, WHOLE)  # waiting behind it
        assert runner.free_in_s() >= 0.1  # not "any moment now": it has run 0.1 s, 5 times its usual time
    finally:
        assert runner.stop()
