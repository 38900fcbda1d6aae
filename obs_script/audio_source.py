"""The audio sources the user can keep in sync, through libobs: listing them for the dialog, finding one
by the key the filter's settings keep, reading and setting its sync offset.

The key is the source's UUID where the OBS has them (30.0 on: `obs_source_get_uuid`), so a rename does
not lose the source; on OBS 29 it is the name. A key saved by OBS 29 still finds its source on a newer
OBS (by name).

Where libobs reads the offset: `source_output_audio_data` (libobs/obs-source.c, tags 29.0.2, 30.2.3 and
32.2.2) loads `source->sync_offset` once per audio packet, on the thread that delivers the source's audio,
and `obs_source_set_sync_offset` only emits the source's "audio_sync" signal and stores the new value
(no lock, no wait). Any thread may set it; Backdrop sets it on OBS's UI thread (a queued task,
obs_script/audio_follow.py), where OBS's own Advanced Audio Properties dialog sets it too, and never on
the graphics thread. When the offset changes, the next packet is placed at its new time instead of being
appended (`last_sync_offset != sync_offset` there): a longer offset leaves a gap of silence, a shorter one
overwrites that much audio. That is why the offset changes only when the delay does.
"""

from __future__ import annotations

from .libobs import ENUM_SOURCE, OBS_SOURCE_AUDIO, lib


def has_uuids() -> bool:
    """Whether this OBS names sources by UUID (30.0 on)."""
    return hasattr(lib, "obs_source_get_uuid") and hasattr(lib, "obs_get_source_by_uuid")


def key_of(source: int) -> str:
    """The key a setting keeps for `source`: its UUID, else its name."""
    raw = lib.obs_source_get_uuid(source) if has_uuids() else None
    raw = raw or lib.obs_source_get_name(source)
    return (raw or b"").decode("utf-8", "replace")


def audio_sources() -> list[tuple[str, str]]:
    """(key, name) of every input source with audio, sorted by name: the dialog's list."""
    found: list[tuple[str, str]] = []
    if not lib.obs_initialized():
        return found

    def visit(_param, source) -> bool:
        try:
            if lib.obs_source_get_output_flags(source) & OBS_SOURCE_AUDIO:
                name = (lib.obs_source_get_name(source) or b"").decode("utf-8", "replace")
                found.append((key_of(source), name))
        except Exception:  # noqa: BLE001 - nothing may escape into libobs; the list goes on
            pass
        return True

    lib.obs_enum_sources(ENUM_SOURCE(visit), None)
    return sorted(found, key=lambda item: item[1].lower())


class AudioSource:
    """A reference to one audio source, found by key; release it (a context manager)."""

    def __init__(self, key: str) -> None:
        encoded = key.encode("utf-8")
        source = lib.obs_get_source_by_uuid(encoded) if has_uuids() else None
        self.source: int | None = source or lib.obs_get_source_by_name(encoded) or None

    def __enter__(self) -> AudioSource:
        return self

    def __exit__(self, *_exc) -> None:
        if self.source:
            lib.obs_source_release(self.source)
            self.source = None

    @property
    def name(self) -> str:
        return (lib.obs_source_get_name(self.source) or b"").decode("utf-8", "replace") if self.source else ""

    def offset(self) -> int:
        """Its sync offset, nanoseconds."""
        return int(lib.obs_source_get_sync_offset(self.source)) if self.source else 0

    def set_offset(self, offset: int) -> None:
        if self.source:
            lib.obs_source_set_sync_offset(self.source, offset)
