"""Frame in, newest mask out, without ever making the caller wait for inference.

The caller (OBS's render thread) hands over model-size frames and immediately reads the newest
finished mask. One worker thread runs the mask path; a frame handed over while it is busy replaces
the pending one (newest wins), so queues cannot grow and the mask rate drops by itself when
inference is slower than the frame rate. The worker spends its time in ONNX Runtime's `run` and
OpenCV calls, which release the GIL.

For a frame that misses its mask, the caller also hands over its thumbnail, and those of the frames
back to the newest mask made (none while every frame has its mask); a second thread carries the
newest mask forward to those frames by motion (core/motion.py), a millisecond a frame, so a carried
mask never waits for an inference in progress. `take` returns every mask made or carried
since the last call, in the order they were finished.
"""

from __future__ import annotations

import ctypes
import sys
import threading
import time
from collections import deque
from collections.abc import Callable

import numpy as np

from .geometry import Rect
from .mask_source import FramePlan, MaskResult, MaskSource
from .motion import MaskCarrier, grey_thumbnail
from .ready_mask import ReadyMask

# Thumbnails and masks waiting for the motion thread, at most (the oldest go first): a missed frame
# can bring a frame ring's thumbnails at once (8), and a late one's run more after them.
MOTION_QUEUE = 32


def _name_os_thread(name: str) -> None:
    """Give the OS thread a name (Linux), so per-thread CPU in /proc and in profilers shows whose it is."""
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None)
            libc.prctl(15, name.encode()[:15], 0, 0, 0)  # PR_SET_NAME
        except (OSError, AttributeError):
            pass


class AsyncMaskRunner:
    def __init__(self, pipeline: MaskSource, name: str = "backdrop-mask") -> None:
        self.pipeline = pipeline
        self._cond = threading.Condition()
        self._pending: tuple[tuple[np.ndarray, ...], int, FramePlan] | None = None
        self._latest: ReadyMask | None = None
        self._stop = False
        self.error: str | None = None
        self.dropped = self.done = 0
        self.infer_ms = self.post_ms = self.mask_ms = 0.0  # moving averages; mask_ms: wall time per mask
        # The post-mask hook, given by the driver: called on the worker with each mask made and the
        # frame's (width, height), what it returns travels with the mask as its people (the filter's
        # auto-frame: core/framer.py people_hook); None: nothing to add.
        self.post_mask: Callable[[MaskResult, tuple[int, int]], tuple[Rect, ...]] | None = None
        # CPU time of the worker thread in the mask path (ONNX Runtime's intra-op work included when it
        # runs on the calling thread, as with one thread inside OBS), and of the motion thread
        self.mask_cpu_s = self.motion_cpu_s = 0.0
        self.carried = 0  # masks carried forward by motion
        self._finished: deque[ReadyMask] = deque(maxlen=4 * MOTION_QUEUE)  # made or carried, not yet taken
        self._motion_jobs: deque = deque(maxlen=MOTION_QUEUE)  # ("frame", id, pixels) or ("mask", result)
        self._motion_cond = threading.Condition()
        self._started = 0.0
        self._thread = threading.Thread(target=self._work, name=name, daemon=True)
        # Started with the worker, not with the first thumbnail: a thread that appears minutes into a
        # stream looks like a leak, and one that may never start complicates stopping.
        self._motion_thread = threading.Thread(target=self._carry, name=f"{name[:8]}-motion", daemon=True)
        self._thread.start()
        self._motion_thread.start()

    # -- caller side (never blocks on inference) -----------------------------------------------
    def submit(self, images: tuple[np.ndarray, ...], frame_id: int, plan: FramePlan) -> None:
        """Hand over a frame: the crops `plan` asked for, cut at their sizes."""
        with self._cond:
            if self._pending is not None:
                self.dropped += 1
            self._pending = (images, frame_id, plan)
            self._cond.notify()

    def submit_thumbnail(self, pixels: np.ndarray, frame_id: int) -> None:
        """Hand over a frame's thumbnail (uint8 RGB at core.motion.thumb_size): the newest mask is carried
        to that frame."""
        with self._motion_cond:
            if self._stop:
                return
            self._motion_jobs.append(("frame", frame_id, pixels))
            self._motion_cond.notify()

    @property
    def cpu_s(self) -> float:
        """CPU time spent on masks, made and carried."""
        return self.mask_cpu_s + self.motion_cpu_s

    def take(self) -> list[ReadyMask]:
        """Every mask made or carried since the last call, oldest first."""
        out = []
        while self._finished:
            out.append(self._finished.popleft())
        return out

    def free_in_s(self) -> float:
        """Seconds until the worker can start on a frame handed over now (0: at once), estimated. A run
        past its usual time is taken to need as long again as it has run: a frame handed over meanwhile
        would only replace the one waiting, which then goes without a mask, unknown to the caller; one
        not handed over is known missed, and carried by motion in time."""
        if not self._working and self._pending is None:
            return 0.0
        each = self.mask_ms / 1e3
        ran = time.perf_counter() - self._started
        left = (each - ran if ran <= each else ran) if self._working else 0.0
        return left + (each if self._pending is not None else 0.0)

    def latest(self) -> ReadyMask | None:
        return self._latest

    def alive(self) -> bool:
        """A thread still runs (a stopped runner finishes the run in progress first)."""
        return self._thread.is_alive() or self._motion_thread.is_alive()

    def stop(self, timeout: float = 5.0) -> bool:
        """Stop the threads; True when they have exited (the worker finishes the run in progress first)."""
        with self._cond:
            self._stop = True
            self._pending = None
            self._cond.notify()
        with self._motion_cond:
            self._motion_jobs.clear()
            self._motion_cond.notify()
        deadline = time.monotonic() + timeout
        for thread in (self._thread, self._motion_thread):
            if thread is not threading.current_thread():
                thread.join(max(0.0, deadline - time.monotonic()))
        return not self.alive()

    # -- worker --------------------------------------------------------------------------------
    _working = False

    def _work(self) -> None:
        _name_os_thread(self._thread.name)
        while True:
            with self._cond:
                while self._pending is None and not self._stop:
                    self._cond.wait()
                if self._stop:
                    return
                assert self._pending is not None  # the wait ends on a frame or on stop
                images, frame_id, plan = self._pending
                self._pending = None
                self._working = True
                self._started = t0 = time.perf_counter()
            c0 = time.thread_time()
            try:
                made = self.pipeline.run_plan(images, frame_id, plan)
                hook = self.post_mask
                result = ReadyMask(made, frame_id, None if hook is None else hook(made, plan.frame_size))
            except Exception as exc:  # reported through `error`; the caller decides what to show
                self.error = f"{type(exc).__name__}: {exc}"
                self._working = False
                continue
            finally:
                self.mask_cpu_s += time.thread_time() - c0
            total = (time.perf_counter() - t0) * 1e3
            self._latest = result
            self._finished.append(result)
            with self._motion_cond:  # a mask in hand for the thumbnails to come (cheap when none come)
                self._motion_jobs.append(("mask", result))
                self._motion_cond.notify()
            self.error = None
            self.done += 1
            k = 0.1 if self.done > 1 else 1.0
            self.infer_ms += k * (made.infer_ms - self.infer_ms)
            self.post_ms += k * (made.post_ms - self.post_ms)
            self.mask_ms += k * (total - self.mask_ms)
            self._working = False

    def _carry(self) -> None:
        """The motion thread: thumbnails and masks in the order they came, carried masks out."""
        _name_os_thread(threading.current_thread().name)
        carrier = MaskCarrier()
        while True:
            with self._motion_cond:
                while not self._motion_jobs and not self._stop:
                    self._motion_cond.wait()
                if self._stop:
                    return
                job = self._motion_jobs.popleft()
            c0 = time.thread_time()
            try:
                if job[0] == "frame":
                    carried = carrier.add_frame(job[1], grey_thumbnail(job[2]))
                else:
                    carried = carrier.add_mask(job[1])
            except Exception as exc:  # reported through `error`, as the worker's are
                self.error = f"carrying masks by motion: {type(exc).__name__}: {exc}"
                carrier = MaskCarrier()
                continue
            finally:
                self.motion_cpu_s += time.thread_time() - c0
            self.carried += len(carried)
            self._finished.extend(carried)
