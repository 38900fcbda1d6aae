"""The rule that keeps a chosen audio source in sync with the video Backdrop delays, with no libobs in
sight: whose offset the source had before Backdrop took it over (the user's own, its "base"), what
Backdrop adds to it, and when an offset found on the source is Backdrop's own addition.

One `Ledger` serves the whole process (several filters may name one source): the source gets its base
plus the largest delay of the filters that name it, and the base comes back when the last one lets go.
An offset found on the source that is not the one Backdrop last set was changed by hand (Edit >
Advanced Audio Properties, obs-websocket): it becomes the new base, so nothing the user types is lost
or stacked. After a restart OBS has saved base + delay in the collection; the filter's settings
remember (base, offset last set), and an offset equal to the one last set is recognised as Backdrop's
own: the base is the remembered one, and base + delay is applied once, never base + 2 x delay.

Offsets are nanoseconds, as libobs keeps them (`obs_source_get_sync_offset`).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Managed:
    """One audio source Backdrop manages."""

    base: int  # the user's own offset
    applied: int  # the offset Backdrop last set (or found and accepted as its own)
    delays: dict[int, int] = field(default_factory=dict)  # filter -> the video delay it applies


@dataclass(frozen=True)
class Remembered:
    """What a filter's settings keep across a restart: the base and the offset last set."""

    base: int
    applied: int


class Ledger:
    """Every audio source managed in this process, by key (its UUID, or its name where OBS has no UUIDs)."""

    def __init__(self) -> None:
        self.sources: dict[str, Managed] = {}

    def follow(self, key: str, member: int, delay: int, current: int,
               remembered: Remembered | None = None) -> int | None:
        """Filter `member` delays its video by `delay`; the source's offset is `current`. Returns the
        offset to set, or None when the source has it already (nothing to do: no hop, no glitch)."""
        managed = self.sources.get(key)
        if managed is None:
            own = remembered is not None and current == remembered.applied
            base = remembered.base if own and remembered is not None else current
            managed = self.sources[key] = Managed(base, current)
        elif current != managed.applied:
            managed.base = current  # changed by hand while managed: the user's new offset
        managed.delays[member] = delay
        return self._target(managed, current)

    def release(self, key: str, member: int, current: int) -> int | None:
        """Filter `member` no longer delays this source (unchosen, removed, disabled, Match video off):
        the offset to set (the others' largest delay, or the base when it was the last), or None."""
        managed = self.sources.get(key)
        if managed is None or member not in managed.delays:
            return None
        if current != managed.applied:
            managed.base = current
        del managed.delays[member]
        if not managed.delays:
            del self.sources[key]
            return managed.base if current != managed.base else None
        return self._target(managed, current)

    def remembered(self, key: str) -> Remembered | None:
        """What a filter following `key` writes into its settings, to be recognised after a restart."""
        managed = self.sources.get(key)
        return None if managed is None else Remembered(managed.base, managed.applied)

    def release_all(self) -> dict[str, int]:
        """Every managed source's base (the script is unloaded): key -> the offset to restore."""
        bases = {key: managed.base for key, managed in self.sources.items()}
        self.sources.clear()
        return bases

    @staticmethod
    def _target(managed: Managed, current: int) -> int | None:
        managed.applied = managed.base + max(managed.delays.values())
        return managed.applied if managed.applied != current else None


class SteadyDelay:
    """The delay the audio follows: every change of the offset is audible (a longer offset leaves that
    much silence, a shorter one skips that much sound; docs/measurements.md), so it rises with the video
    delay at once (sound ahead of the picture is what viewers notice: ITU-R BT.1359 puts it at about
    45 ms, against 125 ms of sound late), and falls only once the shorter delay has held HOLD_S: a
    delay that dips for a moment and comes back costs no glitch at all."""

    HOLD_S = 5.0

    def __init__(self) -> None:
        self.value = 0
        self._lower_since: float | None = None

    def update(self, delay: int, now: float) -> int:
        if delay >= self.value:
            self.value, self._lower_since = delay, None
        elif self._lower_since is None:
            self._lower_since = now
        elif now - self._lower_since >= self.HOLD_S:
            self.value, self._lower_since = delay, None
        return self.value


def delay_ns(frames: int, frame_interval_ns: int) -> int:
    """The video delay as an audio offset: whole milliseconds (what OBS's dialog and obs-websocket show),
    so the offset reads exactly as the status line's delay."""
    return round(frames * frame_interval_ns / 1e6) * 1_000_000
