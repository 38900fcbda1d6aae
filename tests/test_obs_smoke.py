"""tests/smoke_obs.py, the smoke test the Windows and macOS workflows run: here against Debian's OBS under
Xvfb, plus the parts of its Windows and macOS block that run anywhere (the version read from obs64.exe,
the configuration it writes for OBS 30 and 32, the workflows' pins against the support matrix)."""

from __future__ import annotations

import json
import re
import struct
import subprocess
import sys

import pytest

from installer import support
from installer.config_files import ini_get
from tests import smoke_obs
from tests.obs_harness import REPO, SCRIPT

WORKFLOW = REPO / ".github" / "workflows" / "windows-macos.yml"


@pytest.mark.obs
def test_smoke_driver_passes_against_this_obs(tmp_path):
    out = tmp_path / "result.json"
    res = subprocess.run([sys.executable, str(REPO / "tests" / "smoke_obs.py"), "--work-dir", str(tmp_path / "work"),
                          "--json", str(out), "--timeout", "120"], capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stdout[-6000:] + res.stderr[-3000:]
    result = json.loads(out.read_text(encoding="utf-8"))
    assert result["passed"] and result["exit_code"] == 0
    assert [c["name"] for c in result["checks"] if c["ok"]] == [
        "person kept", "background removed", "provider named", "no Python traceback in OBS's log",
        "OBS exited with code 0"]
    assert result["provider"] == "CPU" and "selfie_general on CPU" in result["status"]
    alpha = result["alpha"]
    assert alpha["person_kept_share"] >= 0.95 and alpha["background_removed_share"] >= 0.95
    assert alpha["person_pixels"] > 50_000 and alpha["background_pixels"] > 50_000


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
    assert text.count(".venv/bin/python tests/smoke_obs.py") == 1
    assert text.count(r".venv\Scripts\python tests\smoke_obs.py") == 1
