"""Masks that now and then come later than the frame ring waits, with the default preset, in real
OBS 29: the frames that go without a mask of their own meanwhile are shown with the newest mask
carried to them by motion, not with an older one held; while every frame has its mask, nothing is
drawn or read back for carrying (the thumbnails only exist around a miss)."""

from __future__ import annotations

import pytest

from tests.obs_harness import ObsInstance, filter_entry, pattern_settings

pytestmark = pytest.mark.obs

COUNTERS = ("frames", "frames_unsent", "frames_carried", "frames_held", "unsent_held", "masks_late")


def _since(first: dict, last: dict) -> dict:
    return {k: last[k] - first[k] for k in COUNTERS} | {
        "thumbnails": last["passes"].get("thumbnail_readback", 0) - first["passes"].get("thumbnail_readback", 0)}


def _slow(record: dict) -> bool:
    """The CPU budget, not the video rate, sets the mask rate: the machine is too slow for a mask per
    frame (a 150 ms sleep costs no CPU, so the late masks alone never make it so)."""
    return str(record.get("rate_limit", "")).startswith("CPU budget")


def test_frames_missing_their_mask_behind_a_late_one_are_shown_carried_not_held():
    # One inference in 12 takes 150 ms longer (four and a half frames): the worker is still busy when
    # the next frames come, so they are not sent to it, and its mask comes after its frame was shown.
    # A machine too slow for a mask per frame sends fewer frames, and late masks come rarer: on one
    # that ran inference at 28 ms in OBS, 4 late masks took 40 s. The waits allow for that.
    env = {"BACKDROP_TEST_FAULTS": "late=12@150", "BACKDROP_STATUS_LOG_S": "0.5"}
    with ObsInstance(filters=[filter_entry("Backdrop")], env=env) as inst:
        first = inst.wait_record(lambda r: r.get("state") == "running" and (r["masks_late"] >= 1 or _slow(r)),
                                 "a first mask later than its frame's showing", timeout=180)
        last = inst.wait_record(lambda r: _slow(r) or r["masks_late"] >= first["masks_late"] + 4
                                and r["frames_unsent"] >= first["frames_unsent"] + 8,
                                "four more late masks", timeout=180)
        if _slow(last):
            pytest.skip(f"this machine cannot give every frame its mask ({last['rate_limit']}): with masks "
                        "this slow the video delay grows past the late ones, so none comes late")
    d = _since(first, last)
    print(f"over {d['frames']} frames: {d['masks_late']} masks late, {d['frames_unsent']} frames not sent to the "
          f"worker, {d['frames_carried']} shown carried, {d['frames_held']} held ({d['unsent_held']} of them not "
          f"sent), {d['thumbnails']} thumbnails read back; {last}")
    # The frames that went without a mask of their own are shown carried (held, all of them would be):
    # every one when the machine is idle; on one saturated by other programs (two cores, three OBS at
    # a load of 7 to 11) the motion thread can fall behind, and a carry come after its frame's showing:
    # 0 to 11% of them in ten runs here. At most a quarter.
    assert d["frames_unsent"] >= 8 and 4 * d["unsent_held"] <= d["frames_unsent"], d
    assert d["frames_carried"] >= d["frames_unsent"] // 2, d  # (some are never shown: the delay shrinks past them)
    # Thumbnails only around the misses: a frame missed and the frames back to the newest mask made.
    assert 0 < d["thumbnails"] <= 3 * d["frames_unsent"], d


def test_thumbnails_are_drawn_only_for_frames_that_miss_their_mask():
    """A test mask that costs nothing, so the worker keeps up: a frame misses its mask only when another
    program holds the CPU at that moment. Carrying used to draw and read back a thumbnail every frame
    for two seconds after each such miss; now only for the frame missed and those back to the newest
    mask made."""
    with ObsInstance(filters=[filter_entry("Backdrop", pattern_settings("opaque"))],
                     env={"BACKDROP_STATUS_LOG_S": "0.5"}) as inst:
        first = inst.wait_record(lambda r: r.get("state") == "running" and r["frames_own"] >= 30,
                                 "30 frames shown with their own masks", timeout=60)
        last = inst.wait_record(lambda r: r["frames"] >= first["frames"] + 150, "150 more frames", timeout=60)
    d = _since(first, last)
    print(f"over {d['frames']} frames: {d['frames_unsent']} not sent, {d['thumbnails']} thumbnails read back; {last}")
    assert d["thumbnails"] <= 3 * d["frames_unsent"], d
