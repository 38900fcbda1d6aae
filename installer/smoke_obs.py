#!/usr/bin/env python3
"""Backdrop in a real OBS on this machine: the smoke test the Windows and macOS workflows run, and that
anyone can run after installing to confirm that Backdrop works in their OBS.

    .venv\\Scripts\\python -m installer.smoke_obs      (Windows)
    .venv/bin/python -m installer.smoke_obs             (macOS, Linux)

Run it from the repository folder with the Python of Backdrop's environment, after `python -m installer`,
with obsws-python added there (`.venv/bin/python -m pip install obsws-python==1.8.0`). Close nothing:
your own OBS and its settings are never touched. OBS runs with a fresh configuration in a temporary
folder: on Windows a portable copy of your OBS folder (`--portable`, config in <copy>/config), on macOS
your OBS.app with its Application Support folder redirected (HOME and CFFIXED_USER_HOME), on Linux
under Xvfb with XDG_CONFIG_HOME (installer/fresh_obs.py, which this program builds on). Only that block,
`SmokeObs._start` and `SmokeObs.stop`, differs between systems.

The configuration is wired with the installer's own code (installer/wiring.py: the Python folder OBS
loads, in global.ini or, from OBS 31, user.ini; the script in the scene collection). Then, through
obs-websocket, it adds the Backdrop filter to an image source showing the bundled sample photo
(core/samples/astronaut.jpg) and checks, waiting for each state rather than for fixed times:
  - the status line names the provider in use: with --expect-provider auto (the default), DirectML on
    Windows when DXGI lists a hardware adapter with Direct3D 12 (ONNX Runtime's DirectML refuses WARP, the
    software adapter of a machine without a GPU: installer/directml_adapters.py), else the CPU with the
    reason; elsewhere the GPU provider, or the CPU with the reason the GPU provider is not used;
  - a screenshot keeps the person (alpha >= 0.8 over 95% of the person) and removes the background
    (alpha <= 0.1 over 95% of it), the regions taken from core's CPU mask of the same photo away from
    its edges (checked against hand-chosen boxes on the face, the suit, the wall and the flag);
  - OBS's log has no Python traceback, and OBS exits with code 0.
Exit status: 0 when every check passed, 1 when one failed (each is printed, with the OBS log's tail),
2 when the test could not run (the message says what to do). --json FILE writes the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from installer import directml_adapters, obs_locate, support, wiring  # noqa: E402  (standard library only)
from installer.cli import obs_python_folder, probe_python, venv_python  # noqa: E402
from installer.config_files import atomic_write, ini_set  # noqa: E402

try:
    from installer.fresh_obs import PHOTO, SCRIPT, FreshObs  # noqa: E402  (numpy, OpenCV)
except ImportError as _exc:  # not the Python of Backdrop's environment
    print(f"[smoke] cannot run: {_exc}: run this with the Python of Backdrop's environment "
          f"(.venv/bin/python, or .venv\\Scripts\\python on Windows)", file=sys.stderr)
    sys.exit(2)

Version = tuple[int, int, int]
SYSTEM = {"win32": "windows", "darwin": "macos"}.get(sys.platform, "linux")
PERSON_MIN, BACKGROUND_MAX, COVERAGE = 0.8, 0.1, 0.95
# Boxes (x0, y0, x1, y1) on the 512x512 sample, well inside the astronaut (face, suit) and well outside
# her (the wall between her hair and the shuttle model, the flag's corner): the reference mask must agree.
PERSON_BOXES = ((190, 80, 260, 140), (60, 300, 220, 420))
BACKGROUND_BOXES = ((315, 10, 365, 110), (5, 5, 60, 90))
EDGE_MARGIN = 6  # pixels kept away from the reference mask's edge on both sides
STATUS_READY = r"filter 'Backdrop' status: .*?\bon (?P<provider>\w+)"  # the first "on": "selfie_general on CPU"
STATUS_BROKEN = r"filter 'Backdrop' status: Passing video through"
REGISTERED = "registered filter 'backdrop_filter'"


class SmokeError(Exception):
    """The smoke test could not run (as opposed to a check that failed); the message says what to do."""


def say(msg: str) -> None:
    print(f"[smoke] {msg}", flush=True)


# -- finding OBS and its version -----------------------------------------------------------------------
def find_obs(given: Path | None) -> Path:
    """OBS's executable: --obs (obs64.exe or its install folder, OBS.app, obs), else where its installer puts it."""
    path = given if given is not None else obs_locate.obs_binary()
    if path is None:
        raise SmokeError("OBS was not found where its installer puts it: pass --obs PATH (obs64.exe or the "
                         "obs-studio folder on Windows, OBS.app on macOS, obs on Linux)")
    path = Path(path)
    if path.is_dir():
        inner = next((path / p for p in ("Contents/MacOS/OBS", "bin/64bit/obs64.exe") if (path / p).is_file()), None)
        if inner is None:
            raise SmokeError(f"no OBS executable in {path} (looked for Contents/MacOS/OBS and bin/64bit/obs64.exe)")
        path = inner
    elif not path.exists() and shutil.which(str(path)):
        path = Path(shutil.which(str(path)))
    if not path.is_file():
        raise SmokeError(f"{path} does not exist")
    return path


pe_file_version = obs_locate.pe_file_version  # obs64.exe's FILEVERSION (the installer reads it too)


def obs_version(binary: Path) -> Version:
    if SYSTEM == "windows":
        found = pe_file_version(binary.read_bytes())
    elif SYSTEM == "macos":
        found = obs_locate.app_version(binary)
    else:
        out = subprocess.run([str(binary), "--version"], capture_output=True, text=True, timeout=60).stdout
        m = re.search(r"(\d+)\.(\d+)\.(\d+)", out)
        found = tuple(int(x) for x in m.groups()) if m else None  # type: ignore[assignment]
    if not found:
        raise SmokeError(f"cannot read OBS's version from {binary}: pass --obs-version X.Y.Z")
    return found


def parse_version(text: str) -> Version:
    parts = [int(x) for x in re.findall(r"\d+", text)[:3]]
    return tuple(parts + [0] * (3 - len(parts)))  # type: ignore[return-value]


def last_version(v: Version) -> int:
    """global.ini's LastVersion: (major << 24) | (minor << 16) | patch (LIBOBS_API_VER)."""
    return (v[0] << 24) | (v[1] << 16) | v[2]


def obs_environment(extra: dict[str, str]) -> dict[str, str]:
    """This process's environment without the variables of the Python running this program (a venv's
    launcher variables would mislead OBS's embedded Python), plus `extra`."""
    env = {k: v for k, v in os.environ.items()
           if not k.upper().startswith("PYTHON") and k.upper() not in ("VIRTUAL_ENV", "__PYVENV_LAUNCHER__")}
    return env | extra


# -- the per-OS block: a fresh OBS configuration, starting and stopping OBS ----------------------------
class SmokeObs(FreshObs):
    """One OBS with a fresh configuration nobody else uses, wired by the installer's code."""

    def __init__(self, binary: Path, version: Version, venv: Path, work: Path, env: dict[str, str]) -> None:
        self.binary, self.version, self.venv = binary, version, venv
        self.wiring: list[str] = []
        if SYSTEM == "windows":
            # Portable mode reads ../../config from OBS's working directory (obs-app.cpp / obs-main.cpp:
            # CONFIG_PATH BASE_PATH "/config", BASE_PATH "../.."), so OBS runs from a copy of its folder.
            install = binary.parent.parent.parent
            root = work / "obs"
            say(f"copying {install} to {root} (a portable OBS of its own)")
            shutil.copytree(install, root, ignore=lambda d, names: ["config"] if Path(d) == install else [])
            (root / "portable_mode.txt").write_text("")
        else:
            root = work
        super().__init__(root=root, scripts=[], env=env)
        self._configure()

    def _configure(self) -> None:
        cfg = self.config / "obs-studio"
        ini = cfg / "global.ini"
        data = ini.read_bytes()
        stamp = last_version(self.version)
        for key, value in (("LastVersion", stamp),  # the version under test, so OBS reads settings as its own
                           # macOS: a modal permissions dialog unless shown before (MACOS_PERMISSIONS_DIALOG_VERSION 1)
                           ("MacOSPermissionsDialogLastShown", 1),
                           # What's New opens a browser window once per version (OBSBasic::ReceivedIntroJson)
                           ("InfoLastVersion", stamp << 16), ("InfoIncrement", 1_000_000)):
            data = ini_set(data, "General", key, str(value))
        atomic_write(ini, data)
        install = obs_locate.ObsInstall(cfg, SYSTEM, self.version)
        if install.python_ini != ini:
            # OBS 31 reads user settings from user.ini; a config from before 31 is copied there whole
            # (OBSApp::MigrateGlobalSettings), which is what this does.
            shutil.copyfile(ini, install.python_ini)
        home = obs_python_folder(probe_python(venv_python(self.venv)), SYSTEM) if install.has_python_setting else None
        for change in wiring.plan_install(install, SCRIPT, home):
            atomic_write(change.path, change.after)
            self.wiring.append(change.what)

    def _start(self, timeout: float) -> None:
        if SYSTEM == "linux":
            return super()._start(timeout)  # Xvfb and Debian's obs, as every real-OBS test runs them
        self.exit_code = None
        flags = ["--multi", "--disable-updater", "--disable-missing-files-check", "--collection", "backdrop_test",
                 "--profile", "backdrop_test", "--verbose"]
        env = obs_environment(self.extra_env)
        if SYSTEM == "windows":
            exe = self.root / "bin" / "64bit" / "obs64.exe"
            # OBS finds its data, plugins and portable config relative to its working directory.
            cmd, cwd, extra = [str(exe), "--portable", *flags], exe.parent, {}
        else:
            # macOS OBS has no portable mode: its config is NSApplicationSupportDirectory (platform-cocoa.m),
            # under the home CoreFoundation reports, which CFFIXED_USER_HOME sets (HOME alone is not read).
            home = self.root / "home"
            (home / "Library").mkdir(parents=True, exist_ok=True)
            support_dir = home / "Library" / "Application Support"
            if not support_dir.exists():
                support_dir.symlink_to(self.config, target_is_directory=True)
            env |= {"HOME": str(home), "CFFIXED_USER_HOME": str(home)}
            check_mac_home(env, home)
            cmd, cwd, extra = [str(self.binary), *flags], self.root, {"start_new_session": True}
        self.stdout_path = self.root / "obs_stdout.log"
        with open(self.stdout_path, "ab") as out:
            self.obs = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, **extra)
        self.client = self._connect(timeout)

    def stop(self, timeout: float = 30.0, check: bool = True) -> int | None:
        if SYSTEM == "windows" and self.obs is not None and self.obs.poll() is None:
            # No SIGINT on Windows: close the main window, as a user does (WM_CLOSE; .NET's CloseMainWindow).
            self._close_client()
            deadline = time.monotonic() + timeout
            while self.obs.poll() is None and time.monotonic() < deadline:
                if not close_windows(self.obs.pid):
                    time.sleep(0.5)  # no visible window yet
                    continue
                try:
                    self.obs.wait(max(1.0, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    break
            if self.obs.poll() is None:
                self.obs.kill()
                self.obs.wait()
                self.exit_code = -9
        return super().stop(timeout, check)


def close_windows(pid: int) -> int:
    """Post WM_CLOSE to every visible top-level window of `pid`; how many there were."""
    import ctypes
    from ctypes import wintypes

    user32 = ctypes.WinDLL("user32")
    enum_proc = ctypes.WINFUNCTYPE(wintypes.BOOL, wintypes.HWND, wintypes.LPARAM)
    user32.EnumWindows.argtypes = [enum_proc, wintypes.LPARAM]
    user32.EnumWindows.restype = wintypes.BOOL
    user32.GetWindowThreadProcessId.argtypes = [wintypes.HWND, ctypes.POINTER(wintypes.DWORD)]
    user32.GetWindowThreadProcessId.restype = wintypes.DWORD
    user32.IsWindowVisible.argtypes = [wintypes.HWND]
    user32.IsWindowVisible.restype = wintypes.BOOL
    user32.PostMessageW.argtypes = [wintypes.HWND, wintypes.UINT, wintypes.WPARAM, wintypes.LPARAM]
    user32.PostMessageW.restype = wintypes.BOOL
    windows = []

    def visit(hwnd, _):
        owner = wintypes.DWORD()
        user32.GetWindowThreadProcessId(hwnd, ctypes.byref(owner))
        if owner.value == pid and user32.IsWindowVisible(hwnd):
            windows.append(hwnd)
        return True

    user32.EnumWindows(enum_proc(visit), 0)
    for hwnd in windows:
        user32.PostMessageW(hwnd, 0x0010, 0, 0)  # WM_CLOSE
    return len(windows)


MAC_HOME_PROBE = """
import ctypes, ctypes.util
cf = ctypes.CDLL(ctypes.util.find_library("CoreFoundation"))
cf.CFCopyHomeDirectoryURL.restype = ctypes.c_void_p
cf.CFURLGetFileSystemRepresentation.argtypes = [ctypes.c_void_p, ctypes.c_bool, ctypes.c_char_p, ctypes.c_long]
cf.CFURLGetFileSystemRepresentation.restype = ctypes.c_bool
buf = ctypes.create_string_buffer(4096)
cf.CFURLGetFileSystemRepresentation(cf.CFCopyHomeDirectoryURL(), True, buf, 4096)
print(buf.value.decode())
"""


def check_mac_home(env: dict[str, str], home: Path) -> None:
    """Before OBS starts: does CoreFoundation, in a process with this environment, see `home` as the home?
    If not, OBS would use (and on exit rewrite) the user's own configuration: refuse."""
    res = subprocess.run([sys.executable, "-c", MAC_HOME_PROBE], env=env, capture_output=True, text=True)
    seen = res.stdout.strip()
    if res.returncode == 0 and Path(seen).resolve() == home.resolve():
        return
    if res.returncode != 0 and os.environ.get("CI"):  # a disposable runner: nothing of the user's to protect
        say(f"warning: could not ask CoreFoundation for the home folder: {res.stderr.strip()[-300:]}")
        return
    raise SmokeError(f"CoreFoundation reports the home folder as {seen or res.stderr.strip()[-300:]!r}, not "
                     f"{home}: OBS would use your own configuration, so the smoke test does not start it")


# -- the reference: where the person is --------------------------------------------------------------
def reference_regions(rgb):
    """(surely person, surely background) boolean masks: core's CPU mask of the photo, its settled
    temporal state, each side eroded by EDGE_MARGIN; checked against the hand-chosen boxes."""
    import cv2
    import numpy as np

    from core.cpu_frame import full_size, run_frame
    from core.mask_source import MaskOptions
    from core.segmenter import Segmenter
    from core.selfie import SelfiePipeline
    from core.tools.composite import alpha_lut

    pipe = SelfiePipeline(Segmenter("selfie_general", "cpu"), MaskOptions())
    for _ in range(5):
        result = run_frame(pipe, rgb)
    alpha = cv2.LUT(full_size(result, rgb), alpha_lut())
    kernel = np.ones((2 * EDGE_MARGIN + 1,) * 2, np.uint8)
    person = cv2.erode((alpha == 255).astype(np.uint8), kernel) > 0
    background = cv2.erode((alpha == 0).astype(np.uint8), kernel) > 0
    for boxes, region, what in ((PERSON_BOXES, person, "person"), (BACKGROUND_BOXES, background, "background")):
        for x0, y0, x1, y1 in boxes:
            if region[y0:y1, x0:x1].mean() < 0.99:
                raise SmokeError(f"core's reference mask does not put box {(x0, y0, x1, y1)} in the {what}: "
                                 f"the CPU pipeline itself is broken here (run `python -m installer doctor`)")
    return person, background


def alpha_figures(alpha, person, background) -> dict:
    import cv2
    import numpy as np

    if alpha.shape != person.shape:  # a source drawn at another size than the photo's
        alpha = cv2.resize(alpha, person.shape[::-1], interpolation=cv2.INTER_NEAREST)
    a = alpha.astype(np.float32) / 255.0
    p, b = a[person], a[background]
    return {"person_pixels": int(p.size), "person_mean": float(p.mean()), "person_p05": float(np.percentile(p, 5)),
            "person_kept_share": float((p >= PERSON_MIN).mean()),
            "background_pixels": int(b.size), "background_mean": float(b.mean()),
            "background_p95": float(np.percentile(b, 95)),
            "background_removed_share": float((b <= BACKGROUND_MAX).mean())}


def mask_ok(fig: dict) -> bool:
    return fig["person_kept_share"] >= COVERAGE and fig["background_removed_share"] >= COVERAGE


# -- the provider ---------------------------------------------------------------------------------------
def provider_check(status: str, expect: str) -> tuple[bool, str]:
    """Does the status line name the provider that should run here, and say why when it is not the GPU's?"""
    from core.ort_loader import onnxruntime
    from core.providers import CPU, PREFERENCE, SHORT_NAMES, platform_key

    m = re.search(STATUS_READY, status)
    used = m.group("provider") if m else "?"
    available = list(onnxruntime().get_available_providers())
    gpus = [p for p in PREFERENCE.get(platform_key(), []) if p in available]
    short = {p: p.removesuffix("ExecutionProvider") for p in [CPU, *gpus, *SHORT_NAMES.values()] if p}
    facts = f"status names {used}; ONNX Runtime here offers {', '.join(available)}"
    if expect != "auto":
        want = short.get(SHORT_NAMES.get(expect.lower(), expect), expect.removesuffix("ExecutionProvider"))
        return used == want, f"{facts}; expected {want} (--expect-provider)"
    if SYSTEM == "windows":
        try:  # ONNX Runtime's rule: a hardware adapter with Direct3D 12, never WARP (installer/directml_adapters.py)
            adapter, note = directml_adapters.directml_adapter(directml_adapters.adapters())
        except OSError as exc:
            adapter, note = None, f"DXGI could not list the adapters ({exc})"
        facts += f"; {note}"
        if adapter is not None:
            if "DmlExecutionProvider" not in available:
                return False, (f"{facts}: DirectML could run on {adapter.description}, but the environment has no "
                               f"DirectML build of ONNX Runtime (did the installer's self-test replace it? its "
                               f"output says why)")
            return used == "Dml", f"{facts}; expected DirectML"
        reason = "not used: DmlExecutionProvider" in status or "DmlExecutionProvider" not in available
        return used == "CPU" and reason, f"{facts}; expected the CPU, with DirectML's reason"
    if used == "CPU":
        if not gpus:
            return True, f"{facts}; no GPU provider in this build"
        return f"not used: {gpus[0]}:" in status, f"{facts}; the CPU must come with {gpus[0]}'s reason"
    return used in {short[g] for g in gpus}, f"{facts}; expected one of {', '.join(short[g] for g in gpus)}"


# -- the run ----------------------------------------------------------------------------------------------
def run(args, result: dict) -> bool:
    import importlib.util

    if importlib.util.find_spec("obsws_python") is None or importlib.util.find_spec("cv2") is None:
        raise SmokeError(f"run this with the Python of Backdrop's environment, with obsws-python added: "
                         f"{venv_python(args.venv)} -m pip install obsws-python==1.8.0")
    binary = find_obs(args.obs)
    version = parse_version(args.obs_version) if args.obs_version else obs_version(binary)
    vtext = ".".join(map(str, version))
    arch = support.normalise_arch(SYSTEM, platform.machine())
    mac = tuple(int(x) for x in (platform.mac_ver()[0] or "0.0").split(".")[:2]) if SYSTEM == "macos" else None
    row = support.row_for(SYSTEM, arch, version, mac)  # type: ignore[arg-type]
    say(f"OBS {vtext} at {binary}; matrix row: {row.label()}, OBS {row.obs}")
    result["obs"] = {"version": vtext, "binary": str(binary), "row": f"{row.label()}, OBS {row.obs}"}
    if not row.supported:
        raise SmokeError(f"{row.label()}, OBS {row.obs} is not supported: {row.why_not}")
    vpy = venv_python(args.venv)
    if not vpy.exists():
        raise SmokeError(f"no environment at {args.venv}: run `python -m installer` first")
    info = probe_python(vpy)
    if SYSTEM != "linux":
        home = obs_python_folder(info, SYSTEM)  # the 8.3 name OBS is given for a non-ASCII folder
        loaded = obs_locate.obs_loaded_python(home, SYSTEM, version)
        say(f"environment: Python {info['version']} from {info['base_prefix']}; OBS {vtext} loads "
            f"{'Python ' + loaded if loaded else 'no Python'} from {home}")
        if loaded != info["version"]:
            raise SmokeError(f"OBS {vtext} would load {loaded or 'no Python'} from {home}, but the environment is "
                             f"Python {info['version']}: see README's Supported table")

    import cv2

    rgb = cv2.cvtColor(cv2.imread(str(PHOTO), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
    person, background = reference_regions(rgb)
    say(f"reference: {int(person.sum())} person and {int(background.sum())} background pixels (core, CPU)")

    work = args.work_dir or Path(tempfile.mkdtemp(prefix="backdrop-smoke-"))
    work.mkdir(parents=True, exist_ok=True)
    result["work_dir"] = str(work)
    env = {"BACKDROP_STATUS_LOG_S": "1"}
    if args.venv.resolve() != (REPO / ".venv").resolve():
        env["BACKDROP_VENV"] = str(args.venv.resolve())
    inst = SmokeObs(binary, version, args.venv, work, env)
    for line in inst.wiring:
        say(f"wired: {line}")
    checks: list[dict] = result.setdefault("checks", [])

    def check(name: str, ok: bool, detail: str) -> bool:
        checks.append({"name": name, "ok": bool(ok), "detail": detail})
        say(f"{'PASS' if ok else 'FAIL'} {name}: {detail}")
        return bool(ok)

    deadline = time.monotonic() + args.timeout
    try:
        inst.start(timeout=args.timeout)
        say(f"obs-websocket answered (OBS pid {inst.obs.pid}); log in {inst.config / 'obs-studio' / 'logs'}")
        inst.wait_log(REGISTERED, timeout=args.timeout)
        inst.add_filter("Backdrop")
        status = inst.wait_status(f"{STATUS_READY}|{STATUS_BROKEN}", timeout=args.timeout)
        if re.search(STATUS_BROKEN, status):
            check("Backdrop runs", False, status)
        else:
            shot = inst.screenshot()
            fig = alpha_figures(shot[:, :, 3], person, background)
            while not mask_ok(fig) and time.monotonic() < deadline:  # the mask settles over a few frames
                time.sleep(0.2)
                shot = inst.screenshot()
                fig = alpha_figures(shot[:, :, 3], person, background)
            result["alpha"] = fig
            check("person kept", fig["person_kept_share"] >= COVERAGE,
                  f"alpha >= {PERSON_MIN} over {fig['person_kept_share']:.1%} of {fig['person_pixels']} person "
                  f"pixels (mean {fig['person_mean']:.3f}, 5th percentile {fig['person_p05']:.3f})")
            check("background removed", fig["background_removed_share"] >= COVERAGE,
                  f"alpha <= {BACKGROUND_MAX} over {fig['background_removed_share']:.1%} of "
                  f"{fig['background_pixels']} background pixels (mean {fig['background_mean']:.3f}, 95th "
                  f"percentile {fig['background_p95']:.3f})")
            status = inst.latest_status()
            result["status"] = status.split(" status: ", 1)[-1]
            m = re.search(STATUS_READY, status)
            result["provider"] = m.group("provider") if m else None
            say(f"status: {result['status']}")
            check("provider named", *provider_check(status, args.expect_provider))
    except (AssertionError, RuntimeError) as exc:  # the harness's waits and start-up fail with the log's tail
        check("OBS reached the state", False, str(exc))
    finally:
        try:
            code = inst.stop()
        except AssertionError as exc:  # a harness that asserts on the exit code itself
            code = inst.exit_code
            say(str(exc))
    result["exit_code"] = code
    log = inst.log_text()
    at = log.find("Traceback")
    check("no Python traceback in OBS's log", at < 0, "none" if at < 0 else log[max(0, at - 300):at + 1500])
    check("OBS exited with code 0", code == 0, f"exit code {code}")
    passed = all(c["ok"] for c in checks)
    if not passed:
        print(inst.log_tail(80))
        say(f"OBS's configuration and logs are kept in {work}")
    elif args.work_dir is None:
        shutil.rmtree(work, ignore_errors=True)  # on Windows it holds a copy of OBS
    return passed


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--obs", type=Path, help="OBS: obs64.exe or the obs-studio folder, OBS.app, obs (default: "
                    "where its installer puts it)")
    ap.add_argument("--obs-version", help="OBS's version, X.Y.Z (default: read from the executable)")
    ap.add_argument("--venv", type=Path, default=REPO / ".venv", help="Backdrop's environment (default: .venv)")
    ap.add_argument("--expect-provider", default="auto",
                    help="the provider the status line must name: auto (see above), or CPU, DirectML, CoreML, ...")
    ap.add_argument("--timeout", type=float, default=180.0, help="seconds to wait for each state (default 180)")
    ap.add_argument("--work-dir", type=Path, help="where OBS's fresh configuration (and on Windows its copy) goes, "
                    "kept (default: a new temporary folder, removed when every check passed)")
    ap.add_argument("--json", type=Path, help="write the checks and figures to this file")
    args = ap.parse_args(argv)
    result: dict = {"passed": False, "system": SYSTEM, "checks": []}
    try:
        passed = run(args, result)
        rc = 0 if passed else 1
    except SmokeError as exc:
        say(f"cannot run: {exc}")
        result["error"] = str(exc)
        passed, rc = False, 2
    result["passed"] = passed
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    say("passed" if passed else ("could not run" if rc == 2 else "FAILED"))
    return rc


if __name__ == "__main__":
    sys.exit(main())
