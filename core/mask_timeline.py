"""Which mask goes with which frame when masks arrive late: the one rule the OBS filter applies
(obs_script/mask_sync.py) and the command line emulates (`backdrop process/eval --mask-lag N`), so
what the command line scores is what a viewer sees in OBS.

A mask made from frame f reaches the screen some frames after f. Shown at once, it is laid over a
newer frame: a moving person leaves a trail of the old position's background ("ghosts") and loses
the edge they move towards. Matching video to mask delays the video instead, by the worst recent
latency, so each frame is shown with the mask computed from it (or the newest older one, when masks
are made for fewer frames than the video has, carried forward to it by motion: core/motion.py).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import NamedTuple, Protocol

MAX_RING = 8  # frames of video kept for "match video to mask", at most
LATENCY_WINDOW = 60  # latencies remembered (about 2 s of masks): the delay follows the worst of them
KEEP_MASKS = 4 * MAX_RING  # masks remembered: made and carried, several per frame at times
# Frames from a frame's capture to its carried mask: its thumbnail is read back a frame later, and
# carried (about a millisecond) before the next.
MOTION_LAG = 2


class HasFrameId(Protocol):
    @property
    def frame_id(self) -> int:  # the frame the mask fits
        ...

    @property
    def source(self) -> int:  # the frame the model made it from (frame_id, unless carried forward by motion)
        ...


def _key(mask: HasFrameId) -> tuple[int, int]:
    """Which of two masks to show: the one that fits the later frame, then the one made later."""
    return mask.frame_id, mask.source


class MaskTimeline:
    def __init__(self) -> None:
        self.results: deque = deque(maxlen=KEEP_MASKS)  # newest masks, in the order they came
        self.latencies: deque[int] = deque([0], maxlen=LATENCY_WINDOW)  # frames from capture to mask
        self.shown_delay = 0  # frames the video is delayed by at the last pick

    def reset(self) -> None:
        """A new model: masks of the old one no longer fit."""
        self.results.clear()

    def offer(self, result: HasFrameId | None, frame: int) -> None:
        """A new mask, seen at `frame` (the same one again is ignored)."""
        if result is not None and (not self.results or _key(result) != _key(self.results[-1])):
            self.results.append(result)
            self.latencies.append(frame - result.frame_id)

    def pick(self, frame: int, match_video: bool, have_frame: Callable[[int], bool]):
        """(mask, frame to show) at `frame`, or None before the first mask."""
        if not self.results:
            return None
        self.shown_delay = 0
        if match_video:
            delay = min(max(self.latencies), MAX_RING - 1)
            wanted = frame - delay
            if delay > 0 and wanted >= 0 and have_frame(wanted):
                self.shown_delay = delay
                fitting = [m for m in reversed(self.results) if m.frame_id <= wanted]
                return (max(fitting, key=_key) if fitting else min(self.results, key=_key)), wanted
        return max(reversed(self.results), key=_key), frame

    def ring_frames(self) -> int:
        """Full frames the video needs kept to be shown `shown_delay` late: the worst recent latency
        (two frames at least: the readback's frame and the worker's, before any mask has told), the
        frame being drawn, and one of slack. Sized before the first mask, the ring holds the first
        frames when their masks arrive, and they are shown with them."""
        return min(max(max(self.latencies), 2) + 2, MAX_RING)


class Shown(NamedTuple):
    """The mask a frame is shown with: made from frame `source`, carried forward by motion to frame
    `frame_id` (the same frame: not carried)."""

    frame_id: int
    source: int


def shown_masks(frames: int, lag: int, match_video: bool, every: int = 1, motion: bool = True
                ) -> list[Shown | None]:
    """For each of `frames` frames, the mask the filter shows it with when a mask is made for every
    `every`-th frame and arrives `lag` frames after its frame (None: no mask yet, the video passes
    through). With `motion`, the newest mask is carried forward to each later frame MOTION_LAG frames
    after it (or `lag`, when sooner), as the filter does while masks skip frames. The filter keeps
    MAX_RING frames on the GPU; a frame it shows twice (passed through before the first mask, then
    again once the video waits for masks) counts with its masked showing."""
    timeline = MaskTimeline()
    shown: dict[int, Shown | None] = {}
    carrying, motion_lag = motion and every > 1, min(lag, MOTION_LAG)
    newest: int | None = None  # the newest mask made
    reach = 0  # the frame it has been carried to
    for t in range(frames + lag + MAX_RING):
        if 0 <= t - lag < frames and (t - lag) % every == 0:
            newest = reach = t - lag
            timeline.offer(Shown(newest, newest), t)
        while carrying and newest is not None and reach < min(t - motion_lag, frames - 1):
            reach += 1
            timeline.offer(Shown(reach, newest), t)
        def kept(f: int, t: int = t) -> bool:
            return 0 <= f < frames and f > t - MAX_RING

        picked = timeline.pick(t, match_video, kept)
        at, mask = (t, None) if picked is None else (picked[1], Shown(picked[0].frame_id, picked[0].source))
        if at < frames and shown.get(at) is None:
            shown[at] = mask
    return [shown.get(f) for f in range(frames)]


class ShownMasks:
    """`shown_masks` for a stream whose length is not known up front: `shown[f]` is the mask frame f
    is shown with. A frame's answer does not depend on how many frames follow it."""

    def __init__(self, lag: int, match_video: bool, every: int = 1, motion: bool = True) -> None:
        self.lag, self.match_video, self.every, self.motion = lag, match_video, every, motion
        self._map: list[Shown | None] = []

    def __getitem__(self, frame: int) -> Shown | None:
        if frame + self.lag + self.every + MAX_RING >= len(self._map):
            self._map = shown_masks(2 * (frame + self.lag + self.every + MAX_RING) + 64, self.lag,
                                    self.match_video, self.every, self.motion)
        return self._map[frame]
