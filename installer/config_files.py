"""Editing OBS's own files without disturbing anything else in them.

INI edits change one line (or add one) and keep every other byte: comments, key order, the
encoding's BOM and the line endings. Writes are atomic (temp file in the same folder, fsync,
rename), and every file is backed up before its first change.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import time
from pathlib import Path

BOM = b"\xef\xbb\xbf"


def atomic_write(path: Path, data: bytes) -> None:
    """Replace `path` with `data` so that a crash leaves either the old or the new file, never half."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def backup(path: Path) -> Path:
    """Copy `path` next to itself as <name>.backdrop-backup-<time> (kept; the user can restore it)."""
    target = path.with_name(f"{path.name}.backdrop-backup-{time.strftime('%Y%m%d-%H%M%S')}")
    n = 1
    while target.exists():
        target = path.with_name(f"{path.name}.backdrop-backup-{time.strftime('%Y%m%d-%H%M%S')}-{n}")
        n += 1
    shutil.copy2(path, target)
    return target


def _split(data: bytes) -> tuple[bytes, list[bytes], bytes]:
    """(BOM, lines without their endings, the newline style)."""
    bom = BOM if data.startswith(BOM) else b""
    body = data[len(bom):]
    newline = b"\r\n" if b"\r\n" in body else b"\n"
    return bom, body.split(newline), newline


def obs_escape(value: str) -> str:
    """A value as OBS's own writer stores it (libobs/util/config-file.c, config_save, tags 29.0.0-32.2.2)."""
    return value.replace("\\", "\\\\").replace("\r", "\\r").replace("\n", "\\n")


def obs_unescape(value: str) -> str:
    """A stored value as OBS reads it (config-file.c, `unescape`): \\ \\n \\r are escapes, other backslashes stay."""
    out, i = [], 0
    while i < len(value):
        ch, nxt = value[i], value[i + 1:i + 2]
        if ch == "\\" and nxt in ("\\", "n", "r"):
            out.append({"\\": "\\", "n": "\n", "r": "\r"}[nxt])
            i += 2
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def ini_get(data: bytes, section: str, key: str) -> str | None:
    """The value as OBS would read it (unescaped)."""
    _, lines, _ = _split(data)
    current = None
    for line in lines:
        text = line.decode("utf-8", "replace").strip()
        if text.startswith("[") and text.endswith("]"):
            current = text[1:-1]
        elif current == section and "=" in text and text.split("=", 1)[0].strip() == key:
            return obs_unescape(text.split("=", 1)[1].strip())
    return None


def ini_set(data: bytes, section: str, key: str, value: str | None) -> bytes:
    """Set (or, with value None, remove) one key, escaped as OBS writes it; every other byte stays."""
    bom, lines, nl = _split(data)
    enc = key.encode("utf-8")
    value = None if value is None else obs_escape(value)
    out: list[bytes] = []
    current, in_section, done, section_end = None, False, False, None
    for line in lines:
        stripped = line.strip()
        if stripped.startswith(b"[") and stripped.endswith(b"]"):
            if in_section and not done:
                section_end = len(out)
            current = stripped[1:-1].decode("utf-8", "replace")
            in_section = current == section
        elif in_section and not done and b"=" in stripped and stripped.split(b"=", 1)[0].strip() == enc:
            done = True
            if value is not None:
                out.append(enc + b"=" + value.encode("utf-8"))
            continue
        out.append(line)
    if done or value is None:
        return bom + nl.join(out)
    entry = enc + b"=" + value.encode("utf-8")
    if in_section:  # the section is the last one: append before trailing blank lines
        at = len(out)
        while at > 0 and out[at - 1].strip() == b"":
            at -= 1
        out.insert(at, entry)
    elif section_end is not None:
        at = section_end
        while at > 0 and out[at - 1].strip() == b"":
            at -= 1
        out.insert(at, entry)
    else:
        if out and out[-1].strip() != b"":
            out.append(b"")
        out += [f"[{section}]".encode(), entry, b""]
    return bom + nl.join(out)


def collection_scripts(data: bytes) -> list[str]:
    """Paths of the scripts a scene collection loads (modules.scripts-tool)."""
    doc = json.loads(data.decode("utf-8-sig"))
    return [s.get("path", "") for s in doc.get("modules", {}).get("scripts-tool", [])]


def same_path(a: str, b: str) -> bool:
    return os.path.normcase(os.path.normpath(a)) == os.path.normcase(os.path.normpath(b))


def collection_with_script(data: bytes, script: str, present: bool) -> bytes:
    """The collection with `script` added to (or removed from) its scripts-tool list.

    OBS rewrites collections itself on every save, so a JSON round trip is what OBS would do; the
    indentation style of the file is kept.
    """
    text = data.decode("utf-8-sig")
    doc = json.loads(text)
    scripts = doc.setdefault("modules", {}).setdefault("scripts-tool", [])
    has = [s for s in scripts if same_path(s.get("path", ""), script)]
    if present and not has:
        scripts.append({"path": script, "settings": {}})
    elif not present and has:
        doc["modules"]["scripts-tool"] = [s for s in scripts if s not in has]
    else:
        return data
    m = re.search(r"\n( +)\"", text)
    indent = len(m.group(1)) if m else 4
    out = json.dumps(doc, indent=indent, ensure_ascii=False).encode("utf-8")
    return (BOM if data.startswith(BOM) else b"") + out


BACKDROP_FILTER = "backdrop_filter"
AUDIO_MANAGED, AUDIO_BASE, AUDIO_SET = "audio_sync_managed", "audio_sync_base_ns", "audio_sync_set_ns"


def collection_with_audio_bases(data: bytes) -> tuple[bytes, list[str]]:
    """The collection with every audio source a Backdrop filter keeps in sync given its user's own offset
    back, and those filters' record of it dropped: (new bytes, names of the sources given back).

    A Backdrop filter that keeps an audio source in sync remembers in its settings the source (UUID, or
    name on OBS 29: obs_script/audio_follow.py), the user's own offset and the offset Backdrop set; OBS
    saved the source with the latter (its `sync`, nanoseconds). Only a source still at the offset Backdrop
    set gets the base back: one the user changed since keeps the user's value.
    """
    text = data.decode("utf-8-sig")
    doc = json.loads(text)
    sources = doc.get("sources", [])
    restored: list[str] = []
    changed = False
    for holder in sources:
        for filt in holder.get("filters") or []:
            settings = filt.get("settings") or {}
            key = settings.get(AUDIO_MANAGED)
            if filt.get("id") != BACKDROP_FILTER or not key:
                continue
            for audio in sources:
                if key in (audio.get("uuid"), audio.get("name")) and audio.get("sync", 0) == settings.get(AUDIO_SET, 0):
                    audio["sync"] = settings.get(AUDIO_BASE, 0)
                    restored.append(audio.get("name", key))
            for k in (AUDIO_MANAGED, AUDIO_BASE, AUDIO_SET):
                settings.pop(k, None)
            changed = True
    if not changed:
        return data, []
    m = re.search(r"\n( +)\"", text)
    indent = len(m.group(1)) if m else 4
    out = json.dumps(doc, indent=indent, ensure_ascii=False).encode("utf-8")
    return (BOM if data.startswith(BOM) else b"") + out, sorted(set(restored))
