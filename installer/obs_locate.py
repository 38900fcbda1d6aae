"""Finding OBS: its config directory, its version, where its Python setting lives, and whether it runs.

Standard library only. Every function takes the environment it reads (home, platform, env) as
arguments with the real values as defaults, so tests can lay out fake trees for any OS.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

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

    def python_versions(self) -> tuple[str, ...]:
        """Python minor versions this OBS can load (for the environment's interpreter)."""
        if not self.has_python_setting:
            return ()
        if self.version and self.version >= (30, 1, 0):
            return ("3.12", "3.11", "3.10", "3.9", "3.8", "3.7", "3.6")
        return ("3.11", "3.10", "3.9", "3.8", "3.7", "3.6")


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
        out = subprocess.run(["tasklist", "/FI", "IMAGENAME eq obs64.exe"], capture_output=True, text=True)
        return "obs64.exe" in out.stdout
    if platform == "darwin":
        return subprocess.run(["pgrep", "-x", "OBS"], capture_output=True).returncode == 0
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                if (proc / "comm").read_text().strip() == "obs":
                    return True
            except OSError:
                continue
    return False
