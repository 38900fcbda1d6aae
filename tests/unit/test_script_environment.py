"""The OBS script finds Backdrop's environment, and says so when the environment was made for another
Python than the one OBS runs, in Windows' layout (Lib/site-packages, no version in its name) too."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

RUNNING = f"{sys.version_info.major}.{sys.version_info.minor}"
OTHER = "3.12" if RUNNING != "3.12" else "3.11"


@pytest.fixture()
def script(monkeypatch):
    """backdrop_obs.py as OBS loads it (a file, not a package member), with sys.path restored after."""
    spec = importlib.util.spec_from_file_location("backdrop_obs_env_test", REPO / "obs_script" / "backdrop_obs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(sys, "path", list(sys.path))
    return module


def _venv(root: Path, layout: str, version: str | None, key: str = "version") -> Path:
    """An environment as `python -m venv` (key "version") or virtualenv ("version_info") leaves it."""
    site = root / ("Lib" if layout == "windows" else f"lib/python{version}") / "site-packages"
    site.mkdir(parents=True)
    if version:
        patch = f"{version}.4" if key == "version" else f"{version}.4.final.0"
        (root / "pyvenv.cfg").write_text(f"home = C:\\Python\ninclude-system-site-packages = false\n{key} = {patch}\n",
                                         encoding="utf-8")
    return root


@pytest.mark.parametrize("key", ["version", "version_info"])
def test_a_windows_environment_for_another_python_is_reported_not_loaded(script, tmp_path, monkeypatch, key):
    venv = _venv(tmp_path / ".venv", "windows", OTHER, key)
    monkeypatch.setenv("BACKDROP_VENV", str(venv))
    problem = script._add_environment(platform="win32")
    assert problem == (f"the environment {venv} was made for Python {OTHER} but OBS runs {RUNNING}; "
                       f"run `{script.INSTALL_COMMAND}` with the Python OBS uses")
    assert str(venv / "Lib" / "site-packages") not in sys.path  # its compiled packages would not import


@pytest.mark.parametrize("layout", ["windows", "posix"])
def test_an_environment_for_the_running_python_is_put_first_on_the_path(script, tmp_path, monkeypatch, layout):
    venv = _venv(tmp_path / ".venv", layout, RUNNING)
    monkeypatch.setenv("BACKDROP_VENV", str(venv))
    assert script._add_environment(platform="win32" if layout == "windows" else "linux") is None
    site = venv / ("Lib" if layout == "windows" else f"lib/python{RUNNING}") / "site-packages"
    assert sys.path[0] == str(site)


def test_a_posix_environment_without_pyvenv_cfg_still_names_its_python(script, tmp_path, monkeypatch):
    venv = tmp_path / ".venv"
    (venv / "lib" / f"python{OTHER}" / "site-packages").mkdir(parents=True)
    monkeypatch.setenv("BACKDROP_VENV", str(venv))
    assert f"was made for Python {OTHER} but OBS runs {RUNNING}" in script._add_environment(platform="linux")


def test_no_environment_says_how_to_make_one(script, tmp_path, monkeypatch):
    monkeypatch.setenv("BACKDROP_VENV", str(tmp_path / "missing"))
    assert script._add_environment().startswith(f"no environment at {tmp_path / 'missing'}; run `")
