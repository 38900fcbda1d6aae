"""Real OBS Studio 29 under Xvfb, driven through obs-websocket: the harness every OBS test uses.

Each `ObsInstance` gets a fresh config dir (no first-run wizard, no dialogs), obs-websocket on a
random port with a random password, a scene whose source is a real photo, and Backdrop's script
preloaded. OBS and Xvfb are always stopped by their own pids.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parent.parent
SCRIPT = REPO / "obs_script" / "backdrop_obs.py"
PLUGIN = "tests.obs_plugin"
SAMPLE_JPEG = REPO / "core" / "samples" / "astronaut.jpg"


def _lossless_copy(jpeg: Path) -> Path:
    """A PNG of the sample: OBS and OpenCV decode JPEG slightly differently, PNG identically."""
    png = Path(tempfile.gettempdir()) / f"backdrop-{jpeg.stem}-{jpeg.stat().st_size}.png"
    if not png.exists():
        tmp = png.with_suffix(f".{os.getpid()}.png")
        cv2.imwrite(str(tmp), cv2.imread(str(jpeg), cv2.IMREAD_COLOR))
        os.replace(tmp, png)
    return png


PHOTO = _lossless_copy(SAMPLE_JPEG)  # the scene's default source: a real photo of a person
KIND = "backdrop_filter"
SOURCE = "Camera"
OTHER_COLLECTION = "backdrop_other"
logging.getLogger("obsws_python").setLevel(logging.CRITICAL)  # connection retries are expected
OBS_LAST_VERSION_29 = (29 << 24) | 2  # 29.0.2: suppresses the auto-configuration wizard


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


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _free_display() -> int:
    for n in range(100 + os.getpid() % 300, 1000):
        if not Path(f"/tmp/.X{n}-lock").exists() and not Path(f"/tmp/.X11-unix/X{n}").exists():
            return n
    raise RuntimeError("no free X display number")


def _ini(sections: dict[str, dict[str, object]]) -> str:
    out = []
    for name, values in sections.items():
        out.append(f"[{name}]")
        out += [f"{k}={v}" for k, v in values.items()]
        out.append("")
    return "\n".join(out)


def pattern_settings(kind: str) -> dict:
    """Filter settings that run a test pattern of the test plug-in (tests/obs_plugin.py) instead of a
    model: "opaque", "split", "luma" or "bare" (the model session alone). The Custom preset keeps the
    model setting (a preset would set its own)."""
    return {"preset": "custom", "model": f"test_{kind}"}


def filter_entry(name: str, settings: dict | None = None, kind: str = KIND) -> dict:
    """A saved filter, as it appears in a scene collection's `filters` list."""
    return {"id": kind, "versioned_id": kind, "name": name, "uuid": str(uuid.uuid4()), "enabled": True,
            "settings": settings or {}, "mixers": 0, "flags": 0, "volume": 1.0, "balance": 0.5,
            "muted": False, "hotkeys": {}, "private_settings": {}, "sync": 0, "deinterlace_mode": 0,
            "deinterlace_field_order": 0, "monitoring_type": 0}


def source_settings(media: Path) -> tuple[str, dict]:
    """(source kind, settings) showing `media`: an image source, or a looping media source for videos."""
    if media.suffix.lower() in (".mp4", ".mkv", ".webm", ".mov"):
        return "ffmpeg_source", {"local_file": str(media), "is_local_file": True, "looping": True,
                                 "restart_on_activate": True, "hw_decode": False, "close_when_inactive": False}
    return "image_source", {"file": str(media)}


def write_video(path: Path, frames: list[np.ndarray], fps: int = 30) -> Path:
    """RGB frames -> an MPEG-4 file that OBS's media source plays."""
    h, w = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (w, h))
    for f in frames:
        writer.write(cv2.cvtColor(f, cv2.COLOR_RGB2BGR))
    writer.release()
    return path


# Out of OBS's audio mixer: OBS 29.0.2 can crash at exit in its own VolumeMeterTimer::timerEvent,
# which calls QWidget::update on a volume meter being destroyed (UI/volume-control.cpp; a core
# dump here: SIGSEGV in QWidget::update called from that loop on the UI thread, after "All scene
# data cleared", with no Backdrop code on any stack; 2 exits in 9 under load). A headless test
# looks at no mixer, and a camera hidden from it has no meter (UI/window-basic-main.cpp,
# ActivateAudioSource). Backdrop's own crashes still fail every test that checks the exit code.
MIXER_HIDDEN = {"mixer_hidden": True}


def scene_collection(name: str, image: Path, filters: list[dict], scripts: list[Path],
                     sources: list[str] = (SOURCE,), filters_on_all: bool = False) -> dict:
    items, srcs = [], []
    kind, settings = source_settings(image)
    for i, src_name in enumerate(sources, start=1):
        src_uuid = str(uuid.uuid4())
        srcs.append({"id": kind, "versioned_id": kind, "name": src_name,
                     "uuid": src_uuid, "settings": settings, "enabled": True,
                     "filters": [dict(f, uuid=str(uuid.uuid4())) for f in filters] if i == 1 or filters_on_all else [],
                     "mixers": 0, "flags": 0, "volume": 1.0, "hotkeys": {}, "private_settings": MIXER_HIDDEN})
        items.append({"name": src_name, "source_uuid": src_uuid, "id": i, "visible": True,
                      "locked": False, "rot": 0.0, "pos": {"x": 0.0, "y": 0.0}, "scale": {"x": 1.0, "y": 1.0},
                      "align": 5, "bounds_type": 0, "bounds_align": 0, "bounds": {"x": 0.0, "y": 0.0},
                      "crop_left": 0, "crop_top": 0, "crop_right": 0, "crop_bottom": 0,
                      "private_settings": {}})
    scene = {"id": "scene", "versioned_id": "scene", "name": "Scene", "uuid": str(uuid.uuid4()),
             "settings": {"items": items, "id_counter": len(items), "custom_size": False},
             "enabled": True, "mixers": 0, "flags": 0, "hotkeys": {}, "private_settings": {}}
    return {"name": name, "current_scene": "Scene", "current_program_scene": "Scene",
            "scene_order": [{"name": "Scene"}], "sources": [scene, *srcs], "groups": [],
            "transitions": [], "current_transition": "Fade", "transition_duration": 300,
            "modules": {"scripts-tool": [{"path": str(p), "settings": {}} for p in scripts]}}


class ObsInstance:
    """One headless OBS. Use as a context manager, or call start() / stop()."""

    def __init__(self, *, width: int = 1280, height: int = 720, image: Path = PHOTO,
                 filters: list[dict] | None = None, scripts: list[Path] | None = None,
                 sources: list[str] = (SOURCE,), env: dict[str, str] | None = None,
                 root: Path | None = None, collection: dict | None = None, filters_on_all: bool = False,
                 expect_exit: int | None = 0, test_plugin: bool = True) -> None:
        self.root = Path(root or tempfile.mkdtemp(prefix="backdrop-obs-"))
        self.config = self.root / "config"
        self.port = _free_port()
        self.password = secrets.token_hex(12)
        self.width, self.height = width, height
        # The test plug-in (tests/obs_plugin.py): test patterns, faults, a swapped effect file.
        # The status line every half second: what wait_status and wait_masks read.
        self.extra_env = {**({"BACKDROP_TEST_PLUGIN": PLUGIN} if test_plugin else {}), "BACKDROP_STATUS_LOG_S": "0.5",
                          **(env or {})}
        self.obs: subprocess.Popen | None = None
        self.xvfb: subprocess.Popen | None = None
        self.client = None
        self.exit_code: int | None = None
        self.expect_exit = expect_exit  # what stop() asserts OBS exited with (None: anything)
        scripts = [SCRIPT] if scripts is None else scripts
        if not (self.config / "obs-studio" / "global.ini").exists():
            self._write_config(collection or scene_collection("backdrop_test", image, filters or [], scripts, sources,
                                                              filters_on_all))
            # A second collection with the same content, for collection-switch tests (OBS lists
            # collections at start-up, so it must exist before then).
            self.write_collection(scene_collection(OTHER_COLLECTION, image, filters or [], scripts, sources,
                                                   filters_on_all))

    # -- configuration -----------------------------------------------------------------------
    def _write_config(self, collection: dict) -> None:
        obs_dir = self.config / "obs-studio"
        (obs_dir / "basic" / "profiles" / "backdrop_test").mkdir(parents=True, exist_ok=True)
        (obs_dir / "basic" / "scenes").mkdir(parents=True, exist_ok=True)
        (obs_dir / "global.ini").write_text(_ini({
            "General": {"FirstRun": "true", "LastVersion": OBS_LAST_VERSION_29, "EnableAutoUpdates": "false",
                        "ConfirmOnExit": "false"},
            "Basic": {"Profile": "backdrop_test", "ProfileDir": "backdrop_test",
                      "SceneCollection": collection["name"], "SceneCollectionFile": collection["name"]},
            "BasicWindow": {"SysTrayEnabled": "false", "PreviewEnabled": "false"},
            "OBSWebSocket": {"FirstLoad": "false", "ServerEnabled": "true", "ServerPort": self.port,
                             "AlertsEnabled": "false", "AuthRequired": "true",
                             "ServerPassword": self.password},
        }))
        (obs_dir / "basic" / "profiles" / "backdrop_test" / "basic.ini").write_text(_ini({
            "General": {"Name": "backdrop_test"},
            "Video": {"BaseCX": self.width, "BaseCY": self.height, "OutputCX": self.width,
                      "OutputCY": self.height, "FPSType": 0, "FPSCommon": 30},
            "Output": {"Mode": "Simple"},
        }))
        self.write_collection(collection)

    def write_collection(self, collection: dict) -> None:
        path = self.config / "obs-studio" / "basic" / "scenes" / f"{collection['name']}.json"
        path.write_text(json.dumps(collection, indent=1))

    def collection_path(self, name: str = "backdrop_test") -> Path:
        return self.config / "obs-studio" / "basic" / "scenes" / f"{name}.json"

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self, timeout: float = 60.0) -> ObsInstance:
        """Xvfb, then OBS, then the websocket client. If any step fails, what was started is stopped
        (a `with` block's __exit__ never runs when __enter__ raises: an orphaned OBS would skew every
        benchmark after it)."""
        if self.obs is not None and self.obs.poll() is None:
            raise RuntimeError("this OBS is already running; stop() it first")
        try:
            self._start(timeout)
        except BaseException:
            self.stop(timeout=10.0, check=False)  # the start-up failure is the error to report
            raise
        return self

    def _start(self, timeout: float) -> None:
        self.exit_code = None
        display = _free_display()
        self.xvfb = subprocess.Popen(["Xvfb", f":{display}", "-screen", "0", "1920x1080x24", "-nolisten", "tcp"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 15
        while not Path(f"/tmp/.X11-unix/X{display}").exists():
            if self.xvfb.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("Xvfb did not start")
            time.sleep(0.05)
        runtime = self.root / "runtime"
        runtime.mkdir(mode=0o700, exist_ok=True)
        env = {"HOME": str(self.root), "XDG_CONFIG_HOME": str(self.config), "DISPLAY": f":{display}",
               "LANG": "C.UTF-8", "QT_QPA_PLATFORM": "xcb", "XDG_RUNTIME_DIR": str(runtime),
               "PATH": "/usr/bin:/bin", **self.extra_env}
        self.stdout_path = self.root / "obs_stdout.log"
        # OBS names its log after the start time, to the second: a restart within the same second would
        # overwrite the previous run's log, which log_text() still reports.
        for old in (self.config / "obs-studio" / "logs").glob("2*.txt"):
            old.rename(old.with_name(f"run-{time.time_ns()}-{old.name}"))
        with open(self.stdout_path, "ab") as out:
            self.obs = subprocess.Popen(
                ["obs", "--multi", "--minimize-to-tray", "--disable-updater", "--disable-missing-files-check",
                 "--collection", "backdrop_test", "--profile", "backdrop_test", "--verbose"],
                env=env, cwd=self.root, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        self.client = self._connect(timeout)

    def _connect(self, timeout: float):
        import obsws_python

        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            if self.obs.poll() is not None:
                raise RuntimeError(f"OBS exited with {self.obs.returncode} during start-up:\n{self.log_tail()}")
            try:
                client = obsws_python.ReqClient(host="127.0.0.1", port=self.port, password=self.password,
                                                timeout=30)
                break
            except Exception as exc:  # not listening yet
                last = exc
                time.sleep(0.5)
        else:
            raise RuntimeError(f"obs-websocket did not answer in {timeout}s ({last}):\n{self.log_tail()}")
        self.client = client
        self.wait_ready(timeout=max(5.0, deadline - time.monotonic()))
        return client

    def loaded_collection(self) -> str | None:
        """The scene collection OBS has finished loading, or None while it is not ready for requests.

        obs-websocket 5.3+ (OBS 30 on) answers every request with 207 "not ready" until OBS has
        finished loading and while it switches collections (obs-websocket commit a0ffe16e, "Pause
        requests and events during start, SC change, and shutdown", src/eventhandler/EventHandler.cpp
        at 5.5.2 in OBS 30.2.3: OBS_FRONTEND_EVENT_FINISHED_LOADING, SCENE_COLLECTION_CHANGING/CHANGED).
        5.1.0 (OBS 29.0.2) answers at once, so the collection's scene must also list its items."""
        import obsws_python

        try:
            name = self.call("GetSceneCollectionList")["currentSceneCollectionName"]
            scene = self.call("GetCurrentProgramScene")["currentProgramSceneName"]
            self.call("GetSceneItemList", {"sceneName": scene})
        except obsws_python.error.OBSSDKRequestError as exc:
            if exc.code == 207 or exc.code >= 600:  # not ready; no such scene yet (5.1 while it loads)
                return None
            raise
        return name

    def wait_ready(self, collection: str | None = None, timeout: float = 30.0) -> str:
        """Until OBS takes requests on a loaded collection (`collection`, when given); returns its name."""
        return self.wait_for(lambda: (name := self.loaded_collection()) and (collection in (None, name)) and name,
                             f"OBS ready with collection {collection or 'any'}", timeout)

    def stop(self, timeout: float = 30.0, check: bool = True) -> int | None:
        """SIGINT (a clean exit, as on Ctrl+C), then SIGKILL if OBS hangs. Returns OBS's exit code, and
        asserts it is `expect_exit` (0 unless the test said otherwise): a crash at exit is a failure."""
        self._close_client()
        if self.obs is not None and self.obs.poll() is None:
            self.obs.send_signal(signal.SIGINT)
            try:
                self.obs.wait(timeout)
            except subprocess.TimeoutExpired:
                self._dump_threads()
                self.obs.kill()
                self.obs.wait()
                self.exit_code = -9
        if self.obs is not None and self.exit_code is None:
            self.exit_code = self.obs.returncode
        if self.xvfb is not None and self.xvfb.poll() is None:
            self.xvfb.terminate()
            try:
                self.xvfb.wait(10)
            except subprocess.TimeoutExpired:
                self.xvfb.kill()
        if check and self.obs is not None and self.expect_exit is not None:
            assert self.exit_code == self.expect_exit, \
                f"OBS exited with {self.exit_code}, expected {self.expect_exit}:\n{self.log_tail()}"
        return self.exit_code

    def _close_client(self) -> None:
        """Disconnect obs-websocket first, so OBS closes without a client waiting on it."""
        if self.client is not None:
            try:
                self.client.base_client.ws.close()
            except Exception:
                pass
            self.client = None

    def _dump_threads(self) -> None:
        """A hung shutdown is a bug to diagnose, not just to kill: every thread's stack into hang-gdb.txt."""
        if not shutil.which("gdb"):
            return
        out = self.config / "hang-gdb.txt"
        with open(out, "w") as fh:
            subprocess.run(["gdb", "-p", str(self.obs.pid), "-batch", "-ex", "thread apply all bt 30"],
                           stdout=fh, stderr=subprocess.STDOUT, timeout=120, check=False)
        print(f"OBS hung at shutdown; thread stacks in {out}")

    def __enter__(self) -> ObsInstance:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- observation -------------------------------------------------------------------------
    def log_text(self) -> str:
        """All OBS log files of this instance plus its stdout, oldest first."""
        logs = sorted((self.config / "obs-studio" / "logs").glob("*.txt"), key=lambda p: p.stat().st_mtime)
        parts = [p.read_text(errors="replace") for p in logs]
        return "\n".join(parts)

    def log_tail(self, n: int = 60) -> str:
        text = self.log_text() or (self.stdout_path.read_text(errors="replace") if self.stdout_path.exists() else "")
        return "\n".join(text.splitlines()[-n:])

    def wait_log(self, needle: str, timeout: float = 20.0, count: int = 1) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = self.log_text()
            if text.count(needle) >= count:
                return text
            time.sleep(0.2)
        raise AssertionError(f"{needle!r} not seen {count}x in the OBS log within {timeout}s:\n{self.log_tail()}")

    def call(self, request: str, data: dict | None = None) -> dict:
        return self.client.send(request, data or {}, raw=True) or {}

    def screenshot(self, source: str = SOURCE, width: int | None = None, height: int | None = None
                   ) -> np.ndarray:
        """The source as OBS renders it (filters applied), RGBA uint8."""
        req = {"sourceName": source, "imageFormat": "png"}
        if width:
            req |= {"imageWidth": width, "imageHeight": height}
        data = self.call("GetSourceScreenshot", req)["imageData"]
        png = base64.b64decode(data.split(",", 1)[1])
        img = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_UNCHANGED)
        if img.ndim == 3 and img.shape[2] == 4:
            return cv2.cvtColor(img, cv2.COLOR_BGRA2RGBA)
        return cv2.cvtColor(img, cv2.COLOR_BGR2RGBA)

    def shown(self, source: str = SOURCE) -> np.ndarray | None:
        """A screenshot, or None while the source has no picture. From OBS 30.1 an image source decodes a
        new file off the graphics thread and is 0x0 until its texture is loaded (plugins/image-source/
        image-source.c, commit a4f229002 "Rework slideshow", first in 30.1.0); obs-websocket answers 702
        "Failed to render screenshot" for a 0x0 source (TakeSourceScreenshot: gs_texrender_begin fails)."""
        import obsws_python

        try:
            return self.screenshot(source)
        except obsws_python.error.OBSSDKRequestError as exc:
            if exc.code == 702:
                return None
            raise

    def obs_version(self) -> tuple[int, ...]:
        """The OBS this instance runs, as obs-websocket reports it (GetVersion)."""
        return tuple(int(x) for x in self.call("GetVersion")["obsVersion"].split("-")[0].split(".")[:3])

    def add_filter(self, name: str = "Backdrop", settings: dict | None = None, source: str = SOURCE,
                   kind: str = KIND) -> None:
        self.call("CreateSourceFilter", {"sourceName": source, "filterName": name, "filterKind": kind,
                                         "filterSettings": settings or {}})

    def set_filter(self, settings: dict, name: str = "Backdrop", source: str = SOURCE) -> None:
        self.call("SetSourceFilterSettings", {"sourceName": source, "filterName": name,
                                              "filterSettings": settings, "overlay": True})

    def stats(self) -> dict:
        return self.call("GetStats")

    def measured_stats(self, timeout: float = 15.0) -> dict:
        """GetStats once OBS has measured a frame rate: its per-second figures read 0 in its first second.

        A frozen render thread also reads 0, and keeps reading it: callers assert on the figures."""
        deadline = time.monotonic() + timeout
        stats = self.stats()
        while stats["activeFps"] == 0 and time.monotonic() < deadline:
            time.sleep(0.1)
            stats = self.stats()
        return stats

    def filter_settings(self, name: str = "Backdrop", source: str = SOURCE) -> dict:
        return self.call("GetSourceFilter", {"sourceName": source, "filterName": name})["filterSettings"]

    def latest_status(self, name: str = "Backdrop") -> str:
        """The filter's newest status line in the log (BACKDROP_STATUS_LOG_S sets how often it is logged)."""
        lines = [x for x in self.log_text().splitlines() if f"filter '{name}' status:" in x]
        return lines[-1] if lines else ""

    def wait_masks(self, n: int = 3, timeout: float = 30.0, name: str = "Backdrop") -> str:
        """Wait until the filter has shown `n` masks made after this call, e.g. with settings just set
        (libobs applies them at the next frame): counted from the first status line logged after the
        call. Returns the status line that shows them."""
        def shown(line: str) -> int | None:
            m = re.search(r"\((\d+) masks shown[,)]", line)
            return int(m.group(1)) if m else None

        deadline = time.monotonic() + timeout
        first = self.latest_status(name)
        while (status := self.latest_status(name)) == first or shown(status) is None:
            assert time.monotonic() < deadline, f"no new status line with masks: {status}\n{self.log_tail()}"
            time.sleep(0.1)
        start = shown(status)
        while (shown(status := self.latest_status(name)) or 0) < start + n:
            assert time.monotonic() < deadline, f"fewer than {n} new masks shown: {status}\n{self.log_tail()}"
            time.sleep(0.1)
        return status

    def wait_for(self, check, what: str, timeout: float = 30.0):
        """Poll `check()` until it returns something true (returned), for the state a test asserts;
        an exception inside it (e.g. no screenshot of a 0x0 source) counts as not yet."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                if result := check():
                    return result
            except Exception:  # noqa: BLE001 - not yet: e.g. the source is 0x0 right now
                pass
            assert time.monotonic() < deadline, f"{what}: not within {timeout} s\n{self.log_tail()}"
            time.sleep(0.1)

    def rendered_frames(self, n: int, timeout: float = 30.0) -> None:
        """Wait until OBS has rendered `n` more frames (its own count, GetStats)."""
        start = self.stats()["renderTotalFrames"]
        self.wait_for(lambda: self.stats()["renderTotalFrames"] >= start + n, f"{n} frames rendered", timeout)

    def wait_status(self, pattern: str, timeout: float = 30.0, name: str = "Backdrop") -> str:
        """The filter's newest status line once it matches `pattern` (a regex), polled until `timeout`."""
        deadline = time.monotonic() + timeout
        while not re.search(pattern, status := self.latest_status(name)):
            assert time.monotonic() < deadline, f"status never matched {pattern!r}: {status}\n{self.log_tail()}"
            time.sleep(0.2)
        return status


def assert_effect_failure_passes_video_through(inst: ObsInstance, reference: np.ndarray) -> None:
    """After an effect failed to compile: two seconds of frames later the picture is still the source's
    own, and the failure was logged once (latched: not compiled again every frame)."""
    start = inst.measured_stats()["renderTotalFrames"]
    while inst.stats()["renderTotalFrames"] < start + 60:
        time.sleep(0.1)
    assert np.array_equal(inst.screenshot(), reference)
    failures = [x for x in inst.log_text().splitlines() if "does not compile" in x and "status:" not in x]
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
