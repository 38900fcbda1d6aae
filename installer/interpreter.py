"""What the installer and `doctor` both ask of the machine: the OS, and the interpreter an environment
will use. A leaf module: it imports nothing of the installer's, so cli.py and doctor.py share it
without importing each other."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path


class InstallError(RuntimeError):
    """Something the user must fix; the message says how."""


# -- the environment -----------------------------------------------------------------------------
# 'bits': the interpreter's pointer size; platform.machine() reports the OS, also under a 32-bit Python.
PROBE = ("import json, platform, struct, sys; print(json.dumps({'version': '%d.%d' % sys.version_info[:2], "
         "'machine': platform.machine(), 'bits': struct.calcsize('P') * 8, 'base_prefix': sys.base_prefix, "
         "'executable': sys.executable, 'mac': platform.mac_ver()[0]}))")


def os_name(platform: str = sys.platform) -> str:
    return {"win32": "windows", "darwin": "macos"}.get(platform, "linux")


def probe_python(python: Path) -> dict:
    """Version, architecture and base folder of the interpreter the environment will use."""
    res = subprocess.run([str(python), "-c", PROBE], capture_output=True, text=True)
    if res.returncode != 0:
        raise InstallError(f"{python} does not run: {res.stderr.strip()[-500:]}")
    return json.loads(res.stdout.strip().splitlines()[-1])


def mac_version(info: dict, system: str) -> tuple[int, int] | None:
    """The Mac's (major, minor) from probe_python's answer; None off macOS."""
    return tuple(int(x) for x in (info.get("mac") or "0.0").split(".")[:2]) if system == "macos" else None  # type: ignore[return-value]


def python_command(version: str, system: str) -> str | None:
    """How to start Python `version` on this machine (`py -3.12` on Windows, `python3.12` elsewhere), or
    None when it is not installed: advice must name a Python that exists."""
    if system == "windows":
        if not shutil.which("py"):
            return None
        found = subprocess.run(["py", f"-{version}", "-c", ""], capture_output=True).returncode == 0
        return f"py -{version}" if found else None
    return f"python{version}" if shutil.which(f"python{version}") else None
