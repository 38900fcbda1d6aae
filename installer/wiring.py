"""Wiring Backdrop into OBS's configuration, and taking it out again exactly.

Install adds the script to the scene collection(s) and, where OBS has one, sets the Python folder.
Every changed file is backed up first and written atomically; what was written is recorded (with
hashes) in a state file, so uninstall can remove exactly our entries, and restore the original
bytes when OBS has not touched the file since.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from .config_files import (
    atomic_write,
    backup,
    collection_scripts,
    collection_with_audio_bases,
    collection_with_script,
    ini_get,
    ini_set,
    same_path,
)
from .obs_locate import ObsInstall


@dataclass
class Change:
    path: Path
    before: bytes
    after: bytes
    what: str  # for --dry-run and the log: what this change does


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def settings_ini(install: ObsInstall) -> Path:
    """Where [Basic] SceneCollectionFile lives: user.ini from OBS 31, global.ini before."""
    return install.python_ini


def collection_files(install: ObsInstall, all_collections: bool) -> list[Path]:
    scenes = install.config_dir / "basic" / "scenes"
    if all_collections:
        return sorted(p for p in scenes.glob("*.json") if p.is_file())
    ini = settings_ini(install)
    current = ini_get(ini.read_bytes(), "Basic", "SceneCollectionFile") if ini.exists() else None
    if not current:
        return []
    path = scenes / collection_file_name(current)
    return [path] if path.exists() else []


def collection_file_name(setting: str) -> str:
    """The file [Basic] SceneCollectionFile names: OBS up to 30.2 writes its stem ("Untitled"), OBS 31.0
    on its file name ("Untitled.json": `collectionFilePath.filename()` in UI/window-basic-main-scene-
    collections.cpp at 31.0.0, `SceneCollection::getFileName` in frontend/models/SceneCollection.cpp at
    32.2.2); a configuration carried across that upgrade may hold either."""
    return setting if setting.lower().endswith(".json") else f"{setting}.json"


def plan_install(install: ObsInstall, script: Path, python_home: Path | None, all_collections: bool = False
                 ) -> list[Change]:
    changes: list[Change] = []
    if install.has_python_setting and python_home is not None:
        ini = install.python_ini
        before = ini.read_bytes() if ini.exists() else b""
        previous = ini_get(before, "Python", "Path64bit")
        after = ini_set(before, "Python", "Path64bit", str(python_home))
        if after != before:
            was = f" (was {previous}; uninstall puts it back)" if previous else ""
            changes.append(Change(ini, before, after, f"set [Python] Path64bit={python_home} in {ini.name}{was}"))
    for path in collection_files(install, all_collections):
        before = path.read_bytes()
        after = collection_with_script(before, str(script), present=True)
        if after != before:
            changes.append(Change(path, before, after, f"add {script.name} to scene collection {path.stem}"))
    return changes


def apply(changes: list[Change], state_path: Path) -> None:
    """Back up, write atomically, record. A failure leaves the failed file as it was."""
    state = load_state(state_path)
    for ch in changes:
        record = state["files"].get(str(ch.path))
        saved = backup(ch.path) if ch.path.exists() else None
        atomic_write(ch.path, ch.after)
        if record is None:  # the first install is what uninstall goes back to
            record = {"backup": str(saved) if saved else None, "original_sha256": _sha(ch.before)}
        record.update(written_sha256=_sha(ch.after), what=ch.what)
        state["files"][str(ch.path)] = record
        atomic_write_json(state_path, state)


def load_state(state_path: Path) -> dict:
    if state_path.exists():
        return json.loads(state_path.read_text(encoding="utf-8"))
    return {"version": 1, "files": {}, "script": None, "python_home": None}


def record_previous_python_home(state: dict, install: ObsInstall) -> None:
    """Keep the user's own [Python] Path64bit from before the first install, for uninstall to put back."""
    if "previous_python_home" not in state and install.has_python_setting:
        ini = install.python_ini
        state["previous_python_home"] = ini_get(ini.read_bytes(), "Python", "Path64bit") if ini.exists() else None


def atomic_write_json(path: Path, doc: dict) -> None:
    atomic_write(path, (json.dumps(doc, indent=2) + "\n").encode())


def plan_uninstall(state: dict) -> list[Change]:
    """Undo what the state file records: original bytes where the file is as we left it, else our entries."""
    changes = []
    script, home = state.get("script"), state.get("python_home")
    for name, record in state["files"].items():
        path = Path(name)
        if not path.exists():
            continue
        current = path.read_bytes()
        backup_path = Path(record["backup"]) if record.get("backup") else None
        if _sha(current) == record["written_sha256"] and backup_path and backup_path.exists() and \
                _sha(backup_path.read_bytes()) == record["original_sha256"]:
            changes.append(Change(path, current, backup_path.read_bytes(), f"restore {path.name} as it was"))
            continue
        # OBS wrote the file since: remove only our entries, leave the rest as OBS last wrote it.
        restored: list[str] = []
        if path.suffix == ".json" and script:
            after, restored = collection_with_audio_bases(collection_with_script(current, script, present=False))
        elif path.suffix == ".ini" and home and ini_get(current, "Python", "Path64bit") == home:
            after = ini_set(current, "Python", "Path64bit", state.get("previous_python_home"))
        else:
            after = current
        if after != current:
            audio = f" and give {', '.join(restored)} its own sync offset back" if restored else ""
            changes.append(Change(path, current, after, f"remove Backdrop's entry from {path.name}{audio}"))
    return changes


def script_registered(install: ObsInstall, script: Path) -> list[str]:
    """Names of the collections that load `script` (for `doctor`)."""
    return [p.stem for p in collection_files(install, all_collections=True)
            if any(same_path(s, str(script)) for s in collection_scripts(p.read_bytes()))]
