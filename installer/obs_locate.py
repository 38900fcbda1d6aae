"""Finding OBS: its config directory, its version, where its Python setting lives, and whether it runs.

Standard library only. Every function takes the environment it reads (home, platform, env) as
arguments with the real values as defaults, so tests can lay out fake trees for any OS.
"""

from __future__ import annotations

import os
import plistlib
import re
import shutil
import struct
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from .support import MACOS_PICKS_HIGHEST_FROM, Version, obs_python_max
from .windows import obs_can_open

FLATPAK_ID = "com.obsproject.Studio"


@dataclass
class ObsInstall:
    config_dir: Path  # .../obs-studio
    flavour: str  # "windows", "macos", "linux", "flatpak", "portable"
    version: tuple[int, int, int] | None  # from global.ini's LastVersion, when OBS has run

    @property
    def python_ini(self) -> Path:
        """OBS 31 moved user settings (the [Python] path among them) from global.ini to user.ini."""
        if self.version and self.version >= (31, 0, 0):
            return self.config_dir / "user.ini"
        return self.config_dir / "global.ini"

    @property
    def has_python_setting(self) -> bool:
        """Windows and macOS builds load Python from a folder the user sets; Linux ones link it."""
        return self.flavour in ("windows", "macos", "portable")



def candidate_config_dirs(home: Path | None = None, platform: str = sys.platform,
                          env: dict[str, str] | None = None) -> list[tuple[Path, str]]:
    """(config dir, flavour) in order of preference for this OS."""
    home = home or Path.home()
    env = dict(os.environ) if env is None else env
    if platform == "win32":
        appdata = Path(env.get("APPDATA", home / "AppData" / "Roaming"))
        return [(appdata / "obs-studio", "windows")]
    if platform == "darwin":
        return [(home / "Library" / "Application Support" / "obs-studio", "macos")]
    xdg = Path(env.get("XDG_CONFIG_HOME") or home / ".config")
    return [(xdg / "obs-studio", "linux"),
            (home / ".var" / "app" / FLATPAK_ID / "config" / "obs-studio", "flatpak")]


def version_from_ini(global_ini: Path) -> tuple[int, int, int] | None:
    """OBS records its version in global.ini as LastVersion = (major << 24) | (minor << 16) | patch."""
    try:
        text = global_ini.read_text(encoding="utf-8-sig", errors="replace")
    except OSError:
        return None
    m = re.search(r"^\s*LastVersion\s*=\s*(\d+)\s*$", text, re.MULTILINE)
    if not m:
        return None
    v = int(m.group(1))
    return (v >> 24) & 0xFF, (v >> 16) & 0xFF, v & 0xFFFF


def find_obs(home: Path | None = None, platform: str = sys.platform, env: dict[str, str] | None = None,
             portable: Path | None = None) -> list[ObsInstall]:
    """Every OBS config directory that exists (OBS has been started at least once there)."""
    dirs = [(portable / "config" / "obs-studio", "portable")] if portable else []
    dirs += candidate_config_dirs(home, platform, env)
    return [ObsInstall(d, flavour, version_from_ini(d / "global.ini"))
            for d, flavour in dirs if (d / "global.ini").exists()]


def obs_running(platform: str = sys.platform) -> bool:
    """Is an OBS process running? (Its config must not be edited under it: OBS rewrites it on exit.)"""
    if platform == "win32":
        # Bytes: tasklist writes in the console's OEM code page, which text mode would decode as ANSI
        # and can fail on (a localized "no tasks" line); the image name is ASCII in every code page.
        out = subprocess.run(["tasklist", "/FI", "IMAGENAME eq obs64.exe"], capture_output=True)
        return b"obs64.exe" in out.stdout
    if platform == "darwin":
        return subprocess.run(["pgrep", "-x", "OBS"], capture_output=True).returncode == 0
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                if (proc / "comm").read_text(encoding="utf-8").strip() == "obs":
                    return True
            except OSError:
                continue
    return False


def obs_loaded_python(home: Path, os_name: str, obs: Version) -> str | None:
    """The Python a Windows/macOS OBS loads from [Python] Path64bit = `home`, or None.

    OBS's own rule (import_python in obs-scripting-python-import.c, 29.0.0-32.2.2): from the highest
    minor it supports downwards, the first file that exists. Windows: `python3XY.dll`; macOS up to
    31.0.1: `Python.framework/Versions/Current/lib/libpython3.X.dylib`; from 31.0.2: `Versions/3.X/...`.
    Windows checks the file with `_access`, which cannot open a folder whose path is not ASCII
    (windows.obs_can_open).
    """
    if os_name == "windows" and not obs_can_open(str(home)):
        return None
    for minor in range(obs_python_max(obs), 5, -1):
        v = f"3.{minor}"
        if os_name == "windows":
            lib = home / f"python3{minor}.dll"
        else:
            folder = v if obs >= MACOS_PICKS_HIGHEST_FROM else "Current"
            lib = home / "Python.framework" / "Versions" / folder / "lib" / f"libpython{v}.dylib"
        if lib.exists():
            return v
    return None


_PE_MACHINES = {0x8664: "x64", 0xAA64: "ARM64", 0x14C: "x86"}
_MACHO_CPUS = {0x01000007: "x86_64", 0x0100000C: "arm64"}


def binary_arches(path: Path) -> set[str]:
    """The architectures an executable is built for (PE on Windows, Mach-O thin or universal on macOS)."""
    try:
        with open(path, "rb") as f:
            head = f.read(4096)
    except OSError:
        return set()
    if head[:2] == b"MZ":
        pe = int.from_bytes(head[0x3C:0x40], "little")
        if head[pe:pe + 4] == b"PE\0\0":
            machine = int.from_bytes(head[pe + 4:pe + 6], "little")
            return {_PE_MACHINES.get(machine, hex(machine))}
    if head[:4] == b"\xcf\xfa\xed\xfe":  # 64-bit Mach-O, little-endian
        cpu = int.from_bytes(head[4:8], "little")
        return {_MACHO_CPUS.get(cpu, hex(cpu))}
    if head[:4] == b"\xca\xfe\xba\xbe":  # universal: big-endian fat header, 20-byte entries
        count = int.from_bytes(head[4:8], "big")
        cpus = (int.from_bytes(head[8 + 20 * i:12 + 20 * i], "big") for i in range(min(count, 8)))
        return {_MACHO_CPUS.get(cpu, hex(cpu)) for cpu in cpus}
    return set()


def obs_binary(platform: str = sys.platform, home: Path | None = None, env: dict[str, str] | None = None
               ) -> Path | None:
    """OBS's executable where its installer puts it, or None (not installed, or somewhere unusual)."""
    home = home or Path.home()
    env = dict(os.environ) if env is None else env
    if platform == "win32":
        places = [Path(env.get(var, default)) / "obs-studio" / "bin" / "64bit" / "obs64.exe"
                  for var, default in (("ProgramFiles", "C:/Program Files"), ("ProgramW6432", "C:/Program Files"))]
    elif platform == "darwin":
        places = [root / "OBS.app" / "Contents" / "MacOS" / "OBS" for root in (Path("/Applications"),
                                                                               home / "Applications")]
    else:
        found = shutil.which("obs")
        places = [Path(found)] if found else []
    return next((p for p in places if p.exists()), None)


def pe_file_version(data: bytes) -> Version | None:
    """FILEVERSION from a Windows executable's VS_FIXEDFILEINFO. OBS sets it to major,minor,patch,0
    (UI/cmake/windows/obs.rc.in up to 30.2, frontend/cmake/windows/obs.rc.in from 31)."""
    at = data.find(b"\xbd\x04\xef\xfe")  # dwSignature 0xFEEF04BD, little-endian
    while 0 <= at <= len(data) - 16:
        _signature, struct_version, high, low = struct.unpack_from("<4I", data, at)
        if struct_version == 0x00010000:  # dwStrucVersion: what follows is a VS_FIXEDFILEINFO
            return high >> 16, high & 0xFFFF, low >> 16
        at = data.find(b"\xbd\x04\xef\xfe", at + 1)
    return None


def installed_version(binary: Path | None, platform: str = sys.platform) -> Version | None:
    """The installed OBS's own version, readable before it has ever run: OBS.app's Info.plist on macOS,
    obs64.exe's FILEVERSION on Windows; None elsewhere or when it cannot be read."""
    if binary is None:
        return None
    if platform == "darwin":
        return app_version(binary)
    if platform == "win32":
        try:
            return pe_file_version(binary.read_bytes())
        except OSError:
            return None
    return None


def next_obs_version(last_ran: Version | None, binary: Path | None, platform: str = sys.platform) -> Version | None:
    """The OBS that loads Backdrop next: the newer of global.ini's LastVersion (the last OBS that ran) and
    the installed application (an upgrade not started yet is newer than LastVersion)."""
    found = [v for v in (last_ran, installed_version(binary, platform)) if v]
    return max(found) if found else None


def app_version(binary: Path) -> Version | None:
    """macOS: OBS.app's version from its Info.plist (works before OBS has ever run)."""
    plist = binary.parent.parent / "Info.plist"
    try:
        text = plistlib.loads(plist.read_bytes()).get("CFBundleShortVersionString", "")
    except (OSError, plistlib.InvalidFileException):
        return None
    parts = re.findall(r"\d+", text)[:3]
    return tuple(int(p) for p in parts + ["0"] * (3 - len(parts))) if parts else None  # type: ignore[return-value]
