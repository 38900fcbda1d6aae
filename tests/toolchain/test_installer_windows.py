"""Windows set-ups that install but would not run, caught before anything is written: a user name
that is not ASCII, the Microsoft Store's Python, a 32-bit Python, a checkout too deep for MAX_PATH,
and `tasklist` output in a localized code page. Windows paths are PureWindowsPath strings and the
two calls into Windows are replaced, so all of it runs here."""

from __future__ import annotations

import struct
import subprocess
import sys
from pathlib import Path, PureWindowsPath

import pytest

from installer import cli, doctor, obs_locate, support, windows
from installer.config_files import ini_get
from installer.obs_locate import ObsInstall, obs_loaded_python

JUERGEN = r"C:\Users\Jürgen\AppData\Local\Programs\Python\Python312"  # python.org's per-user default
JUERGEN_SHORT = r"C:\Users\JRGEN~1\AppData\Local\PROGRA~1\Python\PYTHON~1"
STORE = r"C:\Program Files\WindowsApps\PythonSoftwareFoundation.Python.3.12_3.12.2800.0_x64__qbz5n2kfra8p0"


def _info(base: str = r"C:\Program Files\Python312", version: str = "3.12", bits: int = 64,
          executable: str = "") -> dict:
    return {"version": version, "machine": "AMD64", "bits": bits, "base_prefix": base,
            "executable": executable or base + r"\python.exe", "mac": ""}


def _short_names(table: dict[str, str]):
    """A stand-in for GetShortPathNameW: the 8.3 names this volume has (None: none, 8.3 names are off)."""
    return lambda path: table.get(path)


def _windows_obs(tmp_path: Path, version=(31, 0, 0)) -> ObsInstall:
    config = tmp_path / "obs-studio"
    (config / "basic" / "scenes").mkdir(parents=True)
    (config / "global.ini").write_bytes(b"[General]\r\nLastVersion=520093698\r\n")
    return ObsInstall(config, "windows", version)


# -- 2. a Python folder OBS can open ------------------------------------------------------------------
def test_a_non_ascii_python_folder_is_written_as_its_short_name(tmp_path, monkeypatch):
    monkeypatch.setattr(windows, "short_path_name", _short_names({JUERGEN: JUERGEN_SHORT}))
    monkeypatch.setattr(cli, "os_name", lambda platform=None: "windows")
    monkeypatch.setattr(cli, "probe_python", lambda python: _info(JUERGEN))
    monkeypatch.setattr(cli, "obs_running", lambda: False)
    install = _windows_obs(tmp_path)
    args = type("Args", (), dict(dry_run=False, all_collections=False, state=tmp_path / "state.json"))()
    cli.wire_obs(install, Path("venv/Scripts/python.exe"), args)
    written = ini_get((install.config_dir / "user.ini").read_bytes(), "Python", "Path64bit")
    assert written == JUERGEN_SHORT and windows.obs_can_open(written)


def test_a_folder_without_an_ascii_short_name_is_refused_with_the_fix(tmp_path, monkeypatch):
    monkeypatch.setattr(windows, "short_path_name", _short_names({}))  # 8.3 names turned off on the volume
    with pytest.raises(cli.InstallError, match=r"OBS cannot open the Python folder .*Jürgen.*"
                                               r"install Python 3\.12 for all users.*ASCII"):
        cli.resolve_target(_windows_obs(tmp_path), Path("python"), _info(JUERGEN), "win32")


def test_an_ascii_folder_is_written_as_it_is():
    assert windows.folder_obs_can_open(r"C:\Program Files\Python312", _short_names({})) == r"C:\Program Files\Python312"
    assert windows.folder_obs_can_open(JUERGEN, _short_names({JUERGEN: JUERGEN_SHORT})) == JUERGEN_SHORT
    assert windows.folder_obs_can_open(JUERGEN, _short_names({JUERGEN: JUERGEN})) is None  # no 8.3 name: same path


def test_obs_finds_no_python_in_a_folder_that_is_not_ascii(tmp_path):
    for folder in (tmp_path / "Jürgen", tmp_path / "juergen"):
        (folder / "python312.dll").parent.mkdir()
        (folder / "python312.dll").write_bytes(b"")
    assert obs_loaded_python(tmp_path / "juergen", "windows", (31, 0, 0)) == "3.12"
    assert obs_loaded_python(tmp_path / "Jürgen", "windows", (31, 0, 0)) is None  # _access cannot spell it
    assert obs_loaded_python(tmp_path / "Jürgen", "macos", (31, 0, 0)) is None  # no framework: unrelated to names


def test_doctor_says_obs_cannot_open_a_folder_that_is_not_ascii():
    lines = []
    doctor.check_python_folder(lambda ok, text, fix="": lines.append((ok, text, fix)), JUERGEN, "windows",
                               (31, 0, 0), "3.12")
    problems = [(text, fix) for ok, text, fix in lines if not ok]
    assert any("OBS can open that folder" in text and "short 8.3 name" in fix and "for all users" in fix
               for text, fix in problems)


# -- 4. the Microsoft Store's Python -------------------------------------------------------------------
@pytest.mark.parametrize("info", [
    _info(STORE),
    _info(STORE, executable=r"C:\Users\nick\AppData\Local\Microsoft\WindowsApps\python3.12.exe"),
    _info(r"C:\Program Files\Python312", executable=r"C:\Users\nick\AppData\Local\Microsoft\WindowsApps\python.exe"),
])
def test_the_microsoft_store_python_is_refused_with_the_reason(info):
    with pytest.raises(cli.InstallError, match=r"Microsoft Store's Python .*changes with every Store update"
                                               r".*python\.org"):
        cli.resolve_target(None, Path("python"), info, "win32")  # OBS not started yet: still refused


def test_python_org_s_python_is_not_taken_for_the_store_s():
    target = cli.resolve_target(None, Path("python"), _info(r"C:\Program Files\Python312"), "win32")
    assert target == support.Target("windows", "x64", "3.12", None, "directml")


# -- 5. tasklist in a localized code page -------------------------------------------------------------
TASKLIST_DE = {  # German Windows: tasklist writes in the OEM code page 850 ("ü" is 0x81, undefined in cp1252)
    True: "Abbildname                     PID Sitzungsname       Sitz.-Nr. Speichernutzung\r\n"
          "Küchenuhr.exe                 1717 Console                    1    20.480 K\r\n"
          "obs64.exe                     4242 Console                    1   812.344 K\r\n",
    False: "INFORMATION: Es werden keine Tasks mit den angegebenen Kriterien ausgeführt.\r\n",
}


@pytest.mark.parametrize("running", [True, False])
def test_obs_running_reads_tasklist_in_any_code_page(monkeypatch, running):
    def tasklist(cmd, **kwargs):
        out = TASKLIST_DE[running].encode("cp850")
        if kwargs.get("text") or kwargs.get("encoding") or kwargs.get("universal_newlines"):
            out = out.decode("cp1252")  # what text mode does on a German Windows (ANSI code page): it raises
        return subprocess.CompletedProcess(cmd, 0, out, b"")

    monkeypatch.setattr(obs_locate.subprocess, "run", tasklist)
    assert obs_locate.obs_running("win32") is running


# -- 6. a 32-bit Python on 64-bit Windows -------------------------------------------------------------
def test_a_32_bit_python_is_refused_although_windows_is_64_bit():
    # platform.machine() reports the OS ("AMD64") under a 32-bit Python too; the pointer size does not
    with pytest.raises(cli.InstallError, match=r"32-bit Python, and OBS is 64-bit.*64-bit\)"):
        cli.resolve_target(None, Path("python"), _info(bits=32), "win32")


def test_the_probe_reports_the_interpreter_s_pointer_size():
    info = cli.probe_python(Path(sys.executable))
    assert info["bits"] == struct.calcsize("P") * 8 and info["executable"] == sys.executable


# -- 8. MAX_PATH ----------------------------------------------------------------------------------------
def _checkout(length: int) -> PureWindowsPath:
    root = "C:\\Users\\nick\\"
    return PureWindowsPath(root + "x" * (length - len(root) - len("\\Backdrop")) + "\\Backdrop")


def test_the_deepest_file_fits_below_max_path_up_to_a_109_character_checkout():
    deepest = "onnxruntime/tools/ort_format_model/ort_flatbuffers_py/fbs/RuntimeOptimizationRecordContainerEntry.py"
    assert len(deepest) == 100  # onnxruntime-directml 1.24.4, win_amd64; its .pyc beside it is 125
    for length, fits in ((40, True), (109, True), (110, False)):
        venv = _checkout(length) / ".venv"
        assert len(str(venv.parent)) == length
        assert (windows.venv_path_problem(venv, long_paths_enabled=False) is None) is fits


def test_long_paths_enabled_still_keep_what_obs_imports_below_max_path():
    """obs64.exe's manifest has no longPathAware (frontend/cmake/windows/obs.manifest at 32.2.2,
    UI/cmake/windows/obs.manifest at 30.0.2), so inside OBS every file Backdrop's imports open must fit
    in MAX_PATH, whatever LongPathsEnabled says. The deepest: numpy 2.4.6's
    numpy.libs/libscipy_openblas64_-<32 hex digits>.dll (win_amd64), 68 characters below site-packages."""
    assert len("numpy.libs/libscipy_openblas64_-63c857e738469261263c764a36be9436.dll") == 68
    for length, fits in ((110, True), (166, True), (167, False)):
        venv = _checkout(length) / ".venv"
        problem = windows.venv_path_problem(venv, long_paths_enabled=True)
        assert (problem is None) is fits, (length, problem)
    problem = windows.venv_path_problem(_checkout(167) / ".venv", long_paths_enabled=True)
    assert "OBS" in problem and "longPathAware" in problem and "at least 1 character shorter" in problem
    assert "LongPathsEnabled" not in problem  # enabling it again would not help


def test_a_checkout_too_deep_is_refused_before_anything_is_installed(tmp_path, monkeypatch):
    monkeypatch.setattr(cli, "os_name", lambda platform=None: "windows")
    monkeypatch.setattr(cli, "obs_running", lambda: False)
    monkeypatch.setattr(windows, "long_paths_enabled", lambda: False)
    monkeypatch.setattr(cli, "probe_python", lambda python: pytest.fail("went on to install"))
    venv = tmp_path / ("y" * (130 - len(str(tmp_path)) - 1)) / ".venv"  # a 130-character checkout: pip's limit
    args = cli.argparse.Namespace(obs_config=None, portable=None, dry_run=False, python=Path("python"), venv=venv,
                                  no_obs=True, dev=False, no_self_test=True)
    with pytest.raises(cli.InstallError, match=r"too deep for Windows.*Move the Backdrop folder somewhere at least "
                                               r"\d+ characters shorter.*LongPathsEnabled"):
        cli.cmd_install(args)
