"""tools/linux_assumptions.py, which tests/run runs: its static scan finds what assumes Linux without
saying where it runs, and accepts what does; it reads the workflow's unit step as the jobs run it."""

from __future__ import annotations

from tools import linux_assumptions as la

UNGUARDED = '''
import subprocess
from pathlib import Path


def test_runs_debian_s_python():
    subprocess.run(["/usr/bin/python3", "-V"])


def test_reads_a_card(tmp_path):
    assert Path(tmp_path / "card.json").read_text()


def _link(tmp_path):
    (tmp_path / "Current").symlink_to("3.11")


def test_links(tmp_path):
    _link(tmp_path)
'''

GUARDED = '''
import os
import sys

import pytest

LINKS = pytest.mark.only_on("linux", "macos", reason="symbolic links")


@pytest.mark.only_on("linux", reason="Debian's python3")
def test_runs_debian_s_python():
    os.system("/usr/bin/python3 -V")


def _link(tmp_path):
    (tmp_path / "Current").symlink_to("3.11")


@LINKS
def test_links(tmp_path):
    _link(tmp_path)


def euid():
    return os.geteuid() if sys.platform != "win32" else 0


def stand_in(tmp_path):
    (tmp_path / "obs").write_bytes(b"\\x7fELF")  # any system: a stand-in file
'''


def test_the_scan_finds_linux_assumptions_that_say_nothing_of_where_they_run(tmp_path):
    path = la.REPO / "build" / "scan-probe" / "test_probe.py"  # reported relative to the repository
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        path.write_text(UNGUARDED, encoding="utf-8")
        found = la.scan_file(path)
        assert [hit.split(": ")[1] for hit in found] == [
            "a /usr/bin interpreter", "a text read without an encoding", "a symbolic link (Windows needs a privilege "
            "for one)"], found
        path.write_text(GUARDED, encoding="utf-8")
        assert la.scan_file(path) == []
    finally:
        path.unlink(missing_ok=True)


def test_the_repository_says_where_each_linux_assumption_runs():
    assert la.static_scan() == []


def test_the_check_runs_the_workflow_s_own_unit_selection_and_tools():
    tools, selection = la.workflow_unit_step()
    assert selection == "not obs and not network"
    assert any(t.startswith("pytest") for t in tools) and "obsws-python==1.8.0" in tools
