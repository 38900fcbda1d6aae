"""One filter's "Keep this audio in sync": the chosen audio source's sync offset follows the video delay
the filter applies (the rule: obs_script/audio_sync.py; libobs: obs_script/audio_source.py).

Threads. The graphics thread only counts frames (`due`, O(1) per frame) and every POLL_TICKS frames
queues one check to OBS's UI thread, never two at once. The check (`sync`) runs on the UI thread: it
reads the filter's settings, the source's offset and the delay, sets the offset only when the target
differs from it (so nothing happens while nothing changes, and the offset never hops), and writes what
a restart needs into the filter's settings. Removal (`filter_remove`), destruction and the script's
unloading give the user's own offset back.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from ..core import process_holder
from . import filter_settings as fs
from .audio_source import AudioSource
from .audio_sync import Ledger, Remembered, SteadyDelay, delay_ns
from .libobs import LOG_INFO, lib, log
from .registration import queue_ui

POLL_TICKS = 15  # frames between checks: half a second at 30 fps; a hand edit is seen within that


def ledger() -> Ledger:
    """The process's one ledger: it outlives script reloads, as the filters do."""
    found = process_holder.get("audio_ledger")
    if found is None:
        found = Ledger()
        process_holder.put("audio_ledger", found)
    return found


def unloaded() -> bool:
    """Whether the script is unloaded (OBS exiting, a reload under way): then nothing is set."""
    return bool(process_holder.get("audio_unloaded"))


def script_loaded() -> None:
    process_holder.put("audio_unloaded", False)


def script_unloaded() -> None:
    """`script_unload`, on OBS's UI thread: every managed source gets its user's offset back. OBS has
    saved the collection already on exit (with base + delay, which the next start recognises)."""
    process_holder.put("audio_unloaded", True)
    for key, base in ledger().release_all().items():
        with AudioSource(key) as audio:
            if audio.source is not None and audio.offset() != base:
                audio.set_offset(base)
                log(LOG_INFO, f"audio '{audio.name}' sync offset back to {base / 1e6:g} ms (script unloaded)")


class AudioFollow:
    """One filter's link to its audio source: the filter calls `tick` (graphics thread), `removed`
    (filter_remove) and `destroyed`; everything else runs on OBS's UI thread."""

    def __init__(self, filter_source: int, filter_name: str, delay_frames: Callable[[], int]) -> None:
        self.filter_source = filter_source
        self.member = id(self)  # this filter, in the ledger
        self.filter_name = filter_name
        self.delay_frames = delay_frames  # the frames the video is shown late now (UI thread)
        self.ticks = 0
        self.pending = False  # a check is queued
        self.gone = False  # removed or destroyed: only the release is left to do
        # The UI thread's; the status reads them.
        self.managed = ""  # the key of the source this filter delays now
        self.name = ""  # its name
        self.offset_ns: int | None = None  # the offset it has from Backdrop now
        self.delay_ns = 0  # this filter's part of it
        self.steady = SteadyDelay()  # the video delay, without the dips that would each be a glitch

    def tick(self, chosen: bool) -> None:
        """The graphics thread, every video_tick: counts, and every POLL_TICKS frames queues one check.
        Only while a source is chosen (with Match video on) or still delayed by this filter: a filter
        without one queues no work at all to OBS's UI thread."""
        self.ticks += 1
        if not (chosen or self.managed) or self.pending or self.gone or self.ticks < POLL_TICKS or unloaded():
            return
        self.ticks, self.pending = 0, True
        self._queue(self.sync)

    def removed(self) -> None:
        """OBS's `filter_remove` (the thread that removes it): the audio source gets its offset back.
        Not once the script is unloaded (OBS exiting: `script_unloaded` gave every offset back): a
        task queued then would hold a reference to the filter through OBS's shutdown (OBS 32.2.2 hung
        once at exit right after such a removal, before the filter was destroyed)."""
        self.gone = True
        if not unloaded():
            self._queue(self.release)

    def destroyed(self) -> None:
        """The filter's `destroy`: a filter destroyed without a removal (its source was deleted) gives
        the offset back too."""
        self.gone = True
        if self.managed and not unloaded():
            queue_ui(lambda: self.release(None))

    def _queue(self, job: Callable[[int], None]) -> None:
        """Run job(the filter's settings) on OBS's UI thread, holding a reference to the filter until
        it ran."""
        source = lib.obs_source_get_ref(self.filter_source)  # NULL once the filter is being destroyed
        if not source:
            self.pending = False
            return

        def run() -> None:
            settings = lib.obs_source_get_settings(source)
            try:
                job(settings)
            finally:
                lib.obs_data_release(settings)
                lib.obs_source_release(source)
        queue_ui(run)

    def sync(self, settings: int) -> None:
        """OBS's UI thread: bring the chosen source's offset to base + this filter's video delay
        (`settings`: the filter's)."""
        self.pending = False
        if unloaded():
            return
        wanted = ""
        enabled = bool(lib.obs_source_enabled(self.filter_source))
        if enabled and not self.gone and lib.obs_data_get_bool(settings, fs.S_MATCH_VIDEO.encode()):
            wanted = (lib.obs_data_get_string(settings, fs.S_AUDIO_SOURCE.encode()) or b"").decode("utf-8", "replace")
        if self.managed and self.managed != wanted:
            self.release(settings)
        if not wanted:
            return
        delay = self.steady.update(delay_ns(self.delay_frames(), lib.obs_get_frame_interval_ns()), time.monotonic())
        with AudioSource(wanted) as audio:
            if audio.source is None:
                return  # not there (deleted, or not created yet): nothing to keep in sync
            current = audio.offset()
            target = ledger().follow(wanted, self.member, delay, current, self._remembered(settings, wanted))
            if target is not None:
                audio.set_offset(target)
                log(LOG_INFO, f"filter '{self.filter_name}': audio '{audio.name}' sync offset {current / 1e6:g} -> "
                              f"{target / 1e6:g} ms (video delay {delay / 1e6:g} ms)")
            self.managed, self.name, self.delay_ns = wanted, audio.name, delay
        self._remember(settings, wanted)

    def release(self, settings: int | None) -> None:
        """OBS's UI thread: this filter no longer delays its source; the base (or another filter's
        larger delay) comes back. `settings`: the filter's, to forget the base in (None: not needed)."""
        key, self.managed, self.offset_ns, self.delay_ns = self.managed, "", None, 0
        self.steady = SteadyDelay()
        if not key or unloaded():
            return
        with AudioSource(key) as audio:
            if audio.source is not None:
                current = audio.offset()
                target = ledger().release(key, self.member, current)
                if target is not None:
                    audio.set_offset(target)
                    log(LOG_INFO, f"filter '{self.filter_name}': audio '{audio.name}' sync offset {current / 1e6:g}"
                                  f" -> {target / 1e6:g} ms (released)")
            else:
                ledger().release(key, self.member, 0)
        if settings:
            lib.obs_data_set_string(settings, fs.S_AUDIO_MANAGED.encode(), b"")
            for k in (fs.S_AUDIO_BASE, fs.S_AUDIO_SET):
                lib.obs_data_unset_user_value(settings, k.encode())

    @staticmethod
    def _remembered(settings: int, key: str) -> Remembered | None:
        if (lib.obs_data_get_string(settings, fs.S_AUDIO_MANAGED.encode()) or b"").decode("utf-8", "replace") != key:
            return None
        return Remembered(lib.obs_data_get_int(settings, fs.S_AUDIO_BASE.encode()),
                          lib.obs_data_get_int(settings, fs.S_AUDIO_SET.encode()))

    def _remember(self, settings: int, key: str) -> None:
        """Keep (source, base, offset set) in the filter's settings, written only when they change."""
        now = ledger().remembered(key)
        if now is None:
            return
        self.offset_ns = now.applied
        if self._remembered(settings, key) != now:
            lib.obs_data_set_string(settings, fs.S_AUDIO_MANAGED.encode(), key.encode("utf-8"))
            lib.obs_data_set_int(settings, fs.S_AUDIO_BASE.encode(), now.base)
            lib.obs_data_set_int(settings, fs.S_AUDIO_SET.encode(), now.applied)
