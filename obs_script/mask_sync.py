"""The render thread's mask decisions, with no libobs in sight: which frames go to the mask worker,
which mask goes with which frame, how big the frame ring must be, and how many masks a second the
CPU budget and OBS's own frame pacing allow. Everything takes the time from a clock it is given,
so tests drive it with a fake one.

Auto mask rate, one policy for every model and preset: the video rate, capped so that the mask
worker's CPU stays within a budget (a quarter of one core on up to 4 cores), and backed off while
OBS skips frames -- unless stepping down does not make OBS skip fewer (then the skipping is not
ours, and the rate goes back up).
"""

from __future__ import annotations

import math
import os
from collections import deque
from collections.abc import Callable

from ..core.mask_timeline import MAX_RING, MaskTimeline

WINDOW_S = 2.0  # rate figures and rate decisions cover the last two seconds


def cpu_budget(cores: int | None = None) -> float:
    """The share of one core the mask worker may use: 25% on up to 4 cores, more on bigger machines."""
    cores = cores or os.cpu_count() or 1
    return 0.25 * max(1.0, cores / 4.0)


class RateLimiter:
    """Masks per second allowed: min(video rate, CPU budget / CPU per mask), backed off on skipped frames."""

    STEP_DOWN, STEP_UP = 0.75, 1.25
    FLOOR = 5.0  # masks per second: backing off never goes below this
    LAG_OK = 0.02  # OBS skipping up to 2% of frames is not a reason to back off
    HOLD_S = 10.0  # after a step down that did not help, leave the rate alone this long

    def __init__(self, budget: float) -> None:
        self.budget = budget
        self.rate = math.inf  # until the first window has been measured
        self.cap = math.inf
        self.cpu_per_mask = 0.0
        self.lag = 0.0  # share of frames OBS skipped in the last window
        self.limit = "video rate"
        self._tokens = 1.0
        self._last: float | None = None
        self._window: tuple[float, float, int, int, int] | None = None  # t, cpu, masks, lagged, total
        self._probe: tuple[float, float] | None = None  # (rate, lag) before the last step down
        self._hold_until = 0.0

    # -- per frame: a token bucket, so 27.5 masks/s at 30 fps skips one frame in twelve, not one in two
    def ready(self, now: float) -> bool:
        if not math.isfinite(self.rate):
            self._tokens = 1.0  # no limit yet: a full bucket when one is set
        elif self._last is not None:
            self._tokens = min(self._tokens + (now - self._last) * self.rate, 2.0)  # a burst of two at most
        self._last = now
        return self._tokens >= 0.95

    def consume(self) -> None:
        if math.isfinite(self.rate):
            self._tokens -= 1.0

    # -- per window ---------------------------------------------------------------------------
    def observe(self, now: float, video_fps: float, worker_cpu_s: float, masks: int, lagged: int, total: int) -> None:
        """Feed the counters (cumulative); every WINDOW_S the allowed rate is decided again."""
        if self._window is None:
            self._window = (now, worker_cpu_s, masks, lagged, total)
            return
        t0, cpu0, masks0, lagged0, total0 = self._window
        if now - t0 < WINDOW_S:
            return
        self._window = (now, worker_cpu_s, masks, lagged, total)
        if masks > masks0:
            self.cpu_per_mask = (worker_cpu_s - cpu0) / (masks - masks0)
        frames = (total - total0) + (lagged - lagged0)
        self.lag = (lagged - lagged0) / frames if frames > 0 else 0.0
        budget_rate = self.budget / self.cpu_per_mask if self.cpu_per_mask > 0 else math.inf
        self.cap = min(budget_rate, video_fps)
        current = min(self.rate, self.cap)
        if self.lag > self.LAG_OK and now >= self._hold_until:
            if self._probe is not None and self.lag > self._probe[1] - self.LAG_OK:
                # Stepping down did not make OBS skip fewer frames: the skipping is not ours.
                self.rate, self._probe = self._probe[0], None
                self._hold_until = now + self.HOLD_S
            else:
                self._probe = (current, self.lag)
                self.rate = max(self.FLOOR, current * self.STEP_DOWN)
        else:
            self._probe = None
            self.rate = self.cap if current >= self.cap else min(self.cap, current * self.STEP_UP)
        self.limit = self._describe(budget_rate, video_fps)

    def _describe(self, budget_rate: float, video_fps: float) -> str:
        if self.rate < self.cap - 0.5:
            return f"backed off: OBS skipped {self.lag:.0%} of frames"
        if budget_rate < video_fps:
            return (f"CPU budget: {self.budget:.0%} of a core at {self.cpu_per_mask * 1e3:.1f} ms CPU per mask")
        if self.lag > self.LAG_OK:
            return "video rate (OBS skips frames with fewer masks too)"
        return "video rate"


class MaskSync:
    """Masks in flight and on screen for one filter."""

    def __init__(self, clock: Callable[[], float], budget: float | None = None) -> None:
        self.clock = clock
        self.limiter = RateLimiter(cpu_budget() if budget is None else budget)
        self.timeline = MaskTimeline()  # which mask goes with which frame (core/mask_timeline.py)
        self._ring = 1
        self._uploads: deque[float] = deque()
        self._renders: deque[float] = deque()
        self.masks_shown = 0  # distinct masks the model made, sent to the GPU since the filter started
        self.carried_shown = 0  # and masks carried forward by motion
        self._shown_source = -1  # the newest frame a mask shown was made from
        self._skipped = -1  # the last frame not sent to the mask worker
        self._thumbed = -1  # the last frame whose thumbnail was drawn for the motion thread
        self._made = -1  # the newest frame the model's masks (not carried ones) came from, as offered
        self._first_shown = -1  # the newest frame shown so far (its first showing is the one counted)
        self.unsent: deque[int] = deque(maxlen=2 * MAX_RING)  # recent frames not sent to the worker
        # What the viewer got, per frame at its first showing: its own mask, one carried to it by motion,
        # or an older one held (late or missing, with nothing carried); and masks that came after their
        # frame was first shown (later than the frame ring waited).
        self.frames_own = self.frames_carried = self.frames_held = self.unsent_held = 0
        self.frames_unsent = self.masks_late = 0

    def reset(self) -> None:
        """A new model: masks of the old one no longer fit."""
        self.timeline.reset()

    @property
    def latencies(self) -> deque[int]:
        return self.timeline.latencies

    @property
    def shown_delay(self) -> int:
        """Frames the video is delayed by (match video to mask)."""
        return self.timeline.shown_delay

    # -- which frames go to the worker ------------------------------------------------------------
    def wants_frame(self, frame: int, mask_rate: int, runner_free_in_s: float, frame_seconds: float) -> bool:
        """Stage this frame? It reaches the worker when it is read back, a frame from now."""
        if mask_rate:
            wanted = frame % mask_rate == 0
        elif runner_free_in_s > frame_seconds:
            wanted = False  # the worker could not take it then; a later frame will be newer
        else:
            wanted = self.limiter.ready(self.clock())
        if not wanted:
            self.missed(frame)
        return wanted

    def missed(self, frame: int) -> None:
        """Frame `frame` goes without a mask of its own: not sent to the worker (or not staged)."""
        self._skipped = frame
        self.frames_unsent += 1
        self.unsent.append(frame)

    def thumbnails(self, frame: int) -> range:
        """The frames whose thumbnails to draw now for the motion thread (out of the frame ring): none
        while every frame goes to the worker, so a mask per frame costs no thumbnail, readback or flow.
        A frame not sent gets one, and so do the frames before it back to the newest mask the model
        made, which the ring still holds: the newest mask is carried along that chain of flows, with
        the same lag as if every frame had one (read back next frame, carried before the one after),
        and a mask still in flight for one of them is carried on from when it comes."""
        if frame != self._skipped:
            return range(0)
        start = max(self._made, self._thumbed + 1, frame - self._ring + 1)  # drawn out of the ring
        self._thumbed = frame
        return range(start, frame + 1)

    def staged(self) -> None:
        self.limiter.consume()

    def observe(self, video_fps: float, worker_cpu_s: float, masks: int, lagged: int, total: int) -> None:
        self.limiter.observe(self.clock(), video_fps, worker_cpu_s, masks, lagged, total)

    # -- which mask goes with which frame ---------------------------------------------------------
    def offer(self, result, frame: int) -> None:
        """The runner's newest result, seen at `frame` (the same one again is ignored)."""
        if result is not None and result.source == result.frame_id:  # made, not carried
            self.masks_late += result.frame_id <= self._first_shown and result.frame_id > self._made
            self._made = max(self._made, result.frame_id)
        self.timeline.offer(result, frame)

    def pick(self, frame: int, match_video: bool, have_frame: Callable[[int], bool]):
        """(mask, frame to show) for `frame`, or None before the first mask (MaskTimeline.pick)."""
        return self.timeline.pick(frame, match_video, have_frame)

    def ring_size(self, match_video: bool, motion: bool = False) -> int:
        """Full frames to keep on the GPU: as many as the worst recent latency needs (grown, never
        shrunk) while the video waits for its mask; else the current one, and the one before it while
        masks are carried by motion (`thumbnails` draws a missed frame's predecessor from the ring)."""
        self._ring = max(self._ring, self.timeline.ring_frames()) if match_video else 2 if motion else 1
        return self._ring

    # -- what the status line reports -------------------------------------------------------------
    def rendered(self) -> None:
        self._count(self._renders)

    def shown(self, mask, frame: int) -> None:
        """Frame `frame` drawn with `mask` (a ReadyMask): counted at its first showing only."""
        if frame <= self._first_shown:
            return
        self._first_shown = frame
        if mask.frame_id != frame:
            self.frames_held += 1
            self.unsent_held += frame in self.unsent
        elif mask.source != frame:
            self.frames_carried += 1
        else:
            self.frames_own += 1

    def uploaded(self, source: int, carried: bool = False) -> None:
        """A distinct mask went to the GPU: one the model made from frame `source`, or one carried
        forward by motion from it. The masks shown and the mask rate count each mask the model made
        once, when it or one carried from it first reaches the screen (a mask later than the frame
        ring can wait for is shown carried only: to the frame after its own, at best)."""
        self.carried_shown += carried
        if source > self._shown_source:
            self._shown_source = source
            self.masks_shown += 1
            self._count(self._uploads)

    def _count(self, times: deque[float]) -> None:
        now = self.clock()
        times.append(now)
        while times and times[0] < now - WINDOW_S:
            times.popleft()

    def rates(self) -> tuple[float, float]:
        """(frames, masks) per second over the same window: the last WINDOW_S seconds."""
        now = self.clock()
        span = min(WINDOW_S, now - self._renders[0]) if self._renders else 0.0
        if span <= 0:
            return 0.0, 0.0

        def per_second(times: deque[float]) -> float:
            return sum(1 for t in times if t >= now - span) / span

        return per_second(self._renders), per_second(self._uploads)
