"""Importing ONNX Runtime so that its own DirectML.dll is the one Windows loads.

Windows 10+ ships an older DirectML.dll in System32. From OBS 32.2.0, OBS calls
SetDefaultDllDirectories(LOAD_LIBRARY_SEARCH_DEFAULT_DIRS) at start-up (frontend/obs-main.cpp,
"Set better default DLL directory settings on Windows"): the folder of onnxruntime.dll is then no
longer searched for its dependencies, and System32's copy wins. So before the first import the
package's DLL folder is added to the search path and its DirectML.dll is loaded by full path; once
a module of that name is loaded, every later load by name gets it. Everywhere else: a plain import.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

_loaded: dict[str, object] = {}  # "directml": the handle of the DirectML.dll we loaded, if any


def packaged_directml(find_spec=importlib.util.find_spec) -> Path | None:
    """The DirectML.dll inside the installed onnxruntime package (onnxruntime-directml has one), or None."""
    spec = find_spec("onnxruntime")
    if spec is None or not spec.origin:
        return None
    dll = Path(spec.origin).parent / "capi" / "DirectML.dll"
    return dll if dll.exists() else None


def prefer_packaged_directml(platform: str = sys.platform, find_spec=importlib.util.find_spec,
                             add_dll_directory=None, load=None) -> Path | None:
    """Make the package's DirectML.dll the one loaded (Windows); returns its path, or None."""
    if platform != "win32" or "directml" in _loaded:
        return None
    dll = packaged_directml(find_spec)
    if dll is None:
        return None
    if add_dll_directory is None:
        add_dll_directory = os.add_dll_directory  # type: ignore[attr-defined]  # Windows only
    if load is None:
        import ctypes

        load = ctypes.WinDLL  # type: ignore[attr-defined]  # Windows only
    _loaded["dll_directory"] = add_dll_directory(str(dll.parent))  # kept: closing it would undo the search path
    _loaded["directml"] = load(str(dll))
    return dll


def onnxruntime():
    """The onnxruntime module, imported the way this platform needs."""
    if "onnxruntime" not in sys.modules:
        prefer_packaged_directml()
    import onnxruntime as ort

    return ort


def directml_dll() -> str | None:
    """Path and file version of the DirectML.dll loaded in this process (Windows), for the status and doctor."""
    if sys.platform != "win32":
        return None
    import ctypes
    from ctypes import wintypes

    kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
    kernel32.GetModuleHandleW.restype = wintypes.HMODULE
    kernel32.GetModuleHandleW.argtypes = [wintypes.LPCWSTR]
    kernel32.GetModuleFileNameW.argtypes = [wintypes.HMODULE, wintypes.LPWSTR, wintypes.DWORD]
    handle = kernel32.GetModuleHandleW("DirectML.dll")
    if not handle:
        return None
    buf = ctypes.create_unicode_buffer(32768)
    kernel32.GetModuleFileNameW(handle, buf, len(buf))
    return f"{buf.value} ({_file_version(buf.value) or 'version unknown'})"


def _file_version(path: str) -> str | None:
    import ctypes
    from ctypes import wintypes

    version = ctypes.WinDLL("version")  # type: ignore[attr-defined]  # Windows only
    version.GetFileVersionInfoSizeW.argtypes = [wintypes.LPCWSTR, ctypes.POINTER(wintypes.DWORD)]
    version.GetFileVersionInfoW.argtypes = [wintypes.LPCWSTR, wintypes.DWORD, wintypes.DWORD, ctypes.c_void_p]
    version.VerQueryValueW.argtypes = [ctypes.c_void_p, wintypes.LPCWSTR, ctypes.POINTER(ctypes.c_void_p),
                                       ctypes.POINTER(wintypes.UINT)]
    size = version.GetFileVersionInfoSizeW(path, None)
    if not size:
        return None
    data = ctypes.create_string_buffer(size)
    if not version.GetFileVersionInfoW(path, 0, size, data):
        return None
    info, length = ctypes.c_void_p(), wintypes.UINT()
    if not version.VerQueryValueW(data, "\\", ctypes.byref(info), ctypes.byref(length)):
        return None
    # VS_FIXEDFILEINFO: dwSignature, dwStrucVersion, dwFileVersionMS, dwFileVersionLS, ...
    assert info.value is not None  # VerQueryValueW succeeded
    words = (wintypes.DWORD * 4).from_address(info.value)
    ms, ls = words[2], words[3]
    return f"{ms >> 16}.{ms & 0xFFFF}.{ls >> 16}.{ls & 0xFFFF}"
