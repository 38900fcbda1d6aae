"""`python3 -m installer release`: a versioned zip of everything tracked by git but the environment.

Installing a newer release over an older one keeps the user's filter settings (they live in OBS's
scene collections, not here); `python3 -m installer` then refreshes .venv from the new pins.
"""

from __future__ import annotations

import subprocess
import zipfile
from pathlib import Path


def version(repo: Path) -> str:
    for line in (repo / "pyproject.toml").read_text(encoding="utf-8").splitlines():
        if line.startswith("version"):
            return line.split("=", 1)[1].strip().strip('"')
    raise RuntimeError("no version in pyproject.toml")


def build_release(repo: Path) -> Path:
    files = subprocess.run(["git", "ls-files", "-z"], cwd=repo, capture_output=True, check=True).stdout
    names = sorted(n for n in files.decode().split("\0") if n and (repo / n).is_file())
    out = repo / "dist" / f"backdrop-{version(repo)}.zip"
    out.parent.mkdir(exist_ok=True)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name in names:
            zf.write(repo / name, f"backdrop-{version(repo)}/{name}")
    return out
