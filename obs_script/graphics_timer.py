"""How long the filter's callbacks keep OBS's graphics thread, measured by the filter itself.

`update`, `video_tick` and `video_render` run on the graphics thread (`libobs/obs-source.c`
29.0.2: `obs_source_video_tick` runs a deferred `update`), so every millisecond spent in them is a
millisecond OBS does not render. The status line gets, per callback since its last line, the
longest call (wall time) and the most CPU time the thread spent in one: the wall time also counts
the thread waiting for a core or for the GIL and, with a software renderer (llvmpipe), the GPU's
work, which runs on the CPU there. A call over the budget is logged at once (once per callback and
period).
"""

from __future__ import annotations

import time
from collections.abc import Callable

BUDGET_MS = 10.0


def start() -> tuple[float, float]:
    """What `record` measures from: (wall clock, this thread's CPU clock)."""
    return time.perf_counter(), time.thread_time()


class GraphicsTimer:
    def __init__(self, report: Callable[[str], None], budget_ms: float = BUDGET_MS) -> None:
        self.report = report  # logs one line
        self.budget_ms = budget_ms
        self.slowest: dict[str, tuple[float, float]] = {}  # callback -> most (wall ms, CPU ms) since `take`
        self._reported: set[str] = set()

    def record(self, name: str, started: tuple[float, float]) -> None:
        wall = (time.perf_counter() - started[0]) * 1e3
        cpu = (time.thread_time() - started[1]) * 1e3
        worst = self.slowest.get(name, (0.0, 0.0))
        self.slowest[name] = (max(wall, worst[0]), max(cpu, worst[1]))
        if wall > self.budget_ms and name not in self._reported:
            self._reported.add(name)
            self.report(f"{name} took {wall:.1f} ms ({cpu:.1f} ms CPU) on OBS's graphics thread "
                        f"(budget {self.budget_ms:g} ms)")

    def take(self) -> dict[str, tuple[float, float]]:
        """Each callback's longest call and most CPU (ms) in this period, then a new period starts."""
        slowest = dict(self.slowest)  # the graphics thread may add a key meanwhile
        self.slowest, self._reported = {}, set()
        return slowest


def describe(slowest: dict[str, tuple[float, float]]) -> str:
    """`GraphicsTimer.take`'s figures in words, e.g. "update 0.4 ms (0.3 ms CPU)"."""
    return ", ".join(f"{name} {wall:.1f} ms ({cpu:.1f} ms CPU)" for name, (wall, cpu) in sorted(slowest.items())) \
        or "none yet"
