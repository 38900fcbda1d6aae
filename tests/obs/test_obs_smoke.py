"""installer/smoke_obs.py, the smoke test the Windows and macOS workflows run and users run after installing: here
against Debian's OBS under Xvfb (the parts of its Windows and macOS block that run anywhere are
tests/toolchain/test_smoke_driver.py's)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import REPO


@pytest.mark.obs
def test_smoke_driver_passes_against_this_obs(tmp_path):
    out = tmp_path / "result.json"
    res = subprocess.run([sys.executable, "-m", "installer.smoke_obs", "--work-dir", str(tmp_path / "work"),
                          "--json", str(out), "--timeout", "120"], cwd=REPO, capture_output=True, text=True,
                         timeout=600)
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
