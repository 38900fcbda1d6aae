"""What a listener hears when Backdrop changes a microphone's Sync Offset: OBS's mixed audio output,
recorded sample by sample while the offset changes, searched for gaps and jumps.

    .venv/bin/python tools/measure/audio_sync_glitch.py [--seconds 3]

A script, not a test: it prints what it found. OBS plays a continuous 440 Hz tone (a 40 s WAV written
here, so the media source never loops during the run) through a media source "Mic", with the user's own
offset 20 ms; tools/measure/backdrop_audio_tap.py writes OBS's audio output (track 1) to a file. Phases,
`--seconds` each: nothing chosen (the control); Mic chosen in Keep this audio in sync (the offset rises
by the video delay); masks 0.1 s late (it rises again); Mic unchosen (it falls back to 20 ms). Every
offset change seen (obs-websocket, polled every 20 ms) is listed with the glitches nearest to it: a gap
is a run of silence longer than 1 ms, a jump a step between samples larger than the tone can make.
"""

from __future__ import annotations

import argparse
import struct
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from installer.fresh_obs import MIXER_HIDDEN  # noqa: E402
from tests.obs.test_obs_audio_sync import MIC, _mic_key, _offset_ms, _write_wav  # noqa: E402
from tests.obs_harness import PHOTO, SCRIPT, ObsInstance, filter_entry, pattern_settings, scene_collection  # noqa: E402

TAP = Path(__file__).resolve().parent / "backdrop_audio_tap.py"
RATE = 48000
MIC_UUID = "a0000000-0000-4000-8000-0000000000a1"


def _collection(wav: Path) -> dict:
    collection = scene_collection("backdrop_test", PHOTO, [filter_entry("Backdrop", pattern_settings("split"))],
                                  [SCRIPT, TAP])
    collection["sources"].append({
        "id": "ffmpeg_source", "versioned_id": "ffmpeg_source", "name": MIC, "uuid": MIC_UUID,
        "enabled": True, "settings": {"local_file": str(wav), "is_local_file": True, "looping": False,
                                      "close_when_inactive": False},
        "filters": [], "mixers": 255, "flags": 0, "volume": 1.0, "sync": 20_000_000, "hotkeys": {},
        "private_settings": MIXER_HIDDEN})
    items = collection["sources"][0]["settings"]["items"]
    items.append(dict(items[0], name=MIC, source_uuid=MIC_UUID, id=2))
    return collection


def _read_tap(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """(start timestamp ns of each sample block, samples) in output order."""
    raw = path.read_bytes()
    stamps, blocks, at = [], [], 0
    while at + 12 <= len(raw):
        ts, frames = struct.unpack_from("<QI", raw, at)
        at += 12
        if at + frames * 4 > len(raw):
            break
        blocks.append(np.frombuffer(raw, np.float32, frames, at))
        stamps += [ts + i * 1_000_000_000 // RATE for i in range(frames)]
        at += frames * 4
    return np.array(stamps, np.int64), np.concatenate(blocks) if blocks else np.zeros(0, np.float32)


def _glitches(stamps: np.ndarray, x: np.ndarray) -> list[tuple[int, str]]:
    """(timestamp ns, what) of every gap of silence over 1 ms and every jump the tone cannot make."""
    amp = float(np.percentile(np.abs(x), 99)) or 1.0
    found: list[tuple[int, str]] = []
    quiet = np.abs(x) < amp * 1e-3
    i = 0
    while i < len(x):
        if quiet[i]:
            j = i
            while j < len(x) and quiet[j]:
                j += 1
            if j - i > RATE // 1000:
                found.append((int(stamps[i]), f"silence {1e3 * (j - i) / RATE:.1f} ms"))
            i = j
        else:
            i += 1
    step = np.abs(np.diff(x))
    limit = 2 * amp * 2 * np.pi * 440 / RATE  # twice the steepest slope of the tone
    for k in np.flatnonzero(step > limit):
        found.append((int(stamps[k]), f"jump {step[k] / amp:.2f} x amplitude"))
    return sorted(found)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="backdrop-audio-"))
    wav = _write_wav(tmp / "tone.wav", seconds=40.0)
    tap = tmp / "tap.bin"
    inst = ObsInstance(collection=_collection(wav), env={"BACKDROP_STATUS_LOG_S": "0.5",
                                                         "BACKDROP_AUDIO_TAP": str(tap)}, scripts=[SCRIPT, TAP])
    changes: list[tuple[int, int, int]] = []  # (monotonic ns, from ms, to ms)

    def watch(seconds: float) -> None:
        last = _offset_ms(inst)
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            now = _offset_ms(inst)
            if now != last:
                changes.append((time.monotonic_ns(), last, now))
                last = now
            time.sleep(0.02)

    inst.start()
    try:
        inst.wait_masks(3)
        start = time.monotonic_ns()
        watch(args.seconds)  # the control: nothing chosen
        key = _mic_key(inst)
        inst.set_filter({"audio_sync_source": key})
        watch(args.seconds)
        inst.set_filter({"model": "test_slow"})
        watch(args.seconds)
        inst.set_filter({"audio_sync_source": ""})
        watch(args.seconds)
        end = time.monotonic_ns()
    finally:
        inst.stop()
    stamps, x = _read_tap(tap)
    keep = (stamps >= start) & (stamps <= end)
    stamps, x = stamps[keep], x[keep]
    found = _glitches(stamps, x)
    print(f"{len(x) / RATE:.1f} s of OBS's audio output, tone amplitude {np.percentile(np.abs(x), 99):.3f}")
    control_end = start + int(args.seconds * 1e9)
    control = [g for g in found if g[0] < control_end - 200_000_000]
    print(f"control ({args.seconds:g} s, no change): {len(control)} glitch(es) {[w for _, w in control]}")
    for t, before, after in changes:
        near = [f"{(ts - t) / 1e6:+.0f} ms: {what}" for ts, what in found if abs(ts - t) < 700_000_000]
        print(f"offset {before} -> {after} ms ({after - before:+d} ms): {near or 'no glitch within 0.7 s'}")
    others = [g for g in found if g[0] >= control_end - 200_000_000
              and all(abs(g[0] - t) >= 700_000_000 for t, _, _ in changes)]
    print(f"glitches away from any change: {len(others)} {[w for _, w in others][:10]}")


if __name__ == "__main__":
    main()
