"""`python3 -m installer doctor`: what is wrong with this set-up, and the fix for each problem.

Its output is meant to be pasted into a bug report whole: what machine, which OBS, which row of the
support matrix, what the environment holds against what it should hold.
"""

from __future__ import annotations

import json
import platform
import subprocess
import sys
from pathlib import Path

from . import INSTALL_COMMAND, support
from .config_files import ini_get
from .interpreter import mac_version, os_name, probe_python
from .obs_locate import ObsInstall, binary_arches, next_obs_version, obs_binary, obs_loaded_python, obs_running
from .windows import obs_can_open, python_folder_fix, store_python
from .wiring import script_registered

REPO = Path(__file__).resolve().parent.parent
SCRIPT = REPO / "obs_script" / "backdrop_obs.py"
PROBE = """
import importlib.metadata as m, json, sys
import numpy, cv2
from core.ort_loader import directml_dll, onnxruntime
ort = onnxruntime()
def version(name):
    try:
        return m.version(name)
    except m.PackageNotFoundError:
        return None
names = ("numpy", "opencv-python-headless", *RUNTIMES)
print(json.dumps({"python": "%d.%d" % sys.version_info[:2], "providers": ort.get_available_providers(),
                  "packages": {n: v for n in names if (v := version(n))}, "directml_dll": directml_dll()}))
"""


def _probe_code() -> str:
    return f"RUNTIMES = {support.RUNTIME_DISTRIBUTIONS!r}" + PROBE


def _git_commit() -> str:
    res = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    return res.stdout.strip() if res.returncode == 0 else "not a git checkout"


def _system() -> str:
    if sys.platform == "darwin":
        return f"macOS {platform.mac_ver()[0]} {platform.machine()}"
    return f"{platform.platform()} {platform.machine()}"


def doctor(install: ObsInstall | None, venv: Path) -> int:
    """Print the set-up, then one line per check: ok, or the problem and its fix. Exit 1 when something needs fixing."""

    problems = 0

    def report(ok: bool, text: str, fix: str = "") -> None:
        nonlocal problems
        problems += not ok
        print(f"[backdrop] {'ok     ' if ok else 'PROBLEM'} {text}{'' if ok else f' -> {fix}'}")

    system = os_name()
    binary = obs_binary()
    version = next_obs_version(install.version if install else None, binary)  # an upgrade not started yet counts
    print("[backdrop] doctor: paste everything below into a bug report")
    print(f"[backdrop] backdrop {__import__('core').__version__} ({_git_commit()}); system {_system()}; "
          f"installer Python {platform.python_version()} ({sys.executable})")
    arches = ", ".join(sorted(binary_arches(binary))) if binary else ""
    print(f"[backdrop] OBS {'.'.join(map(str, version)) if version else 'version unknown (never run?)'}; "
          f"config {install.config_dir if install else 'not found'} ({install.flavour if install else '-'}); "
          f"binary {binary or 'not found'}{f' ({arches})' if arches else ''}")

    vpy = venv / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")
    report(vpy.exists(), f"environment {venv}", f"run `{INSTALL_COMMAND}`")
    info = None
    if vpy.exists():
        res = subprocess.run([str(vpy), "-c", _probe_code()], capture_output=True, text=True)
        if res.returncode == 0:
            info = json.loads(res.stdout.strip().splitlines()[-1])
        missing = res.stderr.strip().splitlines()[-1] if res.returncode and res.stderr.strip() else ""
        report(res.returncode == 0, "numpy, opencv and onnxruntime import", f"{missing}; run `{INSTALL_COMMAND}`")
    if info:
        _check_packages(report, info, probe_python(vpy), system, install, version)
        gpu = [p for p in info["providers"] if p not in ("CPUExecutionProvider", "AzureExecutionProvider")]
        report(True, f"execution providers: {', '.join(info['providers'])}")
        if system == "windows":
            report("DmlExecutionProvider" in gpu, "DirectML available",
                   "install the Microsoft Visual C++ Redistributable (x64) and update the GPU driver, then run "
                   f"`{INSTALL_COMMAND}`")
            dll = info.get("directml_dll") or "not loaded"
            report("system32" not in dll.lower() and dll != "not loaded", f"DirectML.dll in use: {dll}",
                   f"the package's DirectML.dll should load before Windows' own: run `{INSTALL_COMMAND}`")
    if install is None:
        report(False, "OBS configuration found", f"start OBS once and close it, then run `{INSTALL_COMMAND}`")
        return 1 if problems else 0
    if install.has_python_setting:
        ini = install.python_ini
        home = ini_get(ini.read_bytes(), "Python", "Path64bit") if ini.exists() else None
        check_python_folder(report, home, system, version, info["python"] if info else None)
    collections = script_registered(install, SCRIPT)
    report(bool(collections), f"Backdrop script loaded by: {', '.join(collections) or 'no scene collection'}",
           f"close OBS and run `{INSTALL_COMMAND}` (or Tools > Scripts > + in OBS)")
    report(not obs_running(), "OBS not running (needed only to change its configuration)", "close OBS")
    return 1 if problems else 0


def check_python_folder(report, home: str | None, system: str, version: tuple[int, int, int] | None,
                        python: str | None) -> None:
    """OBS's [Python] Path64bit: set, openable by OBS (Windows: ASCII, windows.obs_can_open), and holding
    the environment's Python by OBS's own rule."""
    report(bool(home), f"OBS Python folder: {home or 'not set'}", f"run `{INSTALL_COMMAND}` (it sets it)")
    if not home:
        return
    if system == "windows":
        report(obs_can_open(home), "OBS can open that folder (its path is ASCII: OBS reads it in the ANSI code "
               "page)", f"run `{INSTALL_COMMAND}` (it writes the folder's short 8.3 name), or "
               + python_folder_fix(python or "3.12"))
    if version and python:
        loaded = obs_loaded_python(Path(home), system, version)
        report(loaded == python, f"OBS loads Python {loaded or 'nothing'} from there; the environment "
               f"is {python}", f"run `{INSTALL_COMMAND}` with Python {loaded or python}")


def _check_packages(report, info: dict, venv_info: dict, system: str, install: ObsInstall | None,
                    version: tuple[int, int, int] | None) -> None:
    """The environment against its row of the support matrix: the pins, and exactly one ONNX Runtime build."""

    mac = mac_version(venv_info, system)
    arch = support.normalise_arch(system, venv_info["machine"])
    bits = venv_info.get("bits", 64)
    report(bits == 64, f"the environment's Python is {bits}-bit", "OBS loads only a 64-bit Python: install the "
           f"64-bit Python {venv_info['version']} and run `{INSTALL_COMMAND}` with it")
    if system == "windows":
        store = store_python(venv_info)
        where = f": it is ({store})" if store else ""
        report(not store, f"the environment's Python is not the Microsoft Store's{where}",
               f"its folder changes with every Store update: install Python {venv_info['version']} from python.org "
               f"and run `py -{venv_info['version']} -m installer`")
    try:
        row = support.row_for(system, arch, version, mac,
                              bool(install and install.flavour == "flatpak"))
    except LookupError as exc:
        report(False, str(exc), "see README, Supported")
        return
    report(row.supported, f"support matrix: {row.label()}, OBS {row.obs}: "
           f"{'supported' if row.supported else 'not supported: ' + row.why_not}", "see README, Supported")
    runtimes = [n for n in support.RUNTIME_DISTRIBUTIONS if n in info["packages"]]
    report(len(runtimes) == 1, f"ONNX Runtime builds installed: {', '.join(runtimes) or 'none'}",
           f"run `{INSTALL_COMMAND}` (it keeps exactly one)")
    if not row.supported or not runtimes:
        return
    target = support.Target(system, arch if system == "macos" else row.arch, info["python"], mac,
                            support.gpu_of(runtimes[0]))
    wanted = support.pinned(target)
    have = [f"{n}=={info['packages'].get(n.split('==')[0], 'missing')}" for n in (r.split("==")[0] for r in wanted)]
    report(have == wanted, f"packages: {', '.join(have)}", f"expected {', '.join(wanted)}: run `{INSTALL_COMMAND}`")
