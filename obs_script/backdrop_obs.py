"""Backdrop for OBS Studio: AI background removal as a video filter.

This is the file to add in OBS (Tools -> Scripts -> +). It registers the "Backdrop" filter; add
it to a camera via right-click -> Filters. The file name is deliberately unique: OBS silently
runs an existing module instead of a script that shares its name.

OBS runs every Python script in one interpreter with one `sys.modules`, where `core` or `models`
may already be someone else's. So our packages are imported under a private parent package,
`_backdrop_app`, whose path is this repository; their imports are all relative.
"""

import importlib
import json
import os
import sys
import types
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PKG = "_backdrop_app"
ENV_FILE = Path(__file__).resolve().parent / "backdrop_env.json"  # optional {"venv": "/path/to/venv"}

_state = {"problem": None}


def _venv_dir() -> Path:
    if os.environ.get("BACKDROP_VENV"):  # set by tests and by users who keep the environment elsewhere
        return Path(os.environ["BACKDROP_VENV"]).expanduser()
    if ENV_FILE.exists():
        try:
            return Path(json.loads(ENV_FILE.read_text(encoding="utf-8"))["venv"]).expanduser()
        except (OSError, ValueError, KeyError, TypeError) as exc:
            print(f"[backdrop] ignoring {ENV_FILE}: {exc}")
    return REPO / ".venv"


def _venv_python(venv: Path) -> str | None:
    """The Python ("3.11") the environment was made with, from its pyvenv.cfg (`version` from venv,
    `version_info` from virtualenv); None when it has none. Windows' layout (Lib/site-packages)
    names no version, and compiled packages for another Python fail to import in OBS."""
    try:
        lines = (venv / "pyvenv.cfg").read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    for line in lines:
        key, _, value = line.partition("=")
        parts = value.strip().split(".")
        if key.strip() in ("version", "version_info") and len(parts) >= 2:
            return f"{parts[0]}.{parts[1]}"
    return None


def _add_environment(platform: str = sys.platform) -> str | None:
    """Put the venv's site-packages first on sys.path; return a problem description or None."""
    venv = _venv_dir()
    running = f"{sys.version_info.major}.{sys.version_info.minor}"
    made_for = _venv_python(venv)
    if made_for and made_for != running:
        return _mismatch(venv, made_for, running)
    site = venv / ("Lib" if platform == "win32" else f"lib/python{running}") / "site-packages"
    if site.is_dir():
        if str(site) not in sys.path:
            sys.path.insert(0, str(site))
        return None
    found = sorted(p.parent.name[len("python"):] for p in (venv / "lib").glob("python3.*/site-packages"))
    if found:  # no pyvenv.cfg, but the POSIX layout names the version
        return _mismatch(venv, ", ".join(found), running)
    return f"no environment at {venv}; run `{INSTALL_COMMAND}` in {REPO}"


def _mismatch(venv: Path, made_for: str, running: str) -> str:
    return (f"the environment {venv} was made for Python {made_for} but OBS runs {running}; "
            f"run `{INSTALL_COMMAND}` with the Python OBS uses")


def _import_private(name: str):
    """Import REPO/<name> as _backdrop_app.<name>, fresh (a reload picks up new code)."""
    if PKG not in sys.modules or getattr(sys.modules[PKG], "__path__", None) != [str(REPO)]:
        pkg = types.ModuleType(PKG)
        pkg.__path__ = [str(REPO)]
        pkg.__package__ = PKG
        sys.modules[PKG] = pkg
    return importlib.import_module(f"{PKG}.{name}")


# What users type to (re)install: core/__init__.py imports only the standard library, so it answers
# before the environment is found.
INSTALL_COMMAND = _import_private("core").INSTALL_COMMAND


def _purge_private() -> None:
    for mod in [m for m in sys.modules if m.startswith(PKG + ".")]:
        del sys.modules[mod]


def _load_test_plugin(filter_module) -> None:
    """The test harness's plug-in (tests/obs_plugin.py), named by BACKDROP_TEST_PLUGIN, which only the
    harness sets. After registration, and never fatal: a test without the environment (numpy
    missing) must still see the filter pass video through."""
    plugin = os.environ.get("BACKDROP_TEST_PLUGIN")
    if not plugin:
        return
    try:
        _import_private(plugin)
        filter_module.log(filter_module.LOG_INFO, f"test plug-in {plugin} loaded")
    except Exception as exc:  # noqa: BLE001 - reported; the filter works without it
        filter_module.log(filter_module.LOG_WARNING, f"test plug-in {plugin} not loaded: {type(exc).__name__}: {exc}")


def script_description():
    return ("<b>Backdrop</b>: AI background removal. Add the <i>Backdrop</i> filter to a camera "
            "(right-click the source, Filters, +).")


def script_load(settings):
    try:
        _state["problem"] = _add_environment()
        _purge_private()
        filter_module = _import_private("obs_script.backdrop_filter")
        registration = _import_private("obs_script.registration")
        registration.ensure_registered(filter_module)
        _import_private("obs_script.audio_follow").script_loaded()
        _load_test_plugin(filter_module)
        core = _import_private("core")
        registry = _import_private("core.model_registry")
        models = ", ".join(sorted(registry.list_models())) or "none"
        filter_module.log(filter_module.LOG_INFO, f"engine {core.__version__} from "
                                                  f"{Path(core.__file__).parent}; models: {models}")
        if _state["problem"]:
            filter_module.log(filter_module.LOG_WARNING, _state["problem"])
    except Exception as exc:  # the script must load whatever happens
        import traceback

        print(f"[backdrop] could not start: {type(exc).__name__}: {exc}")
        traceback.print_exc()


def script_unload():
    # Filters outlive this call (OBS unloads scripts before destroying sources on exit), so the
    # registered implementation stays installed; it releases its resources per filter in destroy.
    # Audio sources Backdrop delays get their user's own offset back (obs_script/audio_follow.py).
    audio_follow = sys.modules.get(f"{PKG}.obs_script.audio_follow")
    if audio_follow is not None:
        try:
            audio_follow.script_unloaded()
        except Exception as exc:  # the unload must finish whatever happens
            print(f"[backdrop] could not restore audio sync offsets: {type(exc).__name__}: {exc}")
