"""Keep this audio in sync, in real OBS (Xvfb, obs-websocket): a media source playing a WAV the test writes
is the microphone; its Sync Offset, read with obs-websocket's GetInputAudioSyncOffset, must be the user's own
offset plus the video delay the filter applies (its status record: frames delayed, and the frame ring that
holds them), follow a delay change, come back on unchoose and removal, survive a restart once, and take a
hand edit as the new base."""

from __future__ import annotations

import json
import math
import re
import struct
import uuid
import wave
from pathlib import Path

import pytest

from installer.fresh_obs import MIXER_HIDDEN
from tests.obs_harness import PHOTO, SCRIPT, ObsInstance, filter_entry, leak_count, pattern_settings, scene_collection

pytestmark = pytest.mark.obs

MIC = "Mic"
BASE_MS = 20  # the user's own offset, before Backdrop
ENV = {"BACKDROP_STATUS_LOG_S": "0.5"}


def _write_wav(path: Path, seconds: float = 2.0, rate: int = 48000) -> Path:
    """A 440 Hz tone, 16-bit mono: something for OBS's audio path to carry."""
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(b"".join(struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * i / rate)))
                               for i in range(int(seconds * rate))))
    return path


def _collection(wav: Path, filters: list[dict], cameras: tuple[str, ...] = ("Camera",)) -> dict:
    """The harness's collection (the camera with `filters`) plus MIC: a looping media source playing `wav`,
    with the user's own offset BASE_MS, out of the mixer (see MIXER_HIDDEN)."""
    collection = scene_collection("backdrop_test", PHOTO, filters, [SCRIPT], list(cameras))
    mic_uuid = str(uuid.uuid4())
    collection["sources"].append({
        "id": "ffmpeg_source", "versioned_id": "ffmpeg_source", "name": MIC, "uuid": mic_uuid, "enabled": True,
        "settings": {"local_file": str(wav), "is_local_file": True, "looping": True, "close_when_inactive": False},
        "filters": [], "mixers": 255, "flags": 0, "volume": 1.0, "sync": BASE_MS * 1_000_000, "hotkeys": {},
        "private_settings": MIXER_HIDDEN})
    scene = collection["sources"][0]
    items = scene["settings"]["items"]
    items.append(dict(items[0], name=MIC, source_uuid=mic_uuid, id=len(items) + 1))
    scene["settings"]["id_counter"] = len(items)
    return collection


def _mic_key(inst: ObsInstance) -> str:
    """What the dialog's list gives for MIC: its UUID where OBS has them (30.0 on), else its name."""
    for item in inst.call("GetInputList")["inputs"]:
        if item["inputName"] == MIC:
            return item.get("inputUuid") or MIC
    raise AssertionError(f"no input {MIC}")


def _offset_ms(inst: ObsInstance, name: str = MIC) -> int:
    return inst.call("GetInputAudioSyncOffset", {"inputName": name})["inputAudioSyncOffset"]


def _frame_ms(inst: ObsInstance) -> float:
    video = inst.call("GetVideoSettings")
    return 1000.0 * video["fpsDenominator"] / video["fpsNumerator"]


def _in_sync(inst: ObsInstance, base_ms: int, min_frames: int = 1, name: str = MIC) -> dict:
    """Wait until MIC's offset is base + the delay the filter applies, by the status record (frames
    delayed, held by the frame ring, and the filter's own part of the offset) and by obs-websocket;
    returns that record. All in one record: a delay that wavers between two frame counts on a loaded
    machine may match, for a moment, an offset another filter set before it let go."""
    frame_ms = _frame_ms(inst)

    def holds(r: dict) -> bool:
        frames, audio = r.get("video_delay_frames"), r.get("audio_sync")
        if not frames or frames < min_frames or not audio:
            return False
        want = base_ms + round(frames * frame_ms)
        return audio["offset_ms"] == want and audio["delay_ms"] == want - base_ms and _offset_ms(inst, name) == want

    record = inst.wait_record(holds, f"{name}'s offset = {base_ms} ms + the video delay", timeout=60)
    assert record["video_delay_frames"] < record["ring_frames"], record  # the ring holds the delayed frames
    assert record["audio_sync"]["source"] == name
    return record


def _clean_exit(inst: ObsInstance, baseline_leaks: int) -> None:
    """OBS exited with code 0 (stop() asserts it), with no more leaks than OBS alone and no Python error."""
    inst.stop()
    log = inst.log_text()
    assert leak_count(log) == baseline_leaks, f"leaks {leak_count(log)} vs {baseline_leaks} without Backdrop"
    assert "Traceback" not in log, log[log.find("Traceback") - 200:][:2000]
    failures = [line for line in log.splitlines() if "[backdrop]" in line and "failed" in line]
    assert failures == [], failures


def _restored(inst: ObsInstance, base_ms: int) -> None:
    inst.wait_for(lambda: _offset_ms(inst) == base_ms, f"{MIC}'s offset back to {base_ms} ms", timeout=20)
    inst.wait_record(lambda r: r.get("audio_sync") is None, "no audio source kept in sync", timeout=20)


def test_the_chosen_audio_follows_the_video_delay_and_the_users_offset_is_kept(tmp_path, obs_baseline_leaks):
    wav = _write_wav(tmp_path / "mic.wav")
    inst = ObsInstance(collection=_collection(wav, [filter_entry("Backdrop", pattern_settings("split"))]), env=ENV)
    inst.start()
    try:
        inst.wait_masks(3)
        assert _offset_ms(inst) == BASE_MS  # nothing chosen: nothing touched
        key = _mic_key(inst)
        inst.set_filter({"audio_sync_source": key})
        record = _in_sync(inst, BASE_MS)
        status = inst.wait_status(r"audio Mic delayed to match \(\+\d+ ms\)")
        assert f"(+{record['audio_sync']['delay_ms']:g} ms)" in status

        # A longer delay (masks 0.1 s late): the offset follows, in one step per change.
        inst.set_filter({"model": "test_slow"})
        slow = _in_sync(inst, BASE_MS, min_frames=record["video_delay_frames"] + 1)
        assert slow["video_delay_frames"] > record["video_delay_frames"]
        inst.set_filter({"model": "test_split"})

        # Unchosen: the user's own offset comes back.
        inst.set_filter({"audio_sync_source": ""})
        _restored(inst, BASE_MS)

        # A hand edit while managed becomes the new base.
        inst.set_filter({"audio_sync_source": key})
        _in_sync(inst, BASE_MS)
        inst.call("SetInputAudioSyncOffset", {"inputName": MIC, "inputAudioSyncOffset": 200})
        _in_sync(inst, 200)

        # Removing the filter gives the (new) base back.
        inst.call("RemoveSourceFilter", {"sourceName": "Camera", "filterName": "Backdrop"})
        inst.wait_for(lambda: _offset_ms(inst) == 200, f"{MIC}'s offset back to 200 ms after removal", timeout=20)
    finally:
        inst.stop(check=False)
    _clean_exit(inst, obs_baseline_leaks())


def test_after_a_restart_the_delay_is_added_once(tmp_path, obs_baseline_leaks):
    wav = _write_wav(tmp_path / "mic.wav")
    inst = ObsInstance(collection=_collection(wav, [filter_entry("Backdrop", pattern_settings("split"))]), env=ENV)
    inst.start()
    try:
        inst.wait_masks(3)
        inst.set_filter({"audio_sync_source": _mic_key(inst)})
        first = _in_sync(inst, BASE_MS)
    finally:
        inst.stop(check=False)
    _clean_exit(inst, obs_baseline_leaks())
    added = first["audio_sync"]["delay_ms"]
    saved = json.loads(inst.collection_path().read_text())
    mic = next(s for s in saved["sources"] if s["name"] == MIC)
    # OBS saves the collection before scripts unload: base + delay, which the next start must recognise.
    assert mic["sync"] == (BASE_MS + added) * 1_000_000, mic["sync"]
    camera = next(s for s in saved["sources"] if s["name"] == "Camera")
    assert camera["filters"][0]["settings"]["audio_sync_base_ns"] == BASE_MS * 1_000_000

    inst.start()
    try:
        inst.wait_log("filter 'Backdrop' created", count=2)
        again = _in_sync(inst, BASE_MS)
        inst.rendered_frames(30)  # a second more: nothing stacks later either
        assert _offset_ms(inst) == BASE_MS + again["audio_sync"]["delay_ms"]
        # Never base + 2 x delay on the way: every offset Backdrop set since the restart (none, when the
        # delay is the one saved: the offset found is recognised as Backdrop's own and left alone).
        second_run = inst.log_text().split("filter 'Backdrop' created")[-1]
        set_to = [float(ms) for ms in re.findall(r"audio 'Mic' sync offset \S+ -> (\S+) ms", second_run)]
        assert all(ms <= BASE_MS + again["audio_sync"]["delay_ms"] for ms in set_to), set_to
        # Turning Match video off gives the user's offset back.
        inst.set_filter({"match_video_to_mask": False})
        inst.wait_for(lambda: _offset_ms(inst) == BASE_MS, f"{MIC}'s offset back to {BASE_MS} ms", timeout=20)
    finally:
        inst.stop(check=False)
    _clean_exit(inst, obs_baseline_leaks())


def test_two_filters_on_one_audio_source_the_larger_delay_wins(tmp_path, obs_baseline_leaks):
    wav = _write_wav(tmp_path / "mic.wav")
    collection = _collection(wav, [filter_entry("Backdrop", pattern_settings("split"))], ("Camera", "Camera 2"))
    inst = ObsInstance(collection=collection, env=ENV)
    inst.start()
    try:
        inst.wait_masks(3)
        key = _mic_key(inst)
        inst.set_filter({"audio_sync_source": key})
        _in_sync(inst, BASE_MS)
        # A second camera's Backdrop, with masks 0.1 s late, naming the same audio source.
        inst.add_filter("Slow", {**pattern_settings("slow"), "audio_sync_source": key}, source="Camera 2")
        frame_ms = _frame_ms(inst)

        def larger_wins(_r: dict) -> bool:
            fast, slow = inst.status_record("Backdrop"), inst.status_record("Slow")
            delays = [r.get("video_delay_frames") or 0 for r in (fast, slow)]
            want = BASE_MS + round(max(delays) * frame_ms)
            return delays[1] > delays[0] and _offset_ms(inst) == want and all(
                (r.get("audio_sync") or {}).get("offset_ms") == want for r in (fast, slow))

        inst.wait_record(larger_wins, "the offset = base + the larger of the two delays", timeout=60, name="Slow")
        # Removing the slower filter leaves the other's delay.
        inst.call("RemoveSourceFilter", {"sourceName": "Camera 2", "filterName": "Slow"})
        _in_sync(inst, BASE_MS)
        # Disabling the last one gives the user's offset back.
        inst.call("SetSourceFilterEnabled", {"sourceName": "Camera", "filterName": "Backdrop", "filterEnabled": False})
        inst.wait_for(lambda: _offset_ms(inst) == BASE_MS, f"{MIC}'s offset back to {BASE_MS} ms", timeout=20)
    finally:
        inst.stop(check=False)
    _clean_exit(inst, obs_baseline_leaks())


def test_a_renamed_audio_source_stays_in_sync_where_obs_has_uuids(tmp_path, obs_baseline_leaks):
    wav = _write_wav(tmp_path / "mic.wav")
    inst = ObsInstance(collection=_collection(wav, [filter_entry("Backdrop", pattern_settings("split"))]), env=ENV)
    inst.start()
    try:
        if inst.obs_version() < (30,):
            pytest.skip("OBS 29 has no source UUIDs: a source is remembered by name there")
        inst.wait_masks(3)
        inst.set_filter({"audio_sync_source": _mic_key(inst)})
        _in_sync(inst, BASE_MS)
        inst.call("SetInputName", {"inputName": MIC, "newInputName": "Headset"})
        inst.call("SetInputAudioSyncOffset", {"inputName": "Headset", "inputAudioSyncOffset": 150})
        _in_sync(inst, 150, name="Headset")  # still managed: the hand edit became its base
        inst.set_filter({"audio_sync_source": ""})
        inst.wait_for(lambda: _offset_ms(inst, "Headset") == 150, "Headset's offset back to 150 ms", timeout=20)
    finally:
        inst.stop(check=False)
    _clean_exit(inst, obs_baseline_leaks())
