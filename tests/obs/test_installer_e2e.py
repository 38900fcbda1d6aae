"""End to end: a user's real OBS 29, the installer, Backdrop loaded from the installed environment,
and an uninstall that removes exactly our entries."""

from __future__ import annotations

import json
import subprocess

import pytest

from installer.config_files import collection_scripts
from tests.conftest import REPO
from tests.obs_harness import KIND, SCRIPT, ObsInstance

pytestmark = pytest.mark.obs


def _installer(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["/usr/bin/python3", "-m", "installer", *args], cwd=REPO, capture_output=True, text=True,
                          timeout=900)


def test_installer_adds_backdrop_to_obs_and_uninstall_takes_it_out(tmp_path):
    inst = ObsInstance(scripts=[])  # OBS without Backdrop, started and closed once, as a user would
    with inst:
        pass
    config = inst.config / "obs-studio"
    collection = inst.collection_path()
    assert collection_scripts(collection.read_bytes()) == []
    state = tmp_path / "install-state.json"
    common = ["--obs-config", str(config), "--venv", str(REPO / ".venv"), "--state", str(state)]

    res = _installer(*common)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "self-test: CPU" in res.stdout and "ms per mask" in res.stdout
    assert f"add backdrop_obs.py to scene collection {collection.stem}" in res.stdout
    assert collection_scripts(collection.read_bytes()) == [str(SCRIPT)]

    with inst:  # OBS starts again, now with Backdrop
        inst.wait_log("[backdrop] registered filter 'backdrop_filter'")
        assert inst.call("GetSourceFilterDefaultSettings", {"filterKind": KIND})["defaultFilterSettings"]
        inst.add_filter()
        inst.wait_log("engine ready for 'Backdrop': selfie_general on CPU", timeout=60)
    assert inst.exit_code == 0
    saved = json.loads(collection.read_text(encoding="utf-8"))

    res = _installer("--uninstall", *common)
    assert res.returncode == 0, res.stdout + res.stderr
    after = json.loads(collection.read_text(encoding="utf-8"))
    assert collection_scripts(collection.read_bytes()) == []
    saved["modules"]["scripts-tool"] = []
    assert after == saved  # everything else exactly as OBS last wrote it (the user's Backdrop filter too)
    assert not state.exists()
