"""The installer's OBS wiring on fake config trees: Windows, macOS, Linux and Flatpak; OBS 29 to 32."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from installer import cli, config_files, support, wiring
from installer.config_files import ini_get, ini_set
from installer.obs_locate import find_obs

SCRIPT = Path("/opt/backdrop/obs_script/backdrop_obs.py")
COMMENTED_INI = (
    "\ufeff[General]\r\n; user's own note, must survive\r\nLastVersion={v}\r\nFirstRun=true\r\n\r\n"
    "[Basic]\r\nProfile=Streaming\r\nSceneCollection=Main Show\r\nSceneCollectionFile=Main_Show\r\n\r\n"
    "[Video]\r\nRenderer=Direct3D 11\r\n"
).encode("utf-8")
COLLECTION = {"name": "Main Show", "current_scene": "Scene", "sources": [{"name": "Webcam", "id": "dshow_input",
              "settings": {"label": "Cam\u00e9ra \u2764"}, "filters": []}],
              "modules": {"scripts-tool": [{"path": "/other/script.lua", "settings": {"x": 1}}]}}


def _version(major: int) -> int:
    return (major << 24) | (0 << 16) | 2


def _tree(root: Path, flavour: str, major: int) -> tuple[dict, Path]:
    """A fake OBS config tree as OBS `major` on `flavour` leaves it; returns (env, config dir)."""
    home = root / "home"
    env = {"APPDATA": str(home / "AppData" / "Roaming")} if flavour == "windows" else {}
    config = {
        "windows": home / "AppData" / "Roaming" / "obs-studio",
        "macos": home / "Library" / "Application Support" / "obs-studio",
        "linux": home / ".config" / "obs-studio",
        "flatpak": home / ".var" / "app" / "com.obsproject.Studio" / "config" / "obs-studio",
    }[flavour]
    (config / "basic" / "scenes").mkdir(parents=True)
    text = COMMENTED_INI.replace(b"{v}", str(_version(major)).encode())
    if major >= 31:  # OBS 31 keeps user settings ([Basic], [Python]) in user.ini, and the collection's file name
        text = text.replace(b"SceneCollectionFile=Main_Show", b"SceneCollectionFile=Main_Show.json")
        (config / "global.ini").write_bytes(b"[General]\r\nLastVersion=" + str(_version(major)).encode() + b"\r\n")
        (config / "user.ini").write_bytes(text)
    else:
        (config / "global.ini").write_bytes(text)
    (config / "basic" / "scenes" / "Main_Show.json").write_text(json.dumps(COLLECTION, indent=4), encoding="utf-8")
    (config / "basic" / "scenes" / "Other.json").write_text(json.dumps(dict(COLLECTION, name="Other"), indent=4),
                                                          encoding="utf-8")
    return env | {"HOME": str(home)}, config


PLATFORM = {"windows": "win32", "macos": "darwin", "linux": "linux", "flatpak": "linux"}


@pytest.mark.parametrize("major", [29, 30, 31, 32])
@pytest.mark.parametrize("flavour", ["windows", "macos", "linux", "flatpak"])
def test_planned_edits_for_each_os_and_obs_version(tmp_path, flavour, major):
    env, config = _tree(tmp_path, flavour, major)
    found = find_obs(Path(env["HOME"]), PLATFORM[flavour], env)
    assert [f.config_dir for f in found] == [config] and found[0].flavour == flavour
    assert found[0].version == (major, 0, 2)
    changes = wiring.plan_install(found[0], SCRIPT, Path("C:/Python312"))
    by_file = {c.path.name: c for c in changes}
    ini_name = "user.ini" if major >= 31 else "global.ini"
    if flavour in ("windows", "macos"):  # only these OBS builds load Python from a folder the user sets
        assert ini_get(by_file[ini_name].after, "Python", "Path64bit") == str(Path("C:/Python312"))
    else:
        assert not any(n.endswith(".ini") for n in by_file)
    doc = json.loads(by_file["Main_Show.json"].after)
    assert [s["path"] for s in doc["modules"]["scripts-tool"]] == ["/other/script.lua", str(SCRIPT)]
    assert doc["sources"] == COLLECTION["sources"] and "Other.json" not in by_file
    all_changes = wiring.plan_install(found[0], SCRIPT, None, all_collections=True)
    assert {c.path.name for c in all_changes} == {"Main_Show.json", "Other.json"}


def test_ini_edit_keeps_every_other_byte():
    original = COMMENTED_INI.replace(b"{v}", b"486539266")
    edited = ini_set(original, "Python", "Path64bit", "C:\\Python 3.12")
    assert edited.startswith(b"\xef\xbb\xbf[General]\r\n; user's own note") and b"\n[Python]" in edited
    assert edited.replace(b"\r\n[Python]\r\nPath64bit=C:\\\\Python 3.12\r\n", b"") == original  # OBS-escaped
    assert ini_set(edited, "Python", "Path64bit", None).replace(b"[Python]\r\n", b"").rstrip() == original.rstrip()
    in_place = ini_set(original, "Video", "Renderer", "OpenGL")
    assert in_place == original.replace(b"Renderer=Direct3D 11", b"Renderer=OpenGL")
    mid = ini_set(original, "Basic", "Extra", "1")
    line = b"SceneCollectionFile=Main_Show\r\n"
    assert mid == original.replace(line, line + b"Extra=1\r\n")


def _args(tmp_path, config, **kw):
    base = dict(dry_run=False, all_collections=False, state=tmp_path / "state.json", obs_config=config,
                portable=None)
    return type("Args", (), base | kw)()


def _install(tmp_path, config, monkeypatch, **kw):
    monkeypatch.setattr(cli, "obs_running", lambda: False)
    monkeypatch.setattr(cli, "python_home", lambda vpy: Path("/py/home"))
    args = _args(tmp_path, config, **kw)
    cli.wire_obs(cli.choose_install(args), Path("/venv/bin/python"), args)
    return args


def _snapshot(config: Path) -> dict[str, bytes]:
    return {str(p.relative_to(config)): p.read_bytes() for p in config.rglob("*") if p.is_file()}


def test_install_backs_up_and_uninstall_restores_byte_for_byte(tmp_path, monkeypatch):
    env, config = _tree(tmp_path, "linux", 29)
    before = _snapshot(config)
    args = _install(tmp_path, config, monkeypatch)
    collection = config / "basic" / "scenes" / "Main_Show.json"
    assert str(cli.OBS_SCRIPT) in collection.read_text(encoding="utf-8")
    backups = list(collection.parent.glob("Main_Show.json.backdrop-backup-*"))
    assert len(backups) == 1 and backups[0].read_bytes() == before["basic/scenes/Main_Show.json"]
    args.uninstall = True
    cli.uninstall(args)
    after = {k: v for k, v in _snapshot(config).items() if ".backdrop-backup-" not in k}
    assert after == before and not args.state.exists()


def test_uninstall_after_obs_rewrote_the_file_removes_only_our_entry(tmp_path, monkeypatch):
    env, config = _tree(tmp_path, "windows", 30)
    monkeypatch.setattr(cli.sys, "platform", "win32")
    args = _install(tmp_path, config, monkeypatch)
    collection = config / "basic" / "scenes" / "Main_Show.json"
    doc = json.loads(collection.read_text(encoding="utf-8"))
    doc["sources"][0]["settings"]["label"] = "changed in OBS"  # OBS ran and saved since
    collection.write_text(json.dumps(doc, indent=4), encoding="utf-8")
    ini = config / "global.ini"
    ini.write_bytes(ini.read_bytes() + b"[Extra]\r\nKey=1\r\n")
    cli.uninstall(type("A", (), {"state": args.state, "dry_run": False})())
    doc = json.loads(collection.read_text(encoding="utf-8"))
    assert [s["path"] for s in doc["modules"]["scripts-tool"]] == ["/other/script.lua"]
    assert doc["sources"][0]["settings"]["label"] == "changed in OBS"
    assert ini_get(ini.read_bytes(), "Python", "Path64bit") is None and b"[Extra]\r\nKey=1" in ini.read_bytes()


def test_uninstall_gives_audio_kept_in_sync_its_users_offset_back(tmp_path, monkeypatch):
    """OBS saved a microphone at base + video delay (Keep this audio in sync); uninstall puts the base back
    in the collections it touched, and leaves an offset the user changed since."""
    env, config = _tree(tmp_path, "linux", 30)
    args = _install(tmp_path, config, monkeypatch)
    collection = config / "basic" / "scenes" / "Main_Show.json"
    doc = json.loads(collection.read_text(encoding="utf-8"))
    ms = 1_000_000
    doc["sources"] += [{"name": "Mic", "uuid": "u-mic", "id": "pulse_input_capture", "sync": 87 * ms},
                       {"name": "Desk", "uuid": "u-desk", "id": "pulse_input_capture", "sync": 300 * ms}]
    doc["sources"][0]["filters"] = [
        {"id": "backdrop_filter", "name": "Backdrop", "settings": {
            "audio_sync_source": "u-mic", "audio_sync_managed": "u-mic", "audio_sync_base_ns": 20 * ms,
            "audio_sync_set_ns": 87 * ms}},
        {"id": "backdrop_filter", "name": "Backdrop 2", "settings": {  # by name (OBS 29); changed by hand since
            "audio_sync_managed": "Desk", "audio_sync_base_ns": 0, "audio_sync_set_ns": 67 * ms}}]
    collection.write_text(json.dumps(doc, indent=4), encoding="utf-8")
    before = collection.read_bytes()
    cli.uninstall(type("A", (), {"state": args.state, "dry_run": False})())
    doc = json.loads(collection.read_text(encoding="utf-8"))
    sync = {s["name"]: s.get("sync") for s in doc["sources"]}
    assert sync["Mic"] == 20 * ms and sync["Desk"] == 300 * ms
    assert all("audio_sync_managed" not in f["settings"] for f in doc["sources"][0]["filters"])
    assert doc["sources"][0]["filters"][0]["settings"]["audio_sync_source"] == "u-mic"  # the choice stays
    assert any(p.read_bytes() == before for p in collection.parent.glob("Main_Show.json.backdrop-backup-*"))


def test_dry_run_touches_nothing(tmp_path, monkeypatch, capsys):
    env, config = _tree(tmp_path, "linux", 32)
    before = _snapshot(config)
    args = _install(tmp_path, config, monkeypatch, dry_run=True)
    assert _snapshot(config) == before and not args.state.exists()
    assert "would add backdrop_obs.py to scene collection Main_Show" in capsys.readouterr().out


def test_refuses_while_obs_runs(tmp_path, monkeypatch):
    env, config = _tree(tmp_path, "linux", 29)
    before = _snapshot(config)
    monkeypatch.setattr(cli, "obs_running", lambda: True)
    args = _args(tmp_path, config)
    with pytest.raises(cli.InstallError, match="OBS is running"):
        cli.wire_obs(cli.choose_install(args), None, args)
    assert _snapshot(config) == before


def test_a_crash_in_the_middle_of_a_write_leaves_the_original(tmp_path, monkeypatch):
    env, config = _tree(tmp_path, "linux", 29)
    before = _snapshot(config)

    def crash(src, dst):
        raise OSError("power cut")

    monkeypatch.setattr(config_files.os, "replace", crash)
    with pytest.raises(OSError, match="power cut"):
        _install(tmp_path, config, monkeypatch)
    after = {k: v for k, v in _snapshot(config).items() if ".backdrop-backup-" not in k}
    assert after == before  # no half-written file, no temp file left behind


def test_never_started_obs_gets_a_clear_instruction(tmp_path, capsys):
    args = _args(tmp_path, tmp_path / "nothing" / "obs-studio")
    cli.wire_obs(cli.choose_install(args), None, args)
    assert "Start OBS once and close it" in capsys.readouterr().out


def test_an_environment_built_from_other_dependencies_is_replaced(tmp_path, monkeypatch):
    venv = tmp_path / "venv"
    vpy = cli.venv_python(venv)  # bin/python, or Scripts\python.exe on Windows
    vpy.parent.mkdir(parents=True)
    vpy.write_text("", encoding="utf-8")
    (venv / cli.DEPS_MARKER).write_text("from an older release\n", encoding="utf-8")
    (vpy.parent / "old-package").write_text("", encoding="utf-8")
    made = []

    def run(cmd, what, capture=False):
        made.append(cmd)
        vpy.parent.mkdir(parents=True, exist_ok=True)
        vpy.write_text("", encoding="utf-8")

    monkeypatch.setattr(cli, "run", run)
    monkeypatch.setattr(cli, "ensure_venv_module", lambda python: None)
    python = Path(sys.executable)
    target = support.Target("linux", "x86_64", "3.11")
    cli.make_venv(python, venv, target)
    assert made and made[0][1:3] == ["-m", "venv"]  # rebuilt from scratch
    assert not (vpy.parent / "old-package").exists()
    assert (venv / cli.DEPS_MARKER).read_text(encoding="utf-8").strip() == cli.deps_fingerprint(python, target)
    made.clear()
    cli.make_venv(python, venv, target)  # same dependencies: kept as it is
    assert made == []


def _c_unescape(raw: bytes) -> bytes:
    """libobs/util/config-file.c `unescape` (OBS 29.0.0-32.2.2), ported pointer for pointer."""
    buf, read, write = bytearray(raw) + b"\0", 0, 0
    while buf[read]:
        cur = buf[read]
        if cur == ord("\\"):
            nxt = buf[read + 1]
            if nxt == ord("\\"):
                read += 1
            elif nxt == ord("r"):
                cur, read = ord("\r"), read + 1
            elif nxt == ord("n"):
                cur, read = ord("\n"), read + 1
        buf[write] = cur
        read, write = read + 1, write + 1
    return bytes(buf[:write])


def _libobs_config_get(path: Path, section: str, key: str) -> str | None:
    """The value as the real libobs (Debian's OBS 29.0.2) reads it: config_open + config_get_string."""
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("obs")
    if not name:
        pytest.skip("libobs not installed")
    lib = ctypes.CDLL(name)
    lib.config_open.argtypes = [ctypes.POINTER(ctypes.c_void_p), ctypes.c_char_p, ctypes.c_int]
    lib.config_get_string.restype = ctypes.c_char_p
    lib.config_get_string.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_char_p]
    lib.config_close.argtypes = [ctypes.c_void_p]
    cfg = ctypes.c_void_p()
    assert lib.config_open(ctypes.byref(cfg), str(path).encode(), 0) == 0  # CONFIG_OPEN_EXISTING, CONFIG_SUCCESS
    try:
        value = lib.config_get_string(cfg, section.encode(), key.encode())
        return None if value is None else value.decode("utf-8")
    finally:
        lib.config_close(cfg)


WINDOWS_HOMES = [
    "C:\\Users\\nick\\AppData\\Local\\Programs\\Python\\Python312",
    "C:\\Users\\rosa\\new\\Python311",
    "C:\\Users\\Ren\u00e9e M\u00fcller\\\u30d1\u30a4\u30bd\u30f3\\Python312",
    "\\\\server\\share\\Python312",
    "/Users/nina/Library/Frameworks",
]


LIBOBS = pytest.mark.only_on("linux", reason="reads the file back with Debian's libobs (config_open), which "
                             "tests/run installs")


@pytest.mark.parametrize("home", WINDOWS_HOMES)
@LIBOBS
def test_python_folder_round_trips_through_obs_ini_rules(tmp_path, home):
    env, config = _tree(tmp_path, "windows", 31)
    install = find_obs(Path(env["HOME"]), "win32", env)[0]
    ch = next(c for c in wiring.plan_install(install, SCRIPT, Path(home)) if c.path.name == "user.ini")
    line = next(raw for raw in ch.after.split(b"\r\n") if raw.startswith(b"Path64bit="))
    assert _c_unescape(line.removeprefix(b"Path64bit=")).decode("utf-8") == str(Path(home))
    ch.path.write_bytes(ch.after)
    assert _libobs_config_get(ch.path, "Python", "Path64bit") == str(Path(home))
    assert ini_get(ch.after, "Python", "Path64bit") == str(Path(home))


@LIBOBS
def test_uninstall_puts_back_the_users_own_python_folder(tmp_path, monkeypatch):
    env, config = _tree(tmp_path, "windows", 30)
    ini = config / "global.ini"
    ini.write_bytes(ini.read_bytes() + b"[Python]\r\nPath64bit=C:\\\\Users\\\\nick\\\\Python310\r\n")
    assert ini_get(ini.read_bytes(), "Python", "Path64bit") == "C:\\Users\\nick\\Python310"
    monkeypatch.setattr(cli.sys, "platform", "win32")
    args = _install(tmp_path, config, monkeypatch)
    assert ini_get(ini.read_bytes(), "Python", "Path64bit") == "/py/home"
    ini.write_bytes(ini.read_bytes() + b"[Extra]\r\nKey=1\r\n")  # OBS saved the file since
    _install(tmp_path, config, monkeypatch)  # a second install must not forget the user's value
    cli.uninstall(type("A", (), {"state": args.state, "dry_run": False})())
    assert ini_get(ini.read_bytes(), "Python", "Path64bit") == "C:\\Users\\nick\\Python310"
    assert _libobs_config_get(ini, "Python", "Path64bit") == "C:\\Users\\nick\\Python310"
