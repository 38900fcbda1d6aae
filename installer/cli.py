"""`python3 -m installer`: from a clone to Backdrop in OBS, with a self-test; also `doctor` and `release`.

    python3 -m installer                  # environment + provider + self-test + wire OBS
    python3 -m installer --dry-run        # print the plan, touch nothing
    python3 -m installer --uninstall      # remove exactly what install added
    python3 -m installer doctor           # explain what is wrong with an existing set-up
    python3 -m installer release          # dist/backdrop-<version>.zip for people without git
    python3 -m installer wheels           # resolve every supported row of the matrix on PyPI
    python3 -m installer support          # the support matrix (README's "Supported" table)

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
from dataclasses import replace
from pathlib import Path, PureWindowsPath

from . import INSTALL_COMMAND, support, windows, wiring
from .interpreter import InstallError, mac_version, os_name, probe_python, python_command
from .obs_locate import (
    ObsInstall,
    binary_arches,
    find_obs,
    next_obs_version,
    obs_binary,
    obs_loaded_python,
    obs_running,
)

REPO = Path(__file__).resolve().parent.parent
VENV = REPO / ".venv"
OBS_SCRIPT = REPO / "obs_script" / "backdrop_obs.py"
ENV_FILE = REPO / "obs_script" / "backdrop_env.json"
STATE = REPO / ".backdrop-install.json"


def say(msg: str) -> None:
    print(f"[backdrop] {msg}", flush=True)


def obs_python(install: ObsInstall | None) -> Path:
    """The interpreter for the environment: Linux OBS links the distribution's libpython; elsewhere, this one."""
    if sys.platform.startswith("linux") and Path("/usr/bin/python3").exists() and \
            not (install is not None and install.flavour == "flatpak"):
        return Path("/usr/bin/python3")
    return Path(sys.executable)


def gpu_runtime(system: str) -> str | None:
    """The GPU build of ONNX Runtime for this machine (support.GPU_RUNTIMES), or None for the plain one."""
    if system == "windows":
        return "directml"
    if system == "linux" and shutil.which("nvidia-smi"):
        return "cuda"
    return None


def obs_version(install: ObsInstall | None, binary: Path | None, platform: str = sys.platform
                ) -> tuple[int, int, int] | None:
    """The OBS whose rules apply: the newer of the last one that ran and the installed one. Where [Python]
    is written still follows the configuration's own version (ObsInstall.python_ini)."""
    return next_obs_version(install.version if install is not None else None, binary, platform)


def resolve_target(install: ObsInstall | None, python: Path, info: dict, platform: str = sys.platform,
                   binary: Path | None = None) -> support.Target:
    """This machine's row of the support matrix, checked: OBS's build, its version, the Python it loads."""
    system = os_name(platform)
    version = obs_version(install, binary, platform)
    check_interpreter(python, info, system)
    obs_arches = binary_arches(binary) if binary is not None else set()
    python_arch = support.normalise_arch(system, info["machine"])
    if obs_arches and python_arch not in {support.normalise_arch(system, a) for a in obs_arches}:
        rosetta = " (for an Intel OBS on Apple Silicon: arch -x86_64 python3 -m installer)" if system == "macos" else ""
        raise InstallError(f"OBS at {binary} is built for {', '.join(sorted(obs_arches))} but {python} runs as "
                           f"{python_arch}: its packages would not load in OBS. Run the installer with a Python of "
                           f"OBS's architecture{rosetta}")
    mac = mac_version(info, system)
    flatpak = install is not None and install.flavour == "flatpak"
    try:
        row = support.row_for(system, python_arch, version, mac, flatpak)  # type: ignore[arg-type]
    except LookupError as exc:
        raise InstallError(str(exc)) from exc
    where = f"{row.label()}, OBS {row.obs}"
    if not row.supported:
        raise InstallError(f"{where} is not supported: {row.why_not}")
    if info["version"] not in row.pythons:
        raise InstallError(wrong_python(where, row, python, info["version"], system))
    home = obs_python_folder(info, system) if install is not None and install.has_python_setting else None
    if home is not None and version is not None:
        loaded = obs_loaded_python(home, system, version)
        if loaded != info["version"]:
            found = f"Python {loaded}" if loaded else "no Python it can load"
            raise InstallError(
                f"OBS {'.'.join(map(str, version))} would find {found} in {home}, not {info['version']} "
                f"({python}). Use the python.org installer's Python {info['version']}"
                + (" (OBS loads framework builds only; pyenv and conda builds are not)" if system == "macos" else "")
                + (", and make it Versions/Current" if system == "macos" and version < support.MACOS_PICKS_HIGHEST_FROM
                   else ""))
    return support.Target(system, row.arch if system != "macos" else python_arch, info["version"], mac,
                          gpu_runtime(system))


def wrong_python(where: str, row: support.Row, python: Path, version: str, system: str) -> str:
    """The refusal for a Python this OBS does not load, naming only Pythons that exist on this machine."""
    if system == "linux":
        oldest, newest = row.pythons[0], row.pythons[-1]
        why = (f"Backdrop needs {oldest} or newer (numpy 2.4)" if int(version.split(".")[1]) < int(oldest.split(".")[1])
               else f"Backdrop's packages are pinned and tested up to {newest} (installer/support.py BACKDROP_PYTHONS)")
        return (f"{where} links the distribution's Python, and {python} is {version}: {why}. Use a distribution "
                f"whose Python is {oldest} to {newest} (Debian 12 or 13, Ubuntu 24.04, Fedora 39 or newer)")
    loads = f"{where} loads Python {' or '.join(row.pythons)}, but {python} is {version}"
    found = [cmd for v in reversed(row.pythons) if (cmd := python_command(v, system))]
    if found:
        return f"{loads}: run the installer with {' or '.join(f'`{c} -m installer`' for c in found)}"
    newest = row.pythons[-1]
    start = f"py -{newest}" if system == "windows" else f"python{newest}"
    return (f"{loads}, and none of those is installed here: install Python {newest} from python.org "
            f"(the 64-bit installer), then run `{start} -m installer` (or pass --python PATH)")


def check_interpreter(python: Path, info: dict, system: str) -> None:
    """Refuse an interpreter OBS cannot load whatever the version: a 32-bit one (OBS is 64-bit), and on
    Windows the Microsoft Store's."""
    if info.get("bits", 64) != 64:
        raise InstallError(f"{python} is a {info['bits']}-bit Python, and OBS is 64-bit: it loads only a 64-bit "
                           f"Python. Install the 64-bit Python {info['version']} (python.org: \"Windows installer "
                           f"(64-bit)\") and run the installer with it")
    store = windows.store_python(info) if system == "windows" else None
    if store:
        raise InstallError(f"{python} is the Microsoft Store's Python ({store}): its versioned package folder "
                           f"changes with every Store update, leaving OBS's Python folder pointing at one that is "
                           f"gone, and its writes under AppData may be redirected away from where OBS looks. "
                           f"Install Python {info['version']} from python.org (\"Windows installer (64-bit)\") and "
                           f"run `py -{info['version']} -m installer`")


def check_venv_path(venv: Path, system: str) -> None:
    """Windows: refuse an environment pip cannot write below MAX_PATH, before anything is installed."""
    if system != "windows":
        return
    problem = windows.venv_path_problem(PureWindowsPath(os.path.abspath(venv)), windows.long_paths_enabled())
    if problem:
        raise InstallError(problem)


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


def deps_fingerprint(python: Path, target: support.Target) -> str:
    """What the environment depends on: the interpreter and the exact requirements for this target."""
    parts = [str(python), *support.requirements(target)]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def ensure_venv_module(python: Path) -> None:
    """Debian/Ubuntu split venv/ensurepip into python3-venv: install it (as root, or through sudo)."""
    if subprocess.run([str(python), "-c", "import venv, ensurepip"], capture_output=True).returncode == 0:
        return
    apt = shutil.which("apt-get")
    if not apt:
        raise InstallError(f"{python} cannot create virtual environments (no venv/ensurepip module)")
    minor = probe_python(python)["version"]
    sudo = [] if os.geteuid() == 0 else ["sudo"]  # any system: reached only where apt-get is (Debian, Ubuntu)
    if sudo and not shutil.which("sudo"):
        raise InstallError(f"{python} needs the python{minor}-venv package: as root, run "
                           f"apt-get install -y python{minor}-venv")
    run([*sudo, "env", "DEBIAN_FRONTEND=noninteractive", apt, "install", "-y", "-qq", f"python{minor}-venv"],
        "install Debian's venv module")


def make_venv(python: Path, venv: Path, target: support.Target) -> Path:
    """The environment for `python`; one built from other dependencies (an older release) is replaced."""
    vpy = venv_python(venv)
    marker = venv / DEPS_MARKER
    wanted = deps_fingerprint(python, target)
    if vpy.exists() and marker.exists() and marker.read_text(encoding="utf-8").strip() != wanted:
        say(f"dependencies changed since {venv} was made: replacing it")
        shutil.rmtree(venv)
    if vpy.exists():
        marker.write_text(wanted + "\n", encoding="utf-8")
        return vpy
    ensure_venv_module(python)
    run([str(python), "-m", "venv", str(venv)], "create environment")
    marker.write_text(wanted + "\n", encoding="utf-8")
    return vpy


def pip(vpy: Path, args: list[str], what: str) -> None:
    constraints = vpy.parent.parent / CONSTRAINTS_NAME
    extra = ["-c", str(constraints)] if constraints.exists() else []
    run([str(vpy), "-m", "pip", "install", "--quiet", *extra, *args], what)


CONSTRAINTS_NAME = "backdrop-constraints.txt"  # inside the environment: the pins, so no tool moves them


def installed_runtimes(vpy: Path) -> set[str]:
    """Which ONNX Runtime builds pip has recorded in the environment (they share one package folder)."""
    res = subprocess.run([str(vpy), "-m", "pip", "list", "--format=json", "--disable-pip-version-check"],
                         capture_output=True, text=True)
    names = {d["name"].lower() for d in json.loads(res.stdout or "[]")} if res.returncode == 0 else set()
    return names & set(support.RUNTIME_DISTRIBUTIONS)


def install_runtime(vpy: Path, requirement: str) -> None:
    """Exactly one ONNX Runtime build, working, whatever the environment held before.

    onnxruntime, onnxruntime-directml and onnxruntime-gpu install the same `onnxruntime/` folder:
    one installed over another, then either uninstalled, leaves no folder while pip still reports
    the other as satisfied. So every other build goes first, and a build whose folder is gone is
    reinstalled.
    """
    dist = requirement.split("[")[0].split("==")[0].lower()
    present = installed_runtimes(vpy)
    if present - {dist}:
        run([str(vpy), "-m", "pip", "uninstall", "--yes", "--quiet", *sorted(present)],
            "remove other ONNX Runtime builds (they share one folder)")
        present = set()
    if dist in present and subprocess.run([str(vpy), "-c", "import onnxruntime.capi"],
                                          capture_output=True).returncode != 0:
        pip(vpy, ["--force-reinstall", "--no-deps", requirement], f"repair {dist}")
    pip(vpy, [requirement], f"install {dist}")


def dev_requirements() -> list[str]:
    """The `dev` extra of pyproject.toml, with the extras it names expanded (the tests' tools)."""
    import tomllib

    extras = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]["optional-dependencies"]
    out: list[str] = []
    for req in extras["dev"]:
        if req.startswith("backdrop["):
            for name in req[len("backdrop["):-1].split(","):
                out += extras[name.strip()]
        else:
            out.append(req)
    return out


def install_packages(vpy: Path, target: support.Target, dev: bool) -> None:
    """The pinned packages for `target`, the runtime build it needs, and Backdrop itself (without its
    generic dependencies, which would pull the CPU runtime over a GPU one)."""
    run([str(vpy), "-m", "pip", "install", "--quiet", "--upgrade", "pip"], "update pip")
    reqs = support.requirements(target)
    (vpy.parent.parent / CONSTRAINTS_NAME).write_text("".join(r + "\n" for r in support.pinned(target)),
                                                      encoding="utf-8")  # pip refuses extras in constraints
    pip(vpy, reqs[:-1], "install numpy and OpenCV")
    install_runtime(vpy, reqs[-1])
    pip(vpy, ["--no-deps", "-e", str(REPO)], "install Backdrop")
    if dev:
        pip(vpy, dev_requirements(), "install the test and model-build tools")


def verify_provider(vpy: Path, target: support.Target) -> dict:
    """Run the self-test in the new environment; if the GPU package does not give a GPU, go back to CPU."""
    res = run([str(vpy), "-m", "installer.selftest", "--json"], "self-test", capture=True)
    report = json.loads(res.stdout.strip().splitlines()[-1])
    if target.gpu and report["provider"] == "CPUExecutionProvider":
        cpu = support.requirements(replace(target, gpu=None))[-1]
        say(f"{support.runtime_distribution(target)} did not give a GPU provider "
            f"({'; '.join(report['not_used']) or 'no reason given'}); installing {cpu} instead")
        install_runtime(vpy, cpu)
        report = json.loads(run([str(vpy), "-m", "installer.selftest", "--json"], "self-test",
                                capture=True).stdout.strip().splitlines()[-1])
    why = f" (not used: {'; '.join(report['not_used'])})" if report["not_used"] else ""
    say(f"self-test: {report['provider'].removesuffix('ExecutionProvider')}{why}, "
        f"{report['ms_per_frame']:.1f} ms per mask; sample cut-out: {report['sample']}")
    return report


def python_home_of(info: dict, system: str) -> Path:
    """The folder OBS's [Python] Path64bit wants: the base install (macOS: the folder holding Python.framework)."""
    base = Path(info["base_prefix"])
    if system == "macos" and "Python.framework" in base.parts:
        return Path(*base.parts[: base.parts.index("Python.framework")])
    return base


def obs_python_folder(info: dict, system: str) -> Path:
    """What to write in [Python] Path64bit: the base install's folder, as OBS can open it (on Windows
    its 8.3 short name when the folder is not ASCII: windows.obs_can_open)."""
    home = python_home_of(info, system)
    if system != "windows":
        return home
    folder = windows.folder_obs_can_open(str(home))
    if folder is None:
        raise InstallError(f"OBS cannot open the Python folder {home}: it reads the folder in the ANSI code page, "
                           f"where this path cannot be spelled, and Windows has no short (8.3) name for it. "
                           + windows.python_folder_fix(info["version"]))
    return Path(folder)


def python_home(vpy: Path) -> Path:
    return obs_python_folder(probe_python(vpy), os_name())


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
        if install is None and obs_binary() is None:
            say("OBS Studio is not installed here. The self-test above ran Backdrop's pipeline on the bundled "
                "sample. To finish: install OBS (29.1 or newer on Windows and macOS; your distribution's "
                f"obs-studio package on Linux), start it once, close it, then run `{INSTALL_COMMAND}` again")
            return
        say("OBS has no configuration yet (it has never run here). Start OBS once and close it, then run "
            f"`{INSTALL_COMMAND}` again to add Backdrop to it. Or add it by hand: Tools > Scripts > + > "
            f"{OBS_SCRIPT}")
        return
    if obs_running():
        raise InstallError("OBS is running: close it first (it rewrites its configuration when it exits)")
    home = python_home(vpy) if vpy is not None and install.has_python_setting else None
    changes = wiring.plan_install(install, OBS_SCRIPT, home, args.all_collections)
    for ch in changes:
        say(f"{'would ' if args.dry_run else ''}{ch.what}")
    if not changes and not wiring.collection_files(install, args.all_collections):
        say(f"OBS at {install.config_dir} has no current scene collection file that the installer can find "
            f"([Basic] SceneCollectionFile in {wiring.settings_ini(install).name}): start OBS once, or run "
            f"with --all-collections, or add it by hand: Tools > Scripts > + > {OBS_SCRIPT}")
    elif not changes:
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
        from .config_files import atomic_write, backup

        for ch in changes:
            backup(ch.path)  # what uninstall edits is backed up too, as install does
            atomic_write(ch.path, ch.after)
        args.state.unlink()
        say("Backdrop removed from OBS's configuration (the environment in .venv is left; delete it if unwanted)")
    return 0


def cmd_install(args) -> int:
    install = choose_install(args)
    if not args.dry_run and obs_running():  # OBS may hold the environment's libraries open (Windows locks them)
        raise InstallError("OBS is running: close it first (Backdrop's environment and OBS's configuration "
                           "are changed only while it is closed)")
    check_venv_path(args.venv, os_name())
    python = args.python or obs_python(install)
    target = resolve_target(install, python, probe_python(python), binary=obs_binary())
    if args.dry_run:
        reqs = ", ".join(support.requirements(target))
        say(f"would create {args.venv} with {python} and install Backdrop with {reqs}")
        wire_obs(install, None, args)
        return 0
    vpy = make_venv(python, args.venv, target)
    install_packages(vpy, target, args.dev)
    if args.venv.resolve() != VENV.resolve():
        ENV_FILE.write_text(json.dumps({"venv": str(args.venv.resolve())}) + "\n", encoding="utf-8")
    if not args.no_self_test:
        verify_provider(vpy, target)
    if not args.no_obs:
        wire_obs(install, vpy, args)
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog=INSTALL_COMMAND, description=__doc__.splitlines()[0])
    ap.add_argument("command", nargs="?", default="install",
                    choices=["install", "doctor", "release", "wheels", "support"])
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
        if args.command == "wheels":
            from .wheels import main as wheels

            return wheels()
        if args.command == "support":
            print(support.matrix_markdown(), end="")
            return 0
        if args.command == "release":
            from .release import build_release

            say(f"wrote {build_release(REPO)}")
            return 0
        return uninstall(args) if args.uninstall else cmd_install(args)
    except InstallError as exc:
        print(f"[backdrop] error: {exc}", file=sys.stderr)
        return 1
