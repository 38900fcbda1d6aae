"""installer/smoke_obs.py's Windows and macOS block, as far as it runs anywhere: the version read from obs64.exe,
the environment OBS gets, the configuration it writes for OBS 30 and 32, and the workflows' pins against the
support matrix (the driver itself runs against a real OBS in tests/obs/test_obs_smoke.py)."""

from __future__ import annotations

import json
import re
import struct

import pytest

from installer import smoke_obs, support
from installer.config_files import ini_get
from installer.fresh_obs import SCRIPT
from tests.conftest import REPO

WORKFLOW = REPO / ".github" / "workflows" / "windows-macos.yml"


def test_obs_version_is_read_from_the_windows_executable():
    # VS_FIXEDFILEINFO as obs.rc.in makes it (FILEVERSION 32,2,2,0), after a decoy signature.
    info = struct.pack("<13I", 0xFEEF04BD, 0x00010000, (32 << 16) | 2, 2 << 16, (32 << 16) | 2, 2 << 16,
                       0x3F, 0, 0x40004, 1, 0, 0, 0)
    exe = b"MZ" + b"\0" * 100 + struct.pack("<2I", 0xFEEF04BD, 7) + b"\0" * 50 + info + b"\0" * 20
    assert smoke_obs.pe_file_version(exe) == (32, 2, 2)
    assert smoke_obs.pe_file_version(b"MZ" + b"\0" * 64) is None


def test_obs_gets_an_environment_without_this_pythons_variables(monkeypatch):
    monkeypatch.setenv("PYTHONPATH", "/somewhere")
    monkeypatch.setenv("VIRTUAL_ENV", "/venv")
    monkeypatch.setenv("__PYVENV_LAUNCHER__", "/venv/bin/python")
    env = smoke_obs.obs_environment({"BACKDROP_STATUS_LOG_S": "1"})
    assert not {"PYTHONPATH", "VIRTUAL_ENV", "__PYVENV_LAUNCHER__"} & set(env)
    assert env["BACKDROP_STATUS_LOG_S"] == "1" and env["PATH"]


@pytest.mark.parametrize("version, python_ini", [((30, 0, 2), "global.ini"), ((32, 2, 2), "user.ini")])
def test_macos_configuration_is_wired_for_the_obs_version(monkeypatch, tmp_path, version, python_ini):
    """The configuration the macOS block starts OBS with (the Windows one is the same, in a portable copy)."""
    monkeypatch.setattr(smoke_obs, "SYSTEM", "macos")
    inst = smoke_obs.SmokeObs(REPO / "OBS.app", version, REPO / ".venv", tmp_path, {})
    cfg = tmp_path / "config" / "obs-studio"
    glob = (cfg / "global.ini").read_bytes()
    assert ini_get(glob, "General", "LastVersion") == str(smoke_obs.last_version(version))
    assert ini_get(glob, "General", "MacOSPermissionsDialogLastShown") == "1"
    assert ini_get(glob, "OBSWebSocket", "ServerPort") == str(inst.port)
    settings = (cfg / python_ini).read_bytes()
    assert ini_get(settings, "Python", "Path64bit")  # the folder the environment's Python comes from
    assert ini_get(settings, "Basic", "SceneCollectionFile") == "backdrop_test"
    if python_ini == "global.ini":
        assert not (cfg / "user.ini").exists()
    collection = json.loads((cfg / "basic" / "scenes" / "backdrop_test.json").read_text(encoding="utf-8"))
    assert [s["path"] for s in collection["modules"]["scripts-tool"]] == [str(SCRIPT)]


def test_workflow_jobs_install_a_supported_row_with_the_python_it_loads():
    text = WORKFLOW.read_text(encoding="utf-8")
    entries = re.findall(r"- (?:runner: (\S+)\n\s+arch: (\S+)\n\s+)?obs: \"([\d.]+)\"\n\s+asset: (\S+)\n"
                         r"\s+python: \"([\d.]+)\"", text)
    assert len(entries) == 5, entries
    systems = set()
    for runner, arch, obs, asset, python in entries:
        system = "macos" if runner else "windows"
        mac = {"macos-14": (14, 0), "macos-15-intel": (15, 0)}.get(runner)
        version = tuple(int(x) for x in obs.split("."))
        row = support.row_for(system, arch or "x64", version, mac)
        assert row.supported, (obs, row)
        assert python.rsplit(".", 1)[0] in row.pythons, (obs, python, row.pythons)
        assert obs in asset and asset.endswith(".zip" if system == "windows" else ".dmg")
        systems.add((system, arch or "x64"))
    assert systems == {("windows", "x64"), ("macos", "arm64"), ("macos", "x86_64")}
    # each job runs the smoke driver, with the environment's Python
    assert text.count(".venv/bin/python -m installer.smoke_obs") == 1
    assert text.count(r".venv\Scripts\python -m installer.smoke_obs") == 1
