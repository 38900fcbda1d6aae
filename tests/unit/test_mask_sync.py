"""The render thread's mask schedule, simulated frame by frame with a fake clock: a mask for every
frame when inference is shorter than a frame, the CPU budget, backing off on skipped frames, and the
frame ring for "match video to mask". No OBS needed: obs_script/mask_sync.py imports no libobs."""

from __future__ import annotations

import math
from dataclasses import dataclass

import pytest

from core.mask_timeline import MAX_RING
from tests.conftest import import_as_in_obs

_mask_sync = import_as_in_obs("obs_script.mask_sync")
MaskSync, RateLimiter, cpu_budget = _mask_sync.MaskSync, _mask_sync.RateLimiter, _mask_sync.cpu_budget

FPS = 30.0
FRAME = 1.0 / FPS


@dataclass
class Result:
    frame_id: int

    @property
    def source(self) -> int:
        return self.frame_id


class Clock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


class Worker:
    """The async runner's contract: a frame handed over while busy replaces the pending one."""

    def __init__(self, clock: Clock, seconds: float, cpu_seconds: float | None = None) -> None:
        self.clock, self.seconds = clock, seconds
        self.cpu_per_mask = seconds if cpu_seconds is None else cpu_seconds
        self.current: tuple[int, float] | None = None  # (frame id, finishes at)
        self.pending: int | None = None
        self.latest: Result | None = None
        self.done = 0
        self.cpu_s = 0.0

    def advance(self) -> None:
        now = self.clock()
        while self.current is not None and self.current[1] <= now:
            frame_id, finished = self.current
            self.latest, self.done, self.cpu_s = Result(frame_id), self.done + 1, self.cpu_s + self.cpu_per_mask
            self.current = None
            if self.pending is not None:
                self.current, self.pending = (self.pending, finished + self.seconds), None

    def submit(self, frame_id: int) -> None:
        if self.current is None:
            self.current = (frame_id, self.clock() + self.seconds)
        else:
            self.pending = frame_id

    def free_in_s(self) -> float:
        if self.current is None:
            return 0.0
        return max(0.0, self.current[1] - self.clock()) + (self.seconds if self.pending is not None else 0.0)


def simulate(seconds_per_mask: float, frames: int = 300, cpu_seconds: float | None = None, budget: float = 0.25,
             lag=lambda masks_per_s: 0.0, match_video: bool = False):
    """Frame by frame, the filter's order: read last frame's copy and submit it, pick the mask to show,
    decide whether to stage this frame, then the render thread's remaining work (5 ms)."""
    clock = Clock()
    sync = MaskSync(clock, budget)
    worker = Worker(clock, seconds_per_mask, cpu_seconds)
    staged: list[int] = []
    uploads, uploaded, lagged, shown, total, staged_count = 0, -1, 0.0, [], 0, 0
    for frame in range(frames):
        clock.t = frame * FRAME
        worker.advance()
        if staged:
            worker.submit(staged.pop(0))
        sync.offer(worker.latest, frame)
        picked = sync.pick(frame, match_video, lambda f, now=frame: now - f < sync.ring_size(match_video))
        sync.rendered()
        if picked is not None:
            shown.append((frame, picked[0].frame_id, picked[1]))
            if picked[0].frame_id != uploaded:
                uploaded, uploads = picked[0].frame_id, uploads + 1
                sync.uploaded(picked[0].source)
        lagged += lag(sync.rates()[1])
        total += 1
        sync.observe(FPS, worker.cpu_s, worker.done, int(lagged), total)
        if sync.wants_frame(frame, 0, worker.free_in_s(), FRAME):
            staged.append(frame)
            sync.staged()
            staged_count += 1
        clock.t += 0.005
        worker.advance()
    return {"uploads": uploads, "sync": sync, "shown": shown, "staged": staged_count, "done": worker.done}


def test_a_mask_for_every_frame_when_inference_is_shorter_than_a_frame():
    r = simulate(0.004)
    assert r["uploads"] >= 0.95 * 300
    assert set(list(r["sync"].latencies)[10:]) == {2}  # staged, read back and run a frame later, shown: steady
    video, masks = r["sync"].rates()
    assert masks >= 0.95 * video and video == pytest.approx(FPS, rel=0.05)
    assert r["sync"].limiter.limit == "video rate"


def test_slow_inference_stages_only_frames_the_worker_can_take():
    r = simulate(0.1, cpu_seconds=0.002)  # 100 ms per mask on a GPU, little CPU: about 10 masks a second
    assert 60 <= r["done"] <= 105  # the worker idles at most a frame or two between masks
    assert r["staged"] <= r["done"] + 3  # no frame read back only to be replaced
    assert max(list(r["sync"].latencies)[5:]) <= 5


def test_the_cpu_budget_caps_the_mask_rate_smoothly():
    r = simulate(0.004, frames=600, cpu_seconds=0.012, budget=0.25)  # 12 ms CPU per mask: 20.8 masks/s allowed
    masks = r["sync"].rates()[1]
    assert 18.0 <= masks <= 23.0, masks
    assert r["sync"].limiter.limit.startswith("CPU budget: 25% of a core at 12.0 ms")


def test_backs_off_while_its_masks_make_obs_skip_frames():
    def lag(masks_per_s: float) -> float:  # skipped frames per rendered frame grow with the mask rate
        return max(0.0, (masks_per_s - 15.0) / 30.0)

    r = simulate(0.004, frames=900, lag=lag)
    masks = r["sync"].rates()[1]
    assert 10.0 <= masks <= 19.0, masks
    assert r["sync"].limiter.limit.startswith("backed off")


def test_does_not_back_off_for_skipping_that_is_not_its_own():
    r = simulate(0.004, frames=900, lag=lambda masks_per_s: 0.3)  # OBS skips 30% with or without masks
    masks = r["sync"].rates()[1]
    assert masks >= 0.9 * r["sync"].rates()[0], masks
    assert "video rate" in r["sync"].limiter.limit


def test_match_video_shows_each_frame_with_its_own_mask_and_keeps_only_the_frames_it_needs():
    r = simulate(0.004, match_video=True)
    late = r["shown"][30:]
    assert all(mask == shown for _, mask, shown in late)  # the delayed frame and the mask computed from it
    delays = {frame - shown for frame, _, shown in late}
    assert delays and max(delays) <= 2
    assert r["sync"].ring_size(True) <= 4 < MAX_RING
    assert r["sync"].ring_size(False) == 1  # without matching, only the current frame is kept


def test_budget_grows_with_the_machine():
    assert cpu_budget(2) == cpu_budget(4) == 0.25
    assert cpu_budget(16) == 1.0
    limiter = RateLimiter(0.25)
    assert limiter.ready(0.0) and math.isinf(limiter.rate)  # before anything is measured: every frame


@pytest.mark.only_on("linux", reason="obs_script.frame_capture loads Debian's libobs at import (OBS's obs.dll and "
                     "libobs.framework do not load outside OBS)")
def test_the_filters_ring_shows_what_the_command_line_emulates(monkeypatch):
    """MaskSync with FrameCapture's own ring (its slots and their resizing; textures faked) against
    core/mask_timeline.py's shown_masks, which `backdrop eval --mask-lag` scores: from the first mask
    on, each frame is shown with its own, as the command line counts it."""
    from core.mask_timeline import shown_masks

    capture_module = import_as_in_obs("obs_script.frame_capture")
    monkeypatch.setattr(capture_module.lib, "gs_texrender_create", lambda *a: object(), raising=False)
    monkeypatch.setattr(capture_module.lib, "gs_texrender_destroy", lambda *a: None, raising=False)
    capture, sync, lag, shown = capture_module.FrameCapture(), MaskSync(Clock()), 2, {}
    capture.crop_failure = "not compiled here"  # no effect to compile without a graphics context
    for t in range(60):
        capture.ensure(sync.ring_size(True))  # as video_render: the ring first, then this frame into it
        capture.ring_frames[t % len(capture.ring)] = t  # what render_target records
        if t >= lag:
            sync.offer(Result(t - lag), t)
        picked = sync.pick(t, True, capture.has_frame)
        if picked is not None:
            shown.setdefault(picked[1], (picked[0].frame_id, picked[0].source))
    assert [shown[f] for f in range(50)] == shown_masks(50, lag, True)


def test_no_thumbnail_is_drawn_while_every_frame_gets_its_mask():
    sync = MaskSync(Clock())
    for f in range(100):
        assert sync.wants_frame(f, 1, 0.0, 1 / 30)
        sync.offer(Result(f - 2), f) if f >= 2 else None
        assert not sync.thumbnails(f)


def test_a_missed_frame_gets_thumbnails_back_to_the_newest_mask_made():
    """Frame 100 is not sent: the newest mask made is 98's (two frames of latency), so 98, 99 and 100
    are drawn from the ring, and 98's mask is carried along 98 -> 99 -> 100 if 99's comes late."""
    sync = MaskSync(Clock())
    for f in range(100):
        sync.wants_frame(f, 1, 0.0, 1 / 30)
        sync.offer(Result(f - 2), f) if f >= 2 else None
    sync.offer(Result(98), 100)
    assert sync.ring_size(True) == 4  # frames 97 to 100 on the GPU
    assert not sync.wants_frame(100, 3, 0.0, 1 / 30)  # a mask every third frame: frame 100 gets none
    assert list(sync.thumbnails(100)) == [98, 99, 100]
    assert not sync.wants_frame(101, 3, 0.0, 1 / 30)
    assert list(sync.thumbnails(101)) == [101]  # the chain goes on
    assert sync.wants_frame(102, 3, 0.0, 1 / 30) and not sync.thumbnails(102)
    assert not sync.wants_frame(103, 3, 0.0, 1 / 30)
    assert list(sync.thumbnails(103)) == [102, 103]  # 102's own frame: where its mask is carried from


def test_a_mask_every_third_frame_draws_each_frame_once():
    sync, drawn = MaskSync(Clock()), []
    for f in range(60):
        sync.ring_size(True)
        sync.wants_frame(f, 3, 0.0, 1 / 30)
        sync.offer(Result(f - 2 - (f - 2) % 3), f) if f >= 2 else None
        drawn += sync.thumbnails(f)
    assert drawn == list(range(60))


def test_frames_are_counted_by_what_they_were_first_shown_with():
    sync = MaskSync(Clock())

    @dataclass
    class Carried:
        frame_id: int
        source: int

    sync.wants_frame(5, 0, 1.0, 1 / 30)  # the worker busy: frame 5 not sent
    for mask, frame in ((Result(3), 3), (Result(3), 3), (Result(3), 4), (Carried(5, 4), 5), (Result(4), 6)):
        sync.shown(mask, frame)
    sync.offer(Result(4), 8)  # frame 4's mask, after frame 4 was shown held
    assert (sync.frames_own, sync.frames_carried, sync.frames_held) == (1, 1, 2)
    assert (sync.frames_unsent, sync.unsent_held, sync.masks_late) == (1, 0, 1)


def test_without_matching_the_ring_keeps_the_frame_before_for_carrying():
    assert MaskSync(Clock()).ring_size(False, motion=True) == 2
    assert MaskSync(Clock()).ring_size(False, motion=False) == 1


def test_a_mask_shown_only_carried_counts_once_as_shown_and_carried_ones_apart():
    """Inference slower than the frame ring can wait for (200 ms): a mask reaches the screen only
    carried to a later frame. It still counts as a mask shown, once, and in the mask rate."""
    sync = MaskSync(Clock())
    for source, carried in ((0, False), (0, True), (0, True), (6, True), (6, True), (12, True), (12, False)):
        sync.uploaded(source, carried)
    assert (sync.masks_shown, sync.carried_shown) == (3, 5)
