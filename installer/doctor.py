"""`python3 -m installer doctor`: what is wrong with this set-up, and the fix for each problem."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from .config_files import ini_get
from .obs_locate import ObsInstall, obs_running
from .wiring import script_registered

REPO = Path(__file__).resolve().parent.parent
SCRIPT = REPO / "obs_script" / "backdrop_obs.py"
PROBE = ("import json, sys; import numpy, cv2, onnxruntime as ort; "
         "print(json.dumps({'python': '%d.%d' % sys.version_info[:2], 'providers': ort.get_available_providers()}))")


def doctor(install: ObsInstall | None, venv: Path) -> int:
    """Print one line per check: ok, or the problem and its fix. Exit 1 when something needs fixing."""
    problems = 0

    def report(ok: bool, text: str, fix: str = "") -> None:
        nonlocal problems
        problems += not ok
        print(f"[backdrop] {'ok     ' if ok else 'PROBLEM'} {text}{'' if ok else f' -> {fix}'}")

    vpy = venv / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")
    report(vpy.exists(), f"environment {venv}", "run `python3 -m installer`")
    info = None
    if vpy.exists():
        res = subprocess.run([str(vpy), "-c", PROBE], capture_output=True, text=True)
        if res.returncode == 0:
            import json

            info = json.loads(res.stdout.strip().splitlines()[-1])
        missing = res.stderr.strip().splitlines()[-1] if res.returncode else ""
        report(res.returncode == 0, "numpy, opencv and onnxruntime import", f"{missing}; run `python3 -m installer`")
    if info:
        gpu = [p for p in info["providers"] if p not in ("CPUExecutionProvider", "AzureExecutionProvider")]
        report(True, f"execution providers: {', '.join(info['providers'])}")
        if sys.platform == "win32":
            report("DmlExecutionProvider" in gpu, "DirectML available",
                   "install the Microsoft Visual C++ Redistributable (x64) and update the GPU driver, then run "
                   "`python -m installer`")
        if install is not None and install.has_python_setting:
            wants = install.python_versions()
            report(info["python"] in wants, f"environment Python {info['python']} loadable by OBS",
                   f"OBS loads {', '.join(wants)}: rerun the installer with one of those")
    if install is None:
        report(False, "OBS configuration found", "start OBS once and close it, then run `python3 -m installer`")
        return 1 if problems else 0
    report(True, f"OBS configuration at {install.config_dir} (OBS {'.'.join(map(str, install.version or ('?',)))})")
    if install.has_python_setting:
        ini = install.python_ini
        home = ini_get(ini.read_bytes(), "Python", "Path64bit") if ini.exists() else None
        report(bool(home), f"OBS Python folder: {home or 'not set'}", "run `python3 -m installer` (it sets it)")
    collections = script_registered(install, SCRIPT)
    report(bool(collections), f"Backdrop script loaded by: {', '.join(collections) or 'no scene collection'}",
           "close OBS and run `python3 -m installer` (or Tools > Scripts > + in OBS)")
    report(not obs_running(), "OBS not running (needed only to change its configuration)", "close OBS")
    return 1 if problems else 0
