r"""Windows facts the installer checks before it writes anything, each with the fix to tell the user.

Standard library only. The two calls into Windows (the 8.3 short name, the long-paths setting) are
separate functions that the checks take as arguments, so the checks run on any OS with
PureWindowsPath inputs.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import PureWindowsPath

from . import INSTALL_COMMAND


# -- the Python folder OBS opens --------------------------------------------------------------------
def python_folder_fix(version: str) -> str:
    """What to do when OBS cannot open the Python folder."""
    return (f"install Python {version} for all users (python.org installer: Customize installation > \"Install "
            f"Python for all users\", which puts it under C:\\Program Files), or into a folder whose path has only "
            f"ASCII characters, then run `py -{version} -m installer`")


def obs_can_open(folder: str) -> bool:
    """Can Windows OBS open this [Python] Path64bit? It checks the folder with `access()`, which is
    `_access` on Windows: the UTF-8 value read as the ANSI code page, and no OBS manifest sets a UTF-8
    code page, so only ASCII survives (obs-scripting-python-import.c, `import_python`: under
    deps/obs-scripting/ up to 30.2, shared/obs-scripting/ from 31.0.0; the same check since 29.0.2)."""
    return folder.isascii()


def short_path_name(path: str) -> str | None:
    """Windows' 8.3 short name of an existing path (GetShortPathNameW); None off Windows or when it fails."""
    if sys.platform != "win32":
        return None
    import ctypes
    from ctypes import wintypes

    get = ctypes.windll.kernel32.GetShortPathNameW  # type: ignore[attr-defined]
    get.argtypes = [wintypes.LPCWSTR, wintypes.LPWSTR, wintypes.DWORD]
    get.restype = wintypes.DWORD
    size = get(path, None, 0)
    if not size:
        return None
    buf = ctypes.create_unicode_buffer(size)
    return buf.value if get(path, buf, size) else None


def folder_obs_can_open(folder: str, short_path: Callable[[str], str | None] | None = None) -> str | None:
    """`folder` as OBS can open it: itself when ASCII, else its 8.3 short name (ASCII by construction,
    when the volume keeps 8.3 names); None when neither works."""
    if obs_can_open(folder):
        return folder
    short = (short_path or short_path_name)(folder)
    return short if short and obs_can_open(short) else None


# -- the interpreter ---------------------------------------------------------------------------------
def store_python(info: dict) -> str | None:
    """Where the Microsoft Store's Python shows itself (a WindowsApps folder), or None.

    Its base folder is a versioned package folder that every Store update replaces, so OBS's [Python]
    Path64bit would point at a folder that is gone; and its writes under AppData may be redirected
    into the package's private copy, away from where OBS looks."""
    for key in ("base_prefix", "executable"):
        value = info.get(key) or ""
        if "windowsapps" in (part.lower() for part in PureWindowsPath(value).parts):
            return value
    return None


# -- MAX_PATH ----------------------------------------------------------------------------------------
MAX_PATH = 260  # characters, the terminating NUL included (Windows' MAX_PATH)
# The deepest file the installer writes below site-packages: onnxruntime-directml 1.24.4's
# onnxruntime/tools/ort_format_model/ort_flatbuffers_py/fbs/RuntimeOptimizationRecordContainerEntry.py is
# 100 characters, and the byte code pip compiles beside it
# (.../fbs/__pycache__/RuntimeOptimizationRecordContainerEntry.cpython-312.pyc) 125.
DEEPEST_BELOW_SITE_PACKAGES = 125
# The deepest file OBS opens below site-packages when Backdrop's imports run (win_amd64 wheels of the pins,
# listed 2026-12-07, against the modules Backdrop's pipelines import): numpy 2.4.6's
# numpy.libs/libscipy_openblas64_-<32 hex digits>.dll, 68 characters (the deepest module,
# onnxruntime/capi/onnxruntime_inference_collection.py, is 52; a .pyc that cannot be opened is skipped
# for its source). obs64.exe's manifest has no longPathAware (frontend/cmake/windows/obs.manifest at
# 32.2.2, UI/cmake/windows/obs.manifest at 30.0.2), so inside OBS this must fit whatever LongPathsEnabled says.
DEEPEST_IMPORTED_BELOW_SITE_PACKAGES = 68


def _shorter(by: int) -> str:
    return f"somewhere at least {by} character{'s' if by > 1 else ''} shorter (for example C:\\Backdrop)"


def venv_path_problem(venv: PureWindowsPath, long_paths_enabled: bool) -> str | None:
    """Why pip would fail to write the environment at `venv` (an absolute path), or OBS to import from it; None
    when neither.

    Past MAX_PATH pip fails with a message about a missing file, not about the path's length."""
    site = len(str(venv / "Lib" / "site-packages")) + 1
    imported = site + DEEPEST_IMPORTED_BELOW_SITE_PACKAGES
    if imported >= MAX_PATH:
        return (f"the environment {venv} is too deep for OBS: a file it loads from there would have a path of "
                f"{imported} characters, and OBS (obs64.exe, not longPathAware) opens at most {MAX_PATH - 1}, "
                f"whatever Windows' long-paths setting says. Move the Backdrop folder "
                f"{_shorter(imported - MAX_PATH + 1)}, then run `{INSTALL_COMMAND}` again")
    longest = site + DEEPEST_BELOW_SITE_PACKAGES
    if long_paths_enabled or longest < MAX_PATH:
        return None
    shorter_by = longest - MAX_PATH + 1
    return (f"the environment {venv} is too deep for Windows: its deepest file would have a path of {longest} "
            f"characters, and Windows allows {MAX_PATH - 1} unless long paths are enabled. Move the Backdrop "
            f"folder {_shorter(shorter_by)}, or enable "
            f"long paths (as administrator: reg add HKLM\\SYSTEM\\CurrentControlSet\\Control\\FileSystem /v "
            f"LongPathsEnabled /t REG_DWORD /d 1 /f), then run `{INSTALL_COMMAND}` again")


def long_paths_enabled() -> bool:
    """Is Windows' LongPathsEnabled set? (Python 3.6+ declares itself long-path aware, so pip then works.)"""
    if sys.platform != "win32":
        return False
    import winreg

    try:
        with winreg.OpenKey(winreg.HKEY_LOCAL_MACHINE, r"SYSTEM\CurrentControlSet\Control\FileSystem") as key:
            return winreg.QueryValueEx(key, "LongPathsEnabled")[0] == 1
    except OSError:
        return False
