"""How long the filter's callbacks keep OBS's graphics thread, measured by the filter itself.

`update`, `video_tick` and `video_render` run on the graphics thread (`libobs/obs-source.c`
29.0.2: `obs_source_video_tick` runs a deferred `update`), so every millisecond spent in them is a
millisecond OBS does not render. The slowest call of each since the last status line goes into the
status line; a call over the budget is logged at once (once per callback and status period).
Time spent waiting for the GPU is shown apart: it is the renderer's, not the filter's.
"""

from __future__ import annotations

import time
from collections.abc import Callable

BUDGET_MS = 10.0


class GraphicsTimer:
    def __init__(self, report: Callable[[str], None], budget_ms: float = BUDGET_MS) -> None:
        self.report = report  # logs one line
        self.budget_ms = budget_ms
        # callback -> (ms of its own, ms waiting for the GPU) of its slowest call since the last `take`
        self.slowest: dict[str, tuple[float, float]] = {}
        self._reported: set[str] = set()

    def record(self, name: str, started: float, gpu_wait_s: float = 0.0) -> None:
        """`started`: time.perf_counter() when the callback began; `gpu_wait_s`: the part of it spent in
        calls that wait for the GPU (frame_capture.py), counted apart from the budget."""
        total = (time.perf_counter() - started) * 1e3
        own, waited = total - gpu_wait_s * 1e3, gpu_wait_s * 1e3
        if own > self.slowest.get(name, (-1.0, 0.0))[0]:
            self.slowest[name] = (own, waited)
        if own > self.budget_ms and name not in self._reported:
            self._reported.add(name)
            self.report(f"{name} took {own:.1f} ms on OBS's graphics thread (budget {self.budget_ms:g} ms)"
                        + (f", plus {waited:.1f} ms waiting for the GPU" if waited else ""))

    def summary(self) -> str:
        """The slowest call of each callback in this period, e.g. "update 0.4 ms, video_render 3.1 ms
        (+ 6.0 ms GPU wait)"."""
        slowest = dict(self.slowest)  # the graphics thread may add a key meanwhile
        return ", ".join(f"{name} {own:.1f} ms" + (f" (+ {waited:.1f} ms GPU wait)" if waited >= 0.05 else "")
                         for name, (own, waited) in sorted(slowest.items())) or "none yet"

    def take(self) -> str:
        """The summary, then a new period starts."""
        text = self.summary()
        self.slowest, self._reported = {}, set()
        return text
