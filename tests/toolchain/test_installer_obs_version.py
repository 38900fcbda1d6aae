"""Which OBS the installer validates against: the one that will load Backdrop next. global.ini's LastVersion
is the last OBS that ran; after an upgrade not yet started, the installed application is newer
(OBS.app's Info.plist on macOS, obs64.exe's FILEVERSION on Windows), and its rules apply."""

from __future__ import annotations

import plistlib
import struct
from pathlib import Path

import pytest

from installer import cli, support
from installer.obs_locate import ObsInstall, installed_version, pe_file_version


def _mac_app(tmp_path: Path, version: str) -> Path:
    contents = tmp_path / "OBS.app" / "Contents"
    (contents / "MacOS").mkdir(parents=True)
    (contents / "Info.plist").write_bytes(plistlib.dumps({"CFBundleShortVersionString": version}))
    binary = contents / "MacOS" / "OBS"
    binary.write_bytes(b"\xcf\xfa\xed\xfe" + (0x0100000C).to_bytes(4, "little") + bytes(64))  # arm64 Mach-O
    return binary


def _obs64(tmp_path: Path, version: tuple[int, int, int]) -> Path:
    """An obs64.exe with VS_FIXEDFILEINFO as OBS's obs.rc.in writes it (FILEVERSION major,minor,patch,0)."""
    major, minor, patch = version
    info = struct.pack("<13I", 0xFEEF04BD, 0x00010000, (major << 16) | minor, patch << 16, (major << 16) | minor,
                       patch << 16, 0x3F, 0, 0x40004, 1, 0, 0, 0)
    head = bytearray(512)
    head[:2] = b"MZ"
    head[0x3C:0x40] = (0x80).to_bytes(4, "little")
    head[0x80:0x86] = b"PE\0\0" + (0x8664).to_bytes(2, "little")
    exe = tmp_path / "obs-studio" / "bin" / "64bit" / "obs64.exe"
    exe.parent.mkdir(parents=True)
    exe.write_bytes(bytes(head) + b"\0" * 100 + info + b"\0" * 20)
    return exe


def _frameworks(tmp_path: Path) -> Path:
    """python.org's 3.11 and 3.12, Versions/Current still pointing at 3.11."""
    versions = tmp_path / "Library" / "Frameworks" / "Python.framework" / "Versions"
    for v in ("3.11", "3.12"):
        (versions / v / "lib").mkdir(parents=True)
        (versions / v / "lib" / f"libpython{v}.dylib").write_bytes(b"")
    (versions / "Current").symlink_to("3.11")
    return versions.parent.parent


def test_the_windows_executable_and_the_mac_app_tell_their_version(tmp_path):
    assert pe_file_version(_obs64(tmp_path, (30, 1, 2)).read_bytes()) == (30, 1, 2)
    assert installed_version(_obs64(tmp_path / "b", (32, 2, 2)), "win32") == (32, 2, 2)
    assert installed_version(_mac_app(tmp_path, "31.0.2"), "darwin") == (31, 0, 2)
    assert installed_version(tmp_path / "missing.exe", "win32") is None


@pytest.mark.only_on("linux", "macos", reason="python.org's framework layout has a symbolic link (Versions/Current), "
                     "which Windows makes only with a privilege")
def test_a_mac_upgraded_to_31_0_2_but_not_started_is_checked_by_the_new_rule(tmp_path):
    frameworks = _frameworks(tmp_path)
    binary = _mac_app(tmp_path, "31.0.2")  # 31.0.2 loads the highest Versions/3.X, not Versions/Current
    install = ObsInstall(tmp_path / "obs-studio", "macos", (31, 0, 1))  # LastVersion: the OBS that ran last
    info = {"version": "3.12", "machine": "arm64", "mac": "14.5",
            "base_prefix": str(frameworks / "Python.framework" / "Versions" / "3.12")}
    target = cli.resolve_target(install, Path("python3.12"), info, "darwin", binary=binary)
    assert target.python == "3.12"  # by 31.0.1's rule OBS would load Current (3.11): refused before
    assert install.python_ini.name == "user.ini"


def test_a_windows_obs_upgraded_past_30_0_accepts_python_3_12_and_keeps_global_ini(tmp_path):
    home = tmp_path / "Python312"
    home.mkdir()
    (home / "python312.dll").write_bytes(b"")
    exe = _obs64(tmp_path, (30, 1, 0))  # OBS 30.1 loads up to python312.dll
    install = ObsInstall(tmp_path / "obs-studio", "windows", (30, 0, 2))
    info = {"version": "3.12", "machine": "AMD64", "base_prefix": str(home), "mac": ""}
    assert cli.resolve_target(install, Path("py"), info, "win32", binary=exe) == support.Target(
        "windows", "x64", "3.12", None, "directml")
    # The configuration stays 30.0's: OBS 31 copies global.ini to user.ini on its first start, and refuses
    # to when user.ini exists (OBSApp::MigrateGlobalSettings, obs-app.cpp 31.0.0), so [Python] goes to global.ini.
    assert install.python_ini.name == "global.ini"


def test_the_last_obs_that_ran_counts_when_it_is_the_newer(tmp_path):
    home = tmp_path / "Python311"
    home.mkdir()
    (home / "python311.dll").write_bytes(b"")
    exe = _obs64(tmp_path, (30, 1, 0))
    install = ObsInstall(tmp_path / "obs-studio", "windows", (32, 2, 2))  # e.g. a portable OBS ran last
    info = {"version": "3.11", "machine": "AMD64", "base_prefix": str(home), "mac": ""}
    assert cli.obs_version(install, exe, "win32") == (32, 2, 2)
    assert cli.resolve_target(install, Path("py"), info, "win32", binary=exe).python == "3.11"
    with pytest.raises(cli.InstallError, match=r"would find Python 3\.11 .*not 3\.12"):
        cli.resolve_target(install, Path("py"), dict(info, version="3.12"), "win32", binary=exe)
