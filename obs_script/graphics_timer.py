"""How long the filter's callbacks keep OBS's graphics thread, measured by the filter itself.

`update`, `video_tick` and `video_render` run on the graphics thread (`libobs/obs-source.c`
29.0.2: `obs_source_video_tick` runs a deferred `update`), so every millisecond spent in them is a
millisecond OBS does not render. The slowest call of each since the last status line goes into the
status line; a call over the budget is logged at once (once per callback and status period).
"""

from __future__ import annotations

import time
from collections.abc import Callable

BUDGET_MS = 10.0


class GraphicsTimer:
    def __init__(self, report: Callable[[str], None], budget_ms: float = BUDGET_MS) -> None:
        self.report = report  # logs one line
        self.budget_ms = budget_ms
        self.slowest: dict[str, float] = {}  # callback -> ms, since the last `take`
        self._reported: set[str] = set()

    def record(self, name: str, started: float) -> None:
        """`started`: time.perf_counter() when the callback began."""
        ms = (time.perf_counter() - started) * 1e3
        if ms > self.slowest.get(name, -1.0):
            self.slowest[name] = ms
        if ms > self.budget_ms and name not in self._reported:
            self._reported.add(name)
            self.report(f"{name} took {ms:.1f} ms on OBS's graphics thread (budget {self.budget_ms:g} ms)")

    def summary(self) -> str:
        """The slowest call of each callback in this period, e.g. "update 0.4 ms, video_render 3.1 ms"."""
        slowest = dict(self.slowest)  # the graphics thread may add a key meanwhile
        return ", ".join(f"{name} {ms:.1f} ms" for name, ms in sorted(slowest.items())) or "none yet"

    def take(self) -> str:
        """The summary, then a new period starts."""
        text = self.summary()
        self.slowest, self._reported = {}, set()
        return text
