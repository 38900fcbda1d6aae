"""`python3 -m installer`: make .venv with the Python OBS loads, install, self-test on a sample.

Standard library only: it runs before any dependency exists.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
VENV = REPO / ".venv"
SAMPLE = REPO / "core" / "samples" / "astronaut.jpg"
OBS_SCRIPT = REPO / "obs_script" / "backdrop_obs.py"


class InstallError(RuntimeError):
    """Something the user must fix; the message says how."""


def obs_python() -> Path:
    """The interpreter whose minor version OBS loads (compiled wheels only load in that version).

    Debian/Ubuntu OBS links the distro's libpython, i.e. /usr/bin/python3.
    """
    if sys.platform.startswith("linux") and Path("/usr/bin/python3").exists():
        return Path("/usr/bin/python3")
    return Path(sys.executable)


def venv_python(venv: Path) -> Path:
    return venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def run(cmd: list[str], what: str) -> None:
    print(f"[backdrop] {what}: {' '.join(map(str, cmd))}", flush=True)
    if subprocess.run(cmd).returncode != 0:
        raise InstallError(f"{what} failed (command above); fix the error it printed and run again")


def make_venv(python: Path, venv: Path) -> Path:
    vpy = venv_python(venv)
    if vpy.exists():
        return vpy
    probe = subprocess.run([str(python), "-c", "import venv, ensurepip"], capture_output=True)
    if probe.returncode != 0:
        raise InstallError(f"{python} cannot create virtual environments (no venv/ensurepip). "
                           "On Debian/Ubuntu run: sudo apt-get install -y python3-venv")
    run([str(python), "-m", "venv", str(venv)], "create environment")
    return vpy


def install(vpy: Path, dev: bool) -> None:
    extra = "[dev]" if dev else ""
    run([str(vpy), "-m", "pip", "install", "--quiet", "--upgrade", "pip"], "update pip")
    run([str(vpy), "-m", "pip", "install", "--quiet", "-e", f"{REPO}{extra}"], "install Backdrop")


def self_test(vpy: Path) -> None:
    out = REPO / "out" / "sample_mask.png"
    run([str(vpy), "-m", "core", "process", str(SAMPLE), "-o", str(out), "--mask-only"], "self-test")
    print(f"[backdrop] sample mask written to {out}")


def obs_next_steps() -> None:
    obs = shutil.which("obs")
    if obs is None:
        print("[backdrop] OBS Studio was not found. Install OBS (29.0 or newer), then in OBS open "
              f"Tools > Scripts > + and choose {OBS_SCRIPT}; add the 'Backdrop' filter to your camera.")
    else:
        print(f"[backdrop] OBS found at {obs}. In OBS open Tools > Scripts > + and choose {OBS_SCRIPT}, "
              "then right-click your camera > Filters > + > Backdrop.")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python3 -m installer", description=__doc__.splitlines()[0])
    ap.add_argument("--python", type=Path, default=None, help="interpreter for .venv (default: OBS's)")
    ap.add_argument("--venv", type=Path, default=VENV, help="where to make the environment")
    ap.add_argument("--dev", action="store_true", help="also install the test and model-build tools")
    ap.add_argument("--no-self-test", action="store_true")
    args = ap.parse_args(argv)
    try:
        vpy = make_venv(args.python or obs_python(), args.venv)
        install(vpy, args.dev)
        if not args.no_self_test:
            self_test(vpy)
        obs_next_steps()
    except InstallError as exc:
        print(f"[backdrop] error: {exc}", file=sys.stderr)
        return 1
    return 0
