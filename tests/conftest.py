"""Shared fixtures: real photos of people, the pinned MediaPipe wheel, repository paths."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from models import build as model_build  # noqa: E402

CACHE = Path(os.environ.get("BACKDROP_CACHE", Path.home() / ".cache" / "backdrop"))


@pytest.fixture(scope="session")
def mediapipe_wheel() -> Path:
    """The pinned mediapipe wheel (43 MB), downloaded from PyPI once and cached."""
    wheel = CACHE / model_build.WHEEL_FILE
    if not wheel.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        model_build.download_wheel(CACHE)
    return wheel


@pytest.fixture(scope="session")
def people_photos() -> dict[str, np.ndarray]:
    """Real photos of people from scikit-image (public domain), as uint8 RGB."""
    from skimage import data

    camera = data.camera()
    return {"astronaut": data.astronaut(), "cameraman": np.dstack([camera] * 3)}


def run_cli(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "core", *args], cwd=cwd, capture_output=True, text=True)
