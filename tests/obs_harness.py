"""The real-OBS tests' harness: OBS Studio under Xvfb with the test plug-in, driven through obs-websocket.

`ObsInstance` is installer/fresh_obs.py's `FreshObs` (a fresh configuration, obs-websocket, the one wait helper
`wait_for`) plus what only tests need: the test plug-in (tests/obs_plugin.py), a second scene collection to switch
to, OBS's own frame counts, and the mask count of the filter's status line.
"""

from __future__ import annotations

import re
import shutil
import time
from pathlib import Path

import cv2
import numpy as np

from installer.fresh_obs import (  # noqa: F401  (re-exported: the tests and tools/measure import them from here)
    KIND,
    PHOTO,
    REPO,
    SAMPLE_JPEG,
    SCRIPT,
    SOURCE,
    FreshObs,
    filter_entry,
    scene_collection,
    source_settings,
)

PLUGIN = "tests.obs_plugin"
OTHER_COLLECTION = "backdrop_other"


def leak_count(log: str) -> int:
    """The last 'Number of memory leaks: N' libobs printed at exit (-1 when absent)."""
    found = re.findall(r"Number of memory leaks: (\d+)", log)
    return int(found[-1]) if found else -1


def named_threads(pid: int, name: str = "backdrop-mask") -> list[int]:
    """Thread ids of `pid` whose OS name is `name` (Backdrop names its mask workers)."""
    tids = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            if task.joinpath("comm").read_text().strip() == name:
                tids.append(int(task.name))
        except OSError:
            pass  # the thread ended while we looked
    return tids


def obs_available() -> bool:
    return shutil.which("obs") is not None and shutil.which("Xvfb") is not None


def pattern_settings(kind: str) -> dict:
    """Filter settings that run a test pattern of the test plug-in (tests/obs_plugin.py) instead of a
    model: "opaque", "split", "luma" or "bare" (the model session alone). The Custom preset keeps the
    model setting (a preset would set its own)."""
    return {"preset": "custom", "model": f"test_{kind}"}


def write_video(path: Path, frames: list[np.ndarray], fps: int = 30) -> Path:
    """RGB frames -> an MPEG-4 file that OBS's media source plays."""
    h, w = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (w, h))
    for f in frames:
        writer.write(cv2.cvtColor(f, cv2.COLOR_RGB2BGR))
    writer.release()
    return path


class ObsInstance(FreshObs):
    """One headless OBS for a test, with the test plug-in and a second scene collection to switch to. Use as a
    context manager, or call start() / stop()."""

    def __init__(self, *, image: Path = PHOTO, filters: list[dict] | None = None, scripts: list[Path] | None = None,
                 sources: list[str] = (SOURCE,), env: dict[str, str] | None = None, root: Path | None = None,
                 collection: dict | None = None, filters_on_all: bool = False, test_plugin: bool = True,
                 **kwargs) -> None:
        # The test plug-in (tests/obs_plugin.py): test patterns, faults, a swapped effect file.
        env = {**({"BACKDROP_TEST_PLUGIN": PLUGIN} if test_plugin else {}), **(env or {})}
        fresh = root is None or not (Path(root) / "config" / "obs-studio" / "global.ini").exists()
        super().__init__(image=image, filters=filters, scripts=scripts, sources=sources, env=env, root=root,
                         collection=collection, filters_on_all=filters_on_all, **kwargs)
        if fresh:
            # A second collection with the same content, for collection-switch tests (OBS lists
            # collections at start-up, so it must exist before then).
            scripts = [SCRIPT] if scripts is None else scripts
            self.write_collection(scene_collection(OTHER_COLLECTION, image, filters or [], scripts, sources,
                                                   filters_on_all))

    def measured_stats(self, timeout: float = 15.0) -> dict:
        """GetStats once OBS has measured a frame rate: its per-second figures read 0 in its first second.

        A frozen render thread also reads 0, and keeps reading it: callers assert on the figures."""
        return self.poll(self.stats, lambda stats: stats["activeFps"] != 0, "a measured frame rate", timeout,
                         fail=False)

    def wait_masks(self, n: int = 3, timeout: float = 30.0, name: str = "Backdrop") -> dict:
        """Wait until the filter has shown `n` masks made after this call, e.g. with settings just set
        (libobs applies them at the next frame): counted from the first status record logged after the
        call. Returns the status record that shows them."""
        deadline = time.monotonic() + timeout
        first = self.status_record(name)
        record = self.wait_record(lambda r: r != first and "masks_shown" in r, "a new status record with masks",
                                  timeout, name)
        start = record["masks_shown"]
        return self.wait_record(lambda r: r.get("masks_shown", 0) >= start + n, f"{n} new masks shown",
                                max(0.0, deadline - time.monotonic()), name)

    def rendered_frames(self, n: int, timeout: float = 30.0) -> None:
        """Wait until OBS has rendered `n` more frames (its own count, GetStats)."""
        start = self.stats()["renderTotalFrames"]
        self.wait_for(lambda: self.stats()["renderTotalFrames"] >= start + n, f"{n} frames rendered", timeout)


def assert_effect_failure_passes_video_through(inst: ObsInstance, reference: np.ndarray) -> None:
    """After an effect failed to compile: two seconds of frames later the picture is still the source's
    own, and the failure was logged once (latched: not compiled again every frame)."""
    inst.measured_stats()
    inst.rendered_frames(60, timeout=600)  # no bound of its own before: 600 s stands for "until it happens"
    assert np.array_equal(inst.screenshot(), reference)
    failures = [x for x in inst.log_text().splitlines()
                if "does not compile" in x and "status:" not in x and "status record:" not in x]
    assert len(failures) == 1, failures


def switch_collections(inst: ObsInstance, times: int, check=None) -> None:
    """Switch between the instance's two collections `times` times, waiting for each switch.

    `check`, when given, is called after every switch, once the filter shows masks again.
    """
    for i in range(times):
        target = OTHER_COLLECTION if i % 2 == 0 else "backdrop_test"
        inst.call("SetCurrentSceneCollection", {"sceneCollectionName": target})
        inst.wait_ready(target, timeout=20)
        if check is not None:
            inst.wait_masks(3)
            check()
        else:
            time.sleep(0.5)  # a pace: scripts reload and filters come back while the next switch starts
