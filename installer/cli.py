"""`python3 -m installer`: from a clone to Backdrop in OBS, with a self-test; also `doctor` and `release`.

    python3 -m installer                  # environment + provider + self-test + wire OBS
    python3 -m installer --dry-run        # print the plan, touch nothing
    python3 -m installer --uninstall      # remove exactly what install added
    python3 -m installer doctor           # explain what is wrong with an existing set-up
    python3 -m installer release          # dist/backdrop-<version>.zip for people without git

Standard library only: it runs before any dependency exists. Never run inside OBS (there,
sys.executable may be the OBS binary).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from . import wiring
from .obs_locate import ObsInstall, find_obs, obs_running

REPO = Path(__file__).resolve().parent.parent
VENV = REPO / ".venv"
OBS_SCRIPT = REPO / "obs_script" / "backdrop_obs.py"
ENV_FILE = REPO / "obs_script" / "backdrop_env.json"
STATE = REPO / ".backdrop-install.json"
CONSTRAINTS = Path(__file__).resolve().parent / "constraints.txt"


class InstallError(RuntimeError):
    """Something the user must fix; the message says how."""


def say(msg: str) -> None:
    print(f"[backdrop] {msg}", flush=True)


# -- the environment -----------------------------------------------------------------------------
def obs_python(install: ObsInstall | None) -> Path:
    """The interpreter whose minor version OBS loads (compiled wheels only load in that version)."""
    if sys.platform.startswith("linux"):
        if install is not None and install.flavour == "flatpak":
            raise InstallError("Flatpak OBS uses its runtime's own Python; install Backdrop's packages inside the "
                               "Flatpak, or use your distribution's OBS package")
        if Path("/usr/bin/python3").exists():  # distro OBS links the distro's libpython
            return Path("/usr/bin/python3")
    mine = f"{sys.version_info.major}.{sys.version_info.minor}"
    if install is not None and install.has_python_setting and mine not in install.python_versions():
        raise InstallError(f"OBS {'.'.join(map(str, install.version or ()))} loads Python "
                           f"{', '.join(install.python_versions())}; run this installer with one of those")
    return Path(sys.executable)


def venv_python(venv: Path) -> Path:
    return venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def run(cmd: list[str], what: str, capture: bool = False) -> subprocess.CompletedProcess:
    say(f"{what}: {' '.join(map(str, cmd))}")
    res = subprocess.run(cmd, capture_output=capture, text=True)
    if res.returncode != 0:
        detail = f"\n{res.stderr.strip()[-2000:]}" if capture and res.stderr else ""
        raise InstallError(f"{what} failed (command above); check the network and that wheels exist for this "
                           f"Python ({sys.version_info.major}.{sys.version_info.minor}){detail}")
    return res


DEPS_MARKER = "backdrop-deps.sha256"  # inside the environment: what it was built from


def deps_fingerprint(python: Path) -> str:
    """What the environment depends on: the interpreter, the runtime requirements and the pins."""
    text = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    runtime = text.split("[project.optional-dependencies]")[0]  # dev tools do not force a rebuild
    parts = [str(python), runtime, CONSTRAINTS.read_text(encoding="utf-8"), gpu_package() or "onnxruntime"]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def make_venv(python: Path, venv: Path) -> Path:
    """The environment for `python`; one built from other dependencies (an older release) is replaced."""
    vpy = venv_python(venv)
    marker = venv / DEPS_MARKER
    wanted = deps_fingerprint(python)
    if vpy.exists() and marker.exists() and marker.read_text().strip() != wanted:
        say(f"dependencies changed since {venv} was made: replacing it")
        shutil.rmtree(venv)
    if vpy.exists():
        marker.write_text(wanted + "\n")
        return vpy
    probe = subprocess.run([str(python), "-c", "import venv, ensurepip"], capture_output=True)
    if probe.returncode != 0:
        raise InstallError(f"{python} cannot create virtual environments (no venv/ensurepip). "
                           "On Debian/Ubuntu run: sudo apt-get install -y python3-venv")
    run([str(python), "-m", "venv", str(venv)], "create environment")
    marker.write_text(wanted + "\n")
    return vpy


def gpu_package() -> str | None:
    """The GPU build of ONNX Runtime for this machine, or None for the plain (CPU/CoreML) one."""
    if sys.platform == "win32":
        return "onnxruntime-directml"
    if sys.platform.startswith("linux") and shutil.which("nvidia-smi"):
        return "onnxruntime-gpu[cuda,cudnn]"
    return None


def pip(vpy: Path, args: list[str], what: str) -> None:
    run([str(vpy), "-m", "pip", "install", "--quiet", "-c", str(CONSTRAINTS), *args], what)


def install_packages(vpy: Path, dev: bool) -> None:
    run([str(vpy), "-m", "pip", "install", "--quiet", "--upgrade", "pip"], "update pip")
    pip(vpy, ["-e", f"{REPO}{'[dev]' if dev else ''}"], "install Backdrop")
    gpu = gpu_package()
    if gpu:
        run([str(vpy), "-m", "pip", "uninstall", "--yes", "--quiet", "onnxruntime"], "remove the CPU-only runtime")
        pip(vpy, [gpu], f"install {gpu}")


def verify_provider(vpy: Path) -> dict:
    """Run the self-test in the new environment; if the GPU package does not give a GPU, go back to CPU."""
    res = run([str(vpy), "-m", "installer.selftest", "--json"], "self-test", capture=True)
    report = json.loads(res.stdout.strip().splitlines()[-1])
    gpu = gpu_package()
    if gpu and report["provider"] == "CPUExecutionProvider":
        say(f"{gpu} did not give a GPU provider ({'; '.join(report['not_used']) or 'no reason given'}); "
            "installing the CPU runtime instead")
        run([str(vpy), "-m", "pip", "uninstall", "--yes", "--quiet", gpu.split("[")[0]], "remove GPU runtime")
        pip(vpy, ["onnxruntime"], "install onnxruntime")
        report = json.loads(run([str(vpy), "-m", "installer.selftest", "--json"], "self-test",
                                capture=True).stdout.strip().splitlines()[-1])
    why = f" (not used: {'; '.join(report['not_used'])})" if report["not_used"] else ""
    say(f"self-test: {report['provider'].removesuffix('ExecutionProvider')}{why}, "
        f"{report['ms_per_frame']:.1f} ms per mask; sample cut-out: {report['sample']}")
    return report


def python_home(vpy: Path) -> Path:
    """The folder OBS's [Python] Path64bit wants: the base install (macOS: the folder holding Python.framework)."""
    out = subprocess.run([str(vpy), "-c", "import sys; print(sys.base_prefix)"], capture_output=True, text=True)
    base = Path(out.stdout.strip())
    if sys.platform == "darwin" and "Python.framework" in base.parts:
        return Path(*base.parts[: base.parts.index("Python.framework")])
    return base


# -- OBS -----------------------------------------------------------------------------------------
def choose_install(args) -> ObsInstall | None:
    if args.obs_config:
        from .obs_locate import version_from_ini

        flavour = {"win32": "windows", "darwin": "macos"}.get(sys.platform, "linux")
        return ObsInstall(args.obs_config, flavour, version_from_ini(args.obs_config / "global.ini"))
    found = find_obs(portable=args.portable)
    return found[0] if found else None


def wire_obs(install: ObsInstall | None, vpy: Path | None, args) -> None:
    if install is None or not (install.config_dir / "global.ini").exists():
        say("OBS has no configuration yet (it has never run here). Start OBS once and close it, then run "
            "`python3 -m installer` again to add Backdrop to it. Or add it by hand: Tools > Scripts > + > "
            f"{OBS_SCRIPT}")
        return
    if obs_running():
        raise InstallError("OBS is running: close it first (it rewrites its configuration when it exits)")
    home = python_home(vpy) if vpy is not None and install.has_python_setting else None
    changes = wiring.plan_install(install, OBS_SCRIPT, home, args.all_collections)
    for ch in changes:
        say(f"{'would ' if args.dry_run else ''}{ch.what}")
    if not changes:
        say(f"OBS at {install.config_dir} already loads Backdrop")
    if args.dry_run:
        return
    state = wiring.load_state(args.state)
    wiring.record_previous_python_home(state, install)
    state.update(script=str(OBS_SCRIPT), python_home=str(home) if home else state.get("python_home"))
    wiring.atomic_write_json(args.state, state)
    wiring.apply(changes, args.state)
    say("done: start OBS, right-click your camera > Filters > + > Backdrop")


def uninstall(args) -> int:
    if not args.state.exists():
        say("nothing to uninstall (no record of an install)")
        return 0
    if obs_running():
        raise InstallError("OBS is running: close it first")
    state = wiring.load_state(args.state)
    changes = wiring.plan_uninstall(state)
    for ch in changes:
        say(f"{'would ' if args.dry_run else ''}{ch.what}")
    if not args.dry_run:
        from .config_files import atomic_write

        for ch in changes:
            atomic_write(ch.path, ch.after)
        args.state.unlink()
        say("Backdrop removed from OBS's configuration (the environment in .venv is left; delete it if unwanted)")
    return 0


def cmd_install(args) -> int:
    install = choose_install(args)
    python = args.python or obs_python(install)
    if args.dry_run:
        say(f"would create {args.venv} with {python} and install Backdrop (+ {gpu_package() or 'onnxruntime'})")
        wire_obs(install, None, args)
        return 0
    vpy = make_venv(python, args.venv)
    install_packages(vpy, args.dev)
    if args.venv.resolve() != VENV.resolve():
        ENV_FILE.write_text(json.dumps({"venv": str(args.venv.resolve())}) + "\n", encoding="utf-8")
    if not args.no_self_test:
        verify_provider(vpy)
    if not args.no_obs:
        wire_obs(install, vpy, args)
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python3 -m installer", description=__doc__.splitlines()[0])
    ap.add_argument("command", nargs="?", default="install", choices=["install", "doctor", "release"])
    ap.add_argument("--python", type=Path, default=None, help="interpreter for .venv (default: the one OBS loads)")
    ap.add_argument("--venv", type=Path, default=VENV, help="where to make the environment")
    ap.add_argument("--dev", action="store_true", help="also install the test and model-build tools")
    ap.add_argument("--no-self-test", action="store_true")
    ap.add_argument("--no-obs", action="store_true", help="do not touch OBS's configuration")
    ap.add_argument("--obs-config", type=Path, help="OBS's config folder (default: found automatically)")
    ap.add_argument("--portable", type=Path, help="a portable OBS install folder")
    ap.add_argument("--all-collections", action="store_true", help="add the script to every scene collection")
    ap.add_argument("--dry-run", action="store_true", help="print the planned changes, touch nothing")
    ap.add_argument("--uninstall", action="store_true", help="remove exactly what install added")
    ap.add_argument("--state", type=Path, default=STATE, help=argparse.SUPPRESS)  # tests keep theirs apart
    args = ap.parse_args(argv)
    try:
        if args.command == "doctor":
            from .doctor import doctor

            return doctor(choose_install(args), args.venv)
        if args.command == "release":
            from .release import build_release

            say(f"wrote {build_release(REPO)}")
            return 0
        return uninstall(args) if args.uninstall else cmd_install(args)
    except InstallError as exc:
        print(f"[backdrop] error: {exc}", file=sys.stderr)
        return 1
