"""The Windows and macOS workflow (.github/workflows/windows-macos.yml), read as text: what it says about OBS
agrees with the installer's rules, and one failing step does not hide the others' results. actionlint
(tests/run) checks its syntax; nothing here can run it."""

from __future__ import annotations

import re

from installer import support
from installer.obs_locate import ObsInstall
from tests.conftest import REPO

WORKFLOW = REPO / ".github" / "workflows" / "windows-macos.yml"
ENTRY = re.compile(r"((?:[ \t]*#.*\n)+)[ \t]*- (?:runner: (\S+)\n\s+arch: (\S+)\n\s+)?obs: \"([\d.]+)\"")


def _entries() -> list[tuple[str, str, str, tuple[int, int, int]]]:
    """(comment above the entry, system, OBS architecture, OBS version) per job of the matrices."""
    text = WORKFLOW.read_text(encoding="utf-8")
    return [(comment, "macos" if runner else "windows", arch or "x64", tuple(int(x) for x in obs.split(".")))
            for comment, runner, arch, obs in ENTRY.findall(text)]


def test_workflow_comments_put_the_python_setting_where_each_obs_of_the_row_keeps_it():
    """OBS 30.1-30.2 read [Python] from global.ini, 31.0 and later from user.ini (scripts.cpp:
    obs_frontend_get_global_config at 30.2.3, obs_frontend_get_user_config at 31.0.0)."""
    entries = _entries()
    assert len(entries) == 5, entries
    for comment, system, arch, obs in entries:
        mac = (15, 0) if system == "macos" else None
        row = support.row_for(system, arch, obs, mac)
        versions = {row.obs_first, obs} | ({(31, 0, 0)} if row.obs_first < (31, 0, 0) <= obs else set())
        where = {ObsInstall(REPO, system, v).python_ini.name for v in versions}
        said = set(re.findall(r"\b(global\.ini|user\.ini)\b", comment))
        assert said == where, (obs, comment, where)


def _steps(job: str) -> list[str]:
    """The text of each step of a job ("windows" or "macos"), in order."""
    text = WORKFLOW.read_text(encoding="utf-8")
    body = text.split(f"\n  {job}:\n", 1)[1]
    body = re.split(r"\n  [a-z]+:\n", body, maxsplit=1)[0]  # up to the next job
    steps = body.split("\n    steps:\n", 1)[1]
    return [s for s in re.split(r"\n(?=      - )", steps) if s.strip()]


def _step(job: str, name: str) -> str:
    found = [s for s in _steps(job) if re.search(rf"- name: {re.escape(name)}", s)]
    assert len(found) == 1, (job, name, [s.splitlines()[0] for s in _steps(job)])
    return found[0]


def test_the_smoke_test_runs_whatever_the_unit_tests_did_and_both_results_are_kept():
    for job in ("windows", "macos"):
        unit = _step(job, "Unit tests")
        smoke = _step(job, "Real-OBS smoke test")
        assert re.search(r"if: \$\{\{ !cancelled\(\) && steps\.tools\.outcome == 'success' \}\}", smoke), smoke
        assert "id: tools" in _step(job, "Test tools")
        assert "--junitxml" in unit and re.search(r"unit[\\/]junit\.xml", unit), unit
        keep = _step(job, "Keep the")
        assert "if: always()" in keep and "${{ runner.temp }}/unit/" in keep and "${{ runner.temp }}/smoke/" in keep
