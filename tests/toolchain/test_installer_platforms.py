"""Windows and macOS installs, proven as far as this machine can: the support matrix, OBS's rule for
which Python it loads (fake install folders), OBS's architecture, the pins per platform, the order of
the installer's steps, and a second run that keeps the GPU runtime (real pip, stand-in wheels)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from installer import INSTALL_COMMAND, cli, support, wheels
from installer.obs_locate import ObsInstall, binary_arches, obs_loaded_python
from tests.conftest import REPO


def _info(version="3.12", machine="AMD64", base="C:/Python312", mac=""):
    return {"version": version, "machine": machine, "base_prefix": base, "mac": mac}


def _install(flavour: str, version: tuple[int, int, int] | None, tmp_path: Path) -> ObsInstall:
    return ObsInstall(tmp_path / "obs-studio", flavour, version)


# -- the support matrix ---------------------------------------------------------------------------
def test_readme_supported_table_is_the_matrix():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    begin, end = "<!-- support matrix: python3 -m installer support -->\n", "<!-- end support matrix -->"
    assert begin in readme and end in readme
    assert readme.split(begin, 1)[1].split(end, 1)[0] == support.matrix_markdown()


@pytest.mark.parametrize(("system", "arch", "obs", "mac", "pythons"), [
    ("windows", "AMD64", (29, 0, 2), None, None),  # OBS 29.0 loads Python <= 3.10
    ("windows", "AMD64", (29, 1, 3), None, ("3.11",)),
    ("windows", "AMD64", (30, 0, 2), None, ("3.11",)),
    ("windows", "AMD64", (30, 1, 0), None, ("3.11", "3.12")),
    ("windows", "AMD64", (32, 2, 2), None, ("3.11", "3.12")),
    ("windows", "ARM64", (32, 2, 2), None, None),
    ("macos", "arm64", (29, 0, 1), (14, 2), None),
    ("macos", "arm64", (30, 0, 0), (13, 6), ("3.11",)),
    ("macos", "x86_64", (31, 0, 0), (11, 7), ("3.11", "3.12")),
    ("linux", "x86_64", (29, 0, 2), None, ("3.11", "3.12", "3.13", "3.14")),  # the distribution's Python
    ("linux", "x86_64", (32, 2, 2), None, ("3.11", "3.12", "3.13", "3.14")),
])
def test_each_obs_version_gets_the_pythons_it_loads(system, arch, obs, mac, pythons):
    row = support.row_for(system, arch, obs, mac)
    assert (row.pythons if row.supported else None) == pythons


@pytest.mark.parametrize(("arch", "mac", "label", "newest"), [
    ("arm64", (11, 2), "macOS 11, OBS arm64", "30.1–31.0"),  # CMAKE_OSX_DEPLOYMENT_TARGET 11.0 up to 31.0.4
    # CMakePresets.json said 12.0 up to 32.2.1, but 32.2.0 brought Qt 6.11 (obs-studio 507de81, deps 2026-07-15),
    # which needs macOS 13: 32.2.0 and 32.2.1 do not launch on macOS 12 (55c3c07d5, in 32.2.2 only, says so)
    ("arm64", (12, 7), "macOS 12, OBS arm64", "30.1–32.1"),
    ("arm64", (13, 6), "macOS 13, OBS arm64", "30.1–32.2"),  # 13.0 at 32.2.2
    ("arm64", (15, 1), "macOS 14+, OBS arm64", "30.1–32.2"),
    ("x86_64", (11, 7), "macOS 11, OBS x86_64", "30.1–31.0"),
    ("x86_64", (12, 7), "macOS 12, OBS x86_64", "30.1–32.1"),
    ("x86_64", (14, 4), "macOS 13+, OBS x86_64", "30.1–32.2"),
])
def test_each_mac_s_row_names_the_newest_obs_that_runs_on_it(arch, mac, label, newest):
    row = support.row_for("macos", arch, None, mac)  # OBS not started yet: the newest release checked
    assert (row.label(), row.obs) == (label, newest)
    assert support.row_for("macos", arch, (29, 1, 3), mac).obs == "29.1–30.0"


def test_flatpak_is_refused_with_the_reason():
    row = support.row_for("linux", "x86_64", (30, 2, 3), flatpak=True)
    assert not row.supported and "runtime" in row.why_not


@pytest.mark.parametrize(("arch", "mac", "numpy", "opencv", "ort"), [
    ("arm64", (14, 0), "2.4.6", "5.0.0.93", "1.32.0"),
    ("arm64", (13, 6), "2.4.6", "4.10.0.84", "1.19.2"),  # onnxruntime 1.32 has macOS 14+ arm64 wheels only
    ("arm64", (11, 0), "2.4.6", "4.10.0.84", "1.19.2"),
    ("x86_64", (15, 1), "2.4.6", "4.10.0.84", "1.19.2"),  # ... and no Intel wheels at all
    ("x86_64", (12, 0), "2.4.6", "4.10.0.84", "1.19.2"),
    ("x86_64", (11, 7), "1.26.4", "4.9.0.80", "1.19.2"),  # OpenCV 4.9 is built against numpy 1.x
])
def test_macos_pins_follow_the_wheels_that_exist(arch, mac, numpy, opencv, ort):
    reqs = support.requirements(support.Target("macos", arch, "3.12", mac))
    assert reqs == [f"numpy=={numpy}", f"opencv-python-headless=={opencv}", f"onnxruntime=={ort}"]


def test_gpu_targets_get_the_gpu_runtime_and_the_same_pins():
    win = support.requirements(support.Target("windows", "x64", "3.12", gpu="directml"))
    cuda = support.requirements(support.Target("linux", "x86_64", "3.11", gpu="cuda"))
    assert win[-1] == "onnxruntime-directml==1.24.4" and cuda[-1] == "onnxruntime-gpu[cuda,cudnn]==1.31.1"
    assert win[:2] == cuda[:2] == support.requirements(support.Target("linux", "x86_64", "3.11"))[:2]


def test_a_pin_changed_in_one_place_changes_the_installer_and_wheels(tmp_path, monkeypatch):
    target = support.Target("windows", "x64", "3.12", gpu="directml")
    before = cli.deps_fingerprint(Path("py"), target)
    monkeypatch.setitem(support.PIN_SETS, "current", dict(support.PIN_SETS["current"], numpy="9.8.7"))
    monkeypatch.setitem(support.GPU_RUNTIMES, "directml", ("onnxruntime-directml", "6.5.4", ""))
    assert "numpy==9.8.7" in wheels.pip_command(target, tmp_path / "r.json")
    assert "onnxruntime-directml==6.5.4" in wheels.pip_command(target, tmp_path / "r.json")
    commands = []
    monkeypatch.setattr(cli, "run", lambda cmd, what, capture=False: commands.append(cmd))
    monkeypatch.setattr(cli, "installed_runtimes", lambda vpy: set())
    venv = tmp_path / "venv"
    cli.venv_python(venv).parent.mkdir(parents=True)
    cli.install_packages(cli.venv_python(venv), target, dev=False)
    installed = [arg for cmd in commands for arg in cmd]
    assert "numpy==9.8.7" in installed and "onnxruntime-directml==6.5.4" in installed
    assert "numpy==9.8.7\n" in (venv / cli.CONSTRAINTS_NAME).read_text(encoding="utf-8")
    assert cli.deps_fingerprint(Path("py"), target) != before  # the environment is rebuilt for new pins
    project = next(cmd for cmd in commands if "-e" in cmd)
    assert "--no-deps" in project  # Backdrop's own metadata never pulls the CPU runtime over DirectML


# -- which Python OBS loads -----------------------------------------------------------------------
def _touch(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"")


def test_windows_obs_loads_the_highest_dll_it_supports(tmp_path):
    for dll in ("python311.dll", "python312.dll", "python313.dll"):
        _touch(tmp_path / dll)
    assert obs_loaded_python(tmp_path, "windows", (30, 0, 2)) == "3.11"
    assert obs_loaded_python(tmp_path, "windows", (30, 1, 0)) == "3.12"
    assert obs_loaded_python(tmp_path, "windows", (32, 2, 2)) == "3.12"
    assert obs_loaded_python(tmp_path / "empty", "windows", (32, 2, 2)) is None


SYMLINKS = pytest.mark.only_on("linux", "macos", reason="python.org's framework layout has a symbolic link "
                               "(Versions/Current), which Windows makes only with a privilege")


def _frameworks(tmp_path: Path, current: str) -> Path:
    """python.org's 3.11, 3.12 and 3.13 installed, Versions/Current pointing at `current`."""
    frameworks = tmp_path / "Library" / "Frameworks"
    versions = frameworks / "Python.framework" / "Versions"
    for v in ("3.11", "3.12", "3.13"):
        _touch(versions / v / "lib" / f"libpython{v}.dylib")
    (versions / "Current").unlink(missing_ok=True)
    (versions / "Current").symlink_to(current)  # the python.org installer points Current at the last install
    return frameworks


@SYMLINKS
def test_macos_obs_loads_versions_current_up_to_31_0_1_and_the_highest_from_31_0_2(tmp_path):
    frameworks = _frameworks(tmp_path, "3.13")
    assert obs_loaded_python(frameworks, "macos", (30, 2, 3)) is None  # 3.13 is not a version OBS 30 loads
    assert obs_loaded_python(frameworks, "macos", (31, 1, 0)) == "3.12"
    frameworks = _frameworks(tmp_path, "3.11")
    assert obs_loaded_python(frameworks, "macos", (31, 0, 0)) == "3.11"
    assert obs_loaded_python(frameworks, "macos", (31, 0, 1)) == "3.11"  # FILE_PATTERN "Versions/Current"
    assert obs_loaded_python(frameworks, "macos", (31, 0, 2)) == "3.12"  # "Versions/%s", the highest
    assert obs_loaded_python(frameworks, "macos", (32, 0, 0)) == "3.12"


@SYMLINKS
def test_macos_obs_31_0_2_takes_the_highest_python_not_current(tmp_path):
    frameworks = _frameworks(tmp_path, "3.11")
    install = _install("macos", (31, 0, 2), tmp_path)

    def info(version):
        return _info(version, "arm64", str(frameworks / "Python.framework" / "Versions" / version), "14.5")

    target = cli.resolve_target(install, Path("python3.12"), info("3.12"), "darwin")
    assert target.python == "3.12"  # accepted: OBS 31.0.2 loads 3.12 although Current is 3.11
    with pytest.raises(cli.InstallError, match=r"would find Python 3\.12 .*not 3\.11"):
        cli.resolve_target(install, Path("python3.11"), info("3.11"), "darwin")


def test_installer_refuses_a_python_obs_would_not_load(tmp_path):
    home = tmp_path / "Python312"
    _touch(home / "python312.dll")
    install = _install("windows", (30, 0, 2), tmp_path)
    with pytest.raises(cli.InstallError, match="loads Python 3.11, but .* is 3.12"):
        cli.resolve_target(install, Path("py"), _info(base=str(home)), "win32")
    install = _install("windows", (29, 0, 2), tmp_path)
    with pytest.raises(cli.InstallError, match="not supported: OBS 29.0.x loads Python 3.10"):
        cli.resolve_target(install, Path("py"), _info(base=str(home)), "win32")
    target = cli.resolve_target(_install("windows", (31, 0, 0), tmp_path), Path("py"), _info(base=str(home)), "win32")
    assert target == support.Target("windows", "x64", "3.12", None, "directml")


@pytest.mark.parametrize("version", ["3.11", "3.13", "3.14"])
def test_linux_takes_the_distributions_python_whatever_its_minor(tmp_path, version):
    """Debian 13's OBS 30.2.3 links Python 3.13, unstable's 32.2.2 Python 3.14 (the legs in tests/run)."""
    install = _install("linux", (30, 2, 3), tmp_path)
    python = Path("/usr/bin/python3")  # any system: a stand-in name for Linux's row, never started
    target = cli.resolve_target(install, python, _info(version, "x86_64", "/usr"), "linux")
    assert target.python == version and target.os == "linux"


def test_a_linux_python_too_old_is_refused_without_naming_a_python_that_is_not_there(tmp_path):
    install = _install("linux", (30, 0, 2), tmp_path)  # Ubuntu 22.04 with the OBS PPA: Python 3.10
    python = Path("/usr/bin/python3")  # any system: a stand-in name for Linux's row, never started
    with pytest.raises(cli.InstallError) as err:
        cli.resolve_target(install, python, _info("3.10", "x86_64", "/usr"), "linux")
    assert "python3 is 3.10" in str(err.value) and "3.11 or newer" in str(err.value)
    assert "python3.12 -m" not in str(err.value)
    with pytest.raises(cli.InstallError, match=r"is 3\.15: Backdrop's packages are pinned and tested up to 3\.14"):
        cli.resolve_target(install, python, _info("3.15", "x86_64", "/usr"), "linux")


def _fake_commands(folder: Path, names: dict[str, str]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, body in names.items():
        (folder / name).write_text(f"#!/bin/sh\n{body}\n", encoding="utf-8")
        (folder / name).chmod(0o755)


@pytest.mark.skipif(sys.platform == "win32", reason="stands in shell scripts for the Windows py launcher")
def test_a_wrong_python_refusal_names_the_pythons_installed_here(tmp_path, monkeypatch):
    home = tmp_path / "Python312"
    _touch(home / "python312.dll")
    install = _install("windows", (30, 0, 2), tmp_path)  # loads 3.11 only
    bin_dir = tmp_path / "bin"
    monkeypatch.setenv("PATH", str(bin_dir))
    _fake_commands(bin_dir, {})
    with pytest.raises(cli.InstallError, match=r"none of those is installed here: install Python 3\.11 .*`py -3\.11"):
        cli.resolve_target(install, Path("py"), _info(base=str(home)), "win32")
    _fake_commands(bin_dir, {"py": '[ "$1" = -3.11 ]'})  # the launcher knows 3.11 (and 3.12, this one)
    with pytest.raises(cli.InstallError, match=r"run the installer with `py -3\.11 -m installer`$"):
        cli.resolve_target(install, Path("py"), _info(base=str(home)), "win32")


def test_installer_refuses_a_macos_python_that_is_not_a_framework_build(tmp_path):
    pyenv = tmp_path / ".pyenv" / "versions" / "3.12.7"
    _touch(pyenv / "lib" / "libpython3.12.dylib")
    with pytest.raises(cli.InstallError, match="framework builds only"):
        cli.resolve_target(_install("macos", (31, 1, 0), tmp_path), Path("py"),
                           _info(machine="arm64", base=str(pyenv), mac="14.5"), "darwin")
    frameworks = tmp_path / "Frameworks"
    _touch(frameworks / "Python.framework" / "Versions" / "3.12" / "lib" / "libpython3.12.dylib")
    base = frameworks / "Python.framework" / "Versions" / "3.12"
    target = cli.resolve_target(_install("macos", (31, 1, 0), tmp_path), Path("py"),
                                _info(machine="arm64", base=str(base), mac="13.6"), "darwin")
    assert support.requirements(target)[-1] == "onnxruntime==1.19.2"


def test_windows_arm64_is_refused_before_anything_is_installed(tmp_path):
    with pytest.raises(cli.InstallError, match="ARM64.*not supported"):
        cli.resolve_target(_install("windows", (32, 0, 0), tmp_path), Path("py"), _info(machine="ARM64"), "win32")


# -- OBS's architecture ---------------------------------------------------------------------------
def _pe(path: Path, machine: int) -> Path:
    head = bytearray(512)
    head[:2] = b"MZ"
    head[0x3C:0x40] = (0x80).to_bytes(4, "little")
    head[0x80:0x84] = b"PE\0\0"
    head[0x84:0x86] = machine.to_bytes(2, "little")
    path.write_bytes(bytes(head))
    return path


def _macho(path: Path, *cpus: int) -> Path:
    if len(cpus) == 1:
        path.write_bytes(b"\xcf\xfa\xed\xfe" + cpus[0].to_bytes(4, "little") + bytes(64))
    else:
        entries = b"".join(cpu.to_bytes(4, "big") + bytes(16) for cpu in cpus)
        path.write_bytes(b"\xca\xfe\xba\xbe" + len(cpus).to_bytes(4, "big") + entries)
    return path


def test_obs_binaries_tell_their_architecture(tmp_path):
    assert binary_arches(_pe(tmp_path / "obs64.exe", 0x8664)) == {"x64"}
    assert binary_arches(_pe(tmp_path / "arm.exe", 0xAA64)) == {"ARM64"}
    assert binary_arches(_macho(tmp_path / "OBS", 0x0100000C)) == {"arm64"}
    assert binary_arches(_macho(tmp_path / "OBS-intel", 0x01000007)) == {"x86_64"}
    assert binary_arches(_macho(tmp_path / "OBS-universal", 0x01000007, 0x0100000C)) == {"x86_64", "arm64"}
    elf = tmp_path / "obs"
    elf.write_bytes(b"\x7fELF\x02\x01\x01" + bytes(57))  # any system: a stand-in for Linux's OBS (no check there)
    assert binary_arches(elf) == set()
    assert binary_arches(tmp_path / "missing") == set()


def test_an_intel_obs_under_rosetta_needs_an_intel_python(tmp_path):
    obs = _macho(tmp_path / "OBS", 0x01000007)
    with pytest.raises(cli.InstallError, match="built for x86_64 but .* runs as arm64.*arch -x86_64"):
        cli.resolve_target(_install("macos", (31, 1, 0), tmp_path), Path("py"),
                           _info(machine="arm64", mac="14.5"), "darwin", binary=obs)


# -- the installer's order and messages -----------------------------------------------------------
def test_nothing_under_the_environment_changes_while_obs_runs(tmp_path, monkeypatch):
    monkeypatch.setattr(cli, "obs_running", lambda: True)
    monkeypatch.setattr(cli, "make_venv", lambda *a: pytest.fail("environment touched while OBS runs"))
    args = cli.argparse.Namespace(obs_config=None, portable=None, dry_run=False, python=None, venv=tmp_path,
                                  no_obs=True, dev=False, no_self_test=True)
    with pytest.raises(cli.InstallError, match="OBS is running"):
        cli.cmd_install(args)


def test_debian_venv_module_is_installed_as_root_without_sudo(monkeypatch):
    commands = []
    monkeypatch.setattr(cli.subprocess, "run", lambda *a, **k: subprocess.CompletedProcess(a, 1))
    monkeypatch.setattr(cli, "probe_python", lambda python: {"version": "3.11"})
    monkeypatch.setattr(cli.shutil, "which", lambda name: {"apt-get": "/usr/bin/apt-get"}.get(name))
    monkeypatch.setattr(cli, "run", lambda cmd, what, capture=False: commands.append(cmd))
    monkeypatch.setattr(cli.os, "geteuid", lambda: 0, raising=False)
    cli.ensure_venv_module(Path("python3"))  # a name only: subprocess.run is stood in for
    assert commands[0][0] != "sudo" and commands[0][-1] == "python3.11-venv"
    monkeypatch.setattr(cli.os, "geteuid", lambda: 1000, raising=False)  # a user without sudo
    with pytest.raises(cli.InstallError, match="as root, run apt-get install -y python3.11-venv"):
        cli.ensure_venv_module(Path("python3"))


def test_no_obs_at_all_says_how_to_finish(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(cli, "obs_binary", lambda: None)
    cli.wire_obs(None, None, cli.argparse.Namespace(dry_run=False))
    out = capsys.readouterr().out
    assert "OBS Studio is not installed here" in out and "never run" not in out
    assert f"run `{INSTALL_COMMAND}` again" in out


def test_windows_messages_name_the_command_windows_has():
    code = "import sys; sys.platform = 'win32'; import installer; print(installer.INSTALL_COMMAND)"
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True).stdout
    assert out.strip() == "python -m installer"


# -- a second run keeps the GPU runtime (real pip, no GPU, no network) -----------------------------
def _standin_wheel(folder: Path, dist: str, version: str, build: str, tag: str = "py3-none-any") -> Path:
    """A wheel that, like every ONNX Runtime build, installs the package folder `onnxruntime/`."""
    name = dist.replace("-", "_")
    path = folder / f"{name}-{version}-{tag}.whl"
    info = f"{name}-{version}.dist-info"
    files = {"onnxruntime/__init__.py": f"BUILD = {build!r}\n", "onnxruntime/capi/__init__.py": "",
             f"{info}/METADATA": f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n",
             f"{info}/WHEEL": f"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: {tag}\n"}
    files[f"{info}/RECORD"] = "".join(f"{f},,\n" for f in files) + f"{info}/RECORD,,\n"
    with zipfile.ZipFile(path, "w") as z:
        for arc, text in files.items():
            z.writestr(arc, text)
    return path


def _build(vpy: Path) -> str:
    res = subprocess.run([str(vpy), "-c", "import onnxruntime; print(onnxruntime.BUILD)"], capture_output=True,
                         text=True)
    return res.stdout.strip() if res.returncode == 0 else f"broken: {res.stderr.strip().splitlines()[-1]}"


def test_a_second_install_keeps_the_gpu_runtime(tmp_path, monkeypatch):
    wheelhouse = tmp_path / "wheels"
    wheelhouse.mkdir()
    _standin_wheel(wheelhouse, "onnxruntime", "1.32.0", "cpu")
    _standin_wheel(wheelhouse, "onnxruntime-directml", "1.24.4", "directml")
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(wheelhouse))
    monkeypatch.setenv("PIP_DISABLE_PIP_VERSION_CHECK", "1")
    subprocess.run([sys.executable, "-m", "venv", str(tmp_path / "venv")], check=True)
    vpy = cli.venv_python(tmp_path / "venv")
    directml = "onnxruntime-directml==1.24.4"

    # What the old installer left: the CPU build under Backdrop, DirectML installed over it.
    for req in ("onnxruntime==1.32.0", directml):
        subprocess.run([str(vpy), "-m", "pip", "install", "-q", req], check=True, env=os.environ)
    subprocess.run([str(vpy), "-m", "pip", "uninstall", "-y", "-q", "onnxruntime"], check=True)
    assert _build(vpy).startswith("broken")  # the shared folder went with the CPU build

    cli.install_runtime(vpy, directml)
    assert _build(vpy) == "directml" and cli.installed_runtimes(vpy) == {"onnxruntime-directml"}
    cli.install_runtime(vpy, directml)  # the second run
    assert _build(vpy) == "directml" and cli.installed_runtimes(vpy) == {"onnxruntime-directml"}

    subprocess.run([str(vpy), "-m", "pip", "install", "-q", "onnxruntime==1.32.0"], check=True)  # a stray CPU build
    cli.install_runtime(vpy, directml)
    assert _build(vpy) == "directml" and cli.installed_runtimes(vpy) == {"onnxruntime-directml"}

    cli.install_runtime(vpy, "onnxruntime==1.32.0")  # the CPU fallback when DirectML gives no GPU
    assert _build(vpy) == "cpu" and cli.installed_runtimes(vpy) == {"onnxruntime"}


def test_wheels_command_targets_every_supported_row():
    targets = [t for row in support.ROWS if row.supported for t in row.targets()]
    assert {t.python for t in targets} == {"3.11", "3.12", "3.13", "3.14"}
    assert {t.python for t in targets if t.os != "linux"} == {"3.11", "3.12"}  # PY_MINOR_VERSION_MAX 12
    tags = {wheels.platform_tags(t)[0] for t in targets}
    assert {"win_amd64", "macosx_11_0_arm64", "macosx_12_0_arm64", "macosx_13_0_arm64", "macosx_14_0_arm64",
            "macosx_11_0_x86_64", "macosx_12_0_x86_64", "macosx_13_0_x86_64", "manylinux_2_35_x86_64"} <= tags
    assert json.dumps([support.requirements(t) for t in targets])  # every target has requirements


def _pythons_users_run_wheels_with() -> list[Path]:
    """This Python, and on Linux Debian 12's /usr/bin/python3 (pip 23.0.1, PEP 668) and pyenv's 3.11 (pip 23.2.1)
    where present (macOS's /usr/bin/python3 is Xcode's, whose pip is too old: `installer wheels` says so)."""
    if not sys.platform.startswith("linux"):
        return [Path(sys.executable)]
    debian = [Path("/usr/bin/python3")] if Path("/usr/bin/python3").exists() else []
    return [Path(sys.executable), *debian, *sorted((Path.home() / ".pyenv" / "versions").glob("3.11.*/bin/python3"))]


@pytest.mark.parametrize("python", _pythons_users_run_wheels_with(), ids=str)
def test_wheels_resolves_a_windows_row_with_the_pip_of_debian_and_pyenv(python, tmp_path, monkeypatch):
    if subprocess.run([str(python), "-m", "pip", "--version"], capture_output=True).returncode != 0:
        pytest.skip(f"{python} has no pip")
    wheelhouse = tmp_path / "wheels"
    wheelhouse.mkdir()
    _standin_wheel(wheelhouse, "onnxruntime-directml", "1.24.4", "directml", tag="py3-none-win_amd64")
    monkeypatch.setattr(support, "requirements", lambda target: ["onnxruntime-directml==1.24.4"])
    for name, value in (("PIP_NO_INDEX", "1"), ("PIP_FIND_LINKS", str(wheelhouse))):
        monkeypatch.setenv(name, value)  # offline: the stand-in is the only wheel pip sees
    ok, detail = wheels.resolve(support.Target("windows", "x64", "3.12", gpu="directml"), [str(python), "-m", "pip"])
    assert (ok, detail) == (True, "onnxruntime_directml-1.24.4-py3-none-win_amd64.whl")


@pytest.mark.only_on("linux", reason="doctor checks this machine against its row; the test gives it Debian's OBS "
                     "29.0.2 and the environment tests/run installs")
def test_doctor_reports_the_row_and_the_pins_for_a_bug_report(tmp_path, monkeypatch, capsys):
    from installer.doctor import doctor

    venv = REPO / ".venv"
    if not cli.venv_python(venv).exists():
        pytest.skip("needs the installed environment")
    install = ObsInstall(tmp_path / "obs-studio", "linux", (29, 0, 2))
    doctor(install, venv)
    out = capsys.readouterr().out
    assert "paste everything below into a bug report" in out and "OBS 29.0.2" in out
    assert "ok      support matrix: Linux, OBS x86_64" in out
    assert "ok      ONNX Runtime builds installed: onnxruntime\n" in out
    monkeypatch.setitem(support.PIN_SETS, "current", dict(support.PIN_SETS["current"], numpy="9.8.7"))
    doctor(install, venv)
    assert "PROBLEM packages: numpy==2.4.6" in capsys.readouterr().out
