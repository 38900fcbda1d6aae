"""Segmentation for one filter: a shared session, this filter's mask pipeline and its async runner.

Built on a helper thread, because creating an ONNX Runtime session takes from 0.1 s (CPU) to
seconds (GPU providers) and must not stall OBS's UI or render thread; until it is ready the filter
passes video through. Import or model errors become a status line that says how to fix them.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

from ..core import INSTALL_COMMAND
from . import launcher
from .filter_settings import FilterSettings
from .libobs import LOG_INFO, LOG_WARNING, log

if TYPE_CHECKING:
    from ..core.mask_source import MaskSource
    from ..core.runner import AsyncMaskRunner

REPO = Path(__file__).resolve().parent.parent
# ONNX Runtime intra-op threads inside OBS: one thread measured fastest on 2 cores and leaves the
# other cores to OBS's own encoder and render threads.
OBS_THREADS = 1
PIP_NAMES = {"cv2": "opencv-python-headless"}  # import name -> the package that provides it


def mask_options(s: FilterSettings):
    from ..core.mask_source import MaskOptions

    # The periodic look at least twice a second (core/tracking.py: a search tile each time, the whole frame
    # every second time): people who come in are found within seconds even when the CPU budget allows far
    # fewer than 30 masks a second (a look every 30 masks took 4-5 s to find a second person). Its cost is
    # measured, not estimated: tools/measure/mask_stages.py, tools/measure/bench_obs.py (docs/measurements.md).
    return MaskOptions(temporal=s.temporal, refine=s.refine, tracking=s.tracking, tracking_every_s=0.5)


def post_mask(s: FilterSettings):
    """The mask worker's post-mask hook: auto-frame's people in each mask, framed so, when it is on."""
    from ..core.framer import people_hook

    return people_hook(s.framing_zoom if s.framing == "follow" else None)


class Engine:
    def __init__(self, settings: FilterSettings, owner: str) -> None:
        self.key, self.owner = settings.engine_key(), owner
        self.ready = False
        self.error: str | None = None
        self.runner: AsyncMaskRunner | None = None
        self.pipeline: MaskSource | None = None
        self.describe = "loading model"
        self._lock = threading.Lock()
        self._stopped = False
        self._stopped_runner: AsyncMaskRunner | None = None
        self._settings = settings  # the newest settings configure() was given (a load takes a while)
        self._loader = threading.Thread(target=self._build, args=(settings,), name="backdrop-load", daemon=True)
        launcher.launch(self._loader)  # `update` creates engines on the graphics thread: never wait for a start there

    def _build(self, s: FilterSettings) -> None:
        try:
            import cv2

            from ..core.runner import AsyncMaskRunner

            # OpenCV's own thread pool would add threads that compete with OBS's render and encoder
            # threads for a few microseconds of work on model-size images: keep it on the caller.
            cv2.setNumThreads(1)

            from ..core.pipelines import make_pipeline

            pipeline = make_pipeline(s.model, s.provider, OBS_THREADS, mask_options(s))
            self.describe = pipeline.describe()
            runner = AsyncMaskRunner(pipeline, name="backdrop-mask")
            runner.post_mask = post_mask(s)
        except ImportError as exc:
            missing = PIP_NAMES.get(exc.name or "", exc.name or str(exc))
            self.error = (f"Python package '{missing}' is missing: run `{INSTALL_COMMAND}` in {REPO}, "
                          "then restart OBS")
        except Exception as exc:  # ModelError and anything ONNX Runtime raises: shown, never fatal
            self.error = f"{type(exc).__name__}: {exc}"
        if self.error:
            log(LOG_WARNING, f"filter '{self.owner}' passes video through: {self.error}")
            return
        with self._lock:
            if self._stopped:
                runner.stop()
                return
            self.pipeline, self.runner, self.ready = pipeline, runner, True
            newest = self._settings
        if newest is not s:  # the settings changed while the model loaded
            self.configure(newest)
        from ..core.session import live_sessions

        log(LOG_INFO, f"engine ready for '{self.owner}': {self.describe}; {live_sessions()} shared session(s) "
                      "in this process")

    def configure(self, s: FilterSettings) -> None:
        with self._lock:
            self._settings = s
            pipeline, runner = self.pipeline, self.runner
        if pipeline is not None:
            pipeline.configure(mask_options(s))
        if runner is not None:
            runner.post_mask = post_mask(s)

    def stop(self) -> None:
        """Ask the loader and the mask worker to stop, without waiting: `update` calls this on OBS's
        graphics thread, and the inference in flight can take seconds on a slow provider."""
        with self._lock:
            self._stopped = True
            runner, self.runner, self.ready = self.runner, None, False
        if runner is not None:
            runner.stop(timeout=0.0)
            self._stopped_runner = runner

    def join(self, timeout: float = 5.0) -> bool:
        """Wait for a stopped engine's threads (destroy's thread may wait); True when both have exited."""
        deadline = time.monotonic() + timeout
        loaded = launcher.join(self._loader, timeout)
        runner = self._stopped_runner
        return loaded and (runner is None or runner.stop(timeout=max(0.0, deadline - time.monotonic())))

    def alive(self) -> bool:
        """Whether a stopped engine still has a thread running."""
        runner = self._stopped_runner
        return launcher.running(self._loader) or (runner is not None and runner.alive())

    def session_description(self) -> str:
        """The sessions in use (live: run-time fallbacks show), or what the engine is doing."""
        pipeline = self.pipeline
        return pipeline.describe() if pipeline is not None else self.describe
