"""The complete filter in real OBS 29: segmentation, each mode against core's CPU reference, presets,
shared sessions, match-video-to-mask, adaptive mask rate, and missing dependencies."""

from __future__ import annotations

import time

import cv2
import numpy as np
import pytest

from core.cpu_frame import full_size, run_frame
from core.mask_source import MaskOptions
from core.segmenter import Segmenter
from core.selfie import SelfiePipeline
from core.tools.composite import alpha_lut, composite, cover
from core.tools.media_io import read_rgb
from tests.obs_harness import PHOTO, ObsInstance, filter_entry, pattern_settings, write_video

pytestmark = pytest.mark.obs



def _cpu_q(rgb: np.ndarray) -> np.ndarray:
    """core's refined mask q for a still frame (temporal filter settled), uint8 at frame size."""
    pipe = SelfiePipeline(Segmenter("selfie_general", "cpu"), MaskOptions())
    for _ in range(5):
        result = run_frame(pipe, rgb)
    return full_size(result, rgb)


def _iou(a, b) -> float:
    return float(np.logical_and(a, b).sum() / np.logical_or(a, b).sum())


def _regions(alpha: np.ndarray, margin: int = 6) -> tuple[np.ndarray, np.ndarray]:
    """(surely person, surely background) by the CPU reference, away from the edge."""
    k = np.ones((2 * margin + 1, 2 * margin + 1), np.uint8)
    inside = cv2.erode((alpha == 255).astype(np.uint8), k) > 0
    outside = cv2.erode((alpha == 0).astype(np.uint8), k) > 0
    return inside, outside


def _shot_when(inst: ObsInstance, done, timeout: float = 15.0) -> np.ndarray:
    """The first screenshot (RGB, int) for which `done` holds, polling until `timeout`; the last one
    otherwise, for the caller's assertion to report."""
    return inst.poll(lambda: inst.screenshot()[:, :, :3].astype(int), done, "the screenshot", timeout, interval=0.2,
                     fail=False)


def _ready(inst: ObsInstance, name: str = "Backdrop", count: int = 1) -> None:
    inst.wait_log(f"engine ready for '{name}'", timeout=60, count=count)
    inst.wait_masks(20, name=name)  # the temporal filter settles on the still picture


@pytest.fixture(scope="module")
def photo_obs():
    """One OBS with the photo and a Backdrop filter at its defaults."""
    inst = ObsInstance(filters=[filter_entry("Backdrop")]).start()
    _ready(inst)
    yield inst
    assert inst.stop() == 0


def test_defaults_give_a_transparent_cutout_matching_the_cpu_reference(photo_obs):
    rgb = read_rgb(PHOTO)
    shot = photo_obs.screenshot()
    alpha_cpu = cv2.LUT(_cpu_q(rgb), alpha_lut())
    assert _iou(shot[:, :, 3] > 127, alpha_cpu > 127) >= 0.97
    inside, outside = _regions(alpha_cpu)
    assert np.abs(shot[inside][:, :3].astype(int) - rgb[inside]).max() <= 2  # the person's pixels untouched


def test_colour_image_and_blur_modes_match_the_cpu_reference(photo_obs, tmp_path):
    rgb = read_rgb(PHOTO)
    q = _cpu_q(rgb)
    inside, outside = _regions(cv2.LUT(q, alpha_lut()))
    photo_obs.set_filter({"mode": "color", "background_color": 0xFF0000FF})  # 0xAABBGGRR: red
    photo_obs.wait_masks(3)
    shot = photo_obs.screenshot()[:, :, :3].astype(int)
    assert np.abs(shot[outside] - [255, 0, 0]).max() <= 2
    assert np.abs(shot[inside] - rgb[inside]).max() <= 2

    yy, xx = np.mgrid[0:300, 0:800]  # a wide picture: "cover" must crop its sides, not squash it
    picture = np.dstack([xx * 255 // 799, yy * 255 // 299, 255 - xx * 255 // 799]).astype(np.uint8)
    cv2.imwrite(str(tmp_path / "wide.png"), cv2.cvtColor(picture, cv2.COLOR_RGB2BGR))
    photo_obs.set_filter({"mode": "image", "background_image": str(tmp_path / "wide.png")})
    photo_obs.wait_masks(3)
    shot = photo_obs.screenshot()[:, :, :3].astype(int)
    expected = cover(picture, rgb.shape[1], rgb.shape[0]).astype(int)
    assert np.abs(shot[outside] - expected[outside]).mean() < 4
    assert np.abs(shot[inside] - rgb[inside]).max() <= 2

    photo_obs.set_filter({"mode": "blur", "blur_strength": 24})
    photo_obs.wait_masks(3)
    shot = photo_obs.screenshot()[:, :, :3].astype(int)
    cpu = composite(rgb, q, "blur", blur_sigma=24).astype(int)
    assert np.abs(shot[outside] - cpu[outside]).mean() < 8  # same blur, GPU vs CPU kernels
    assert np.abs(shot[outside] - rgb[outside]).mean() > 4  # and it is blurred
    assert np.abs(shot[inside] - rgb[inside]).max() <= 2
    photo_obs.set_filter({"mode": "transparent"})


def test_light_wrap_brightens_the_edge_only_and_switches_technique(photo_obs):
    """Light wrap has its own techniques: on, the white background spills onto the person's edge
    band, not onto where they touch the frame's border (the helmet at the bottom: beyond the border
    is nothing, not background); off again, the picture is exactly the colour mode's."""
    rgb = read_rgb(PHOTO)
    inside, outside = _regions(cv2.LUT(_cpu_q(rgb), alpha_lut()))
    edge = ~inside & ~outside
    photo_obs.set_filter({"mode": "color", "background_color": 0xFFFFFFFF, "light_wrap": 0.0})
    plain = _shot_when(photo_obs, lambda shot: shot[outside].min() >= 253)  # the white colour mode is on
    photo_obs.set_filter({"light_wrap": 0.8})
    wrapped = _shot_when(photo_obs, lambda shot: (shot[edge] - plain[edge]).mean() > 5)
    assert (wrapped[edge] - plain[edge]).mean() > 5  # the edge band is lit by the background
    deep = cv2.erode(inside.astype(np.uint8), np.ones((61, 61), np.uint8)) > 0  # keeps the border rows
    assert deep[-1].any() and np.abs(wrapped[deep] - plain[deep]).max() <= 2  # the middle of the person is not
    photo_obs.set_filter({"light_wrap": 0.0})
    off = _shot_when(photo_obs, lambda shot: np.abs(shot - plain).max() <= 2)
    assert np.abs(off - plain).max() <= 2
    photo_obs.set_filter({"mode": "transparent"})


def test_threshold_and_show_mask_take_effect(photo_obs):
    photo_obs.set_filter({"threshold": 0.9, "edge_softness": 0.0})
    photo_obs.wait_masks(3)
    tight = (photo_obs.screenshot()[:, :, 3] > 127).mean()
    photo_obs.set_filter({"threshold": 0.1})
    photo_obs.wait_masks(3)
    loose = (photo_obs.screenshot()[:, :, 3] > 127).mean()
    assert loose > tight + 0.005
    photo_obs.set_filter({"show_mask": True, "threshold": 0.5, "edge_softness": 0.3})
    photo_obs.wait_masks(3)
    view = photo_obs.screenshot()
    assert view[:, :, 3].min() == 255 and view[:60, :60, :3].max() < 20 and view[300:400, 200:300, :3].min() > 230
    photo_obs.set_filter({"show_mask": False})


def test_a_preset_set_through_obs_websocket_runs_without_update_writing_settings(photo_obs):
    """The dialog writes a preset's values (tests/unit/test_filter_settings.py); a preset set from outside
    it must run at once, and OBS's `update` must leave the settings it is handed alone."""
    photo_obs.set_filter({"preset": "low_cpu"})
    photo_obs.wait_log("engine ready for 'Backdrop': selfie_landscape", timeout=30)
    assert "model=selfie_landscape mask_rate=3" in photo_obs.wait_log("preset=low_cpu", timeout=30)
    photo_obs.set_filter({"preset": "quality"})
    log = photo_obs.wait_log("preset=quality", timeout=30)
    assert "model=selfie_general mask_rate=1 refine=0.5" in log.split("preset=quality", 1)[1].splitlines()[0]
    s = photo_obs.filter_settings()
    assert s["applied_preset"] == "balanced" and s["mask_every_n_frames"] == 0  # as written at creation
    photo_obs.set_filter({"preset": "balanced"})


def test_a_still_video_source_is_cut_out_like_the_cpu_reference(tmp_path):
    still = read_rgb(PHOTO)
    clip = write_video(tmp_path / "still.mp4", [still] * 30)
    ok, bgr = cv2.VideoCapture(str(clip)).read()
    decoded = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
    with ObsInstance(image=clip, filters=[filter_entry("Backdrop")]) as inst:
        _ready(inst)
        shot = inst.screenshot()
    alpha_cpu = cv2.LUT(_cpu_q(decoded), alpha_lut())
    assert _iou(shot[:, :, 3] > 127, alpha_cpu > 127) >= 0.97


def test_two_cameras_share_one_session(tmp_path):
    with ObsInstance(filters=[filter_entry("Backdrop")], sources=["Camera", "Camera 2"], filters_on_all=True) as inst:
        log = inst.wait_log("engine ready for 'Backdrop'", timeout=60, count=2)
        ready = [x for x in log.splitlines() if "engine ready for 'Backdrop'" in x]
        assert all("1 shared session(s)" in x for x in ready), ready
        inst.wait_masks(3)
        assert inst.screenshot("Camera 2")[:40, :40, 3].max() == 0  # both cut out


def _bar_video(tmp_path):
    """A white bar crossing a black frame, 16 px per frame: where the mask must follow exactly."""
    frames = []
    for i in range(60):
        f = np.zeros((360, 640, 3), np.uint8)
        x = (16 * i) % 560
        f[:, x:x + 80] = 255
        frames.append(f)
    return write_video(tmp_path / "bar.mp4", frames)


def _alignment(shot: np.ndarray) -> float:
    """Share of pixels where alpha agrees with the picture (bright = person, by the test pattern),
    leaving out the 4 px next to the bar's edges, which the model-size mask cannot resolve."""
    bright = (shot[:, :, :3].max(axis=2) > 127).astype(np.uint8)
    k = np.ones((1, 9), np.uint8)
    away = cv2.dilate(bright, k) == cv2.erode(bright, k)
    return float(((bright > 0) == (shot[:, :, 3] > 127))[away].mean())


def test_match_video_to_mask_delays_the_video_by_the_mask_latency(tmp_path):
    # 10 ms of inference: a mask for every frame, arriving a frame or two after its frame was captured.
    env = {"BACKDROP_TEST_FAULTS": "delay_ms=10", "BACKDROP_STATUS_LOG_S": "0.5"}
    settings = {**pattern_settings("luma"), "temporal_smoothing": 0.0, "edge_softness": 0.0, "mask_every_n_frames": 1,
                "match_video_to_mask": False}
    with ObsInstance(image=_bar_video(tmp_path), filters=[filter_entry("Backdrop", settings)], env=env) as inst:
        _ready(inst)
        unmatched = np.mean([_alignment(inst.screenshot()) for _ in range(10)])
        inst.set_filter({"match_video_to_mask": True})
        status = inst.wait_record(lambda r: (r.get("video_delay_frames") or 0) >= 1, "the video delayed",
                                  timeout=30)  # the ring is in use
        matched = np.mean([_alignment(inst.screenshot()) for _ in range(10)])
    delay = status["video_delay_frames"]
    assert 1 <= delay <= 7, status  # the readback frame plus inference; at most the ring
    # A mask one frame late leaves 0.962 of the measured pixels aligned (the bar moves 16 px a frame:
    # 2 x 16 columns wrong, 8 of them in the edge band left out, of 624), two frames late 0.91.
    print(f"alignment: {unmatched:.3f} without matching, {matched:.3f} with it, video delayed {delay} frame(s)")
    assert matched >= 0.95 and unmatched <= matched - 0.03, (matched, unmatched)


def _moving_person(tmp_path, speed: int = 20, frames: int = 40):
    """The sample's person (cut out by core's CPU mask) sliding left and right over a still, textured
    background: (a looping clip, RGB frames, the person's mask in each frame)."""
    photo = cv2.resize(read_rgb(PHOTO), (360, 360), interpolation=cv2.INTER_AREA)
    person = _cpu_q(photo) > 127
    rng = np.random.default_rng(23)
    background = cv2.GaussianBlur(rng.integers(40, 200, (480, 854, 3), dtype=np.uint8), (0, 0), 3)
    rgbs, truths = [], []
    for i in range(frames):
        step = i if i < frames // 2 else frames - i  # there and back: no jump at the loop
        x = 40 + speed * step
        rgb, truth = background.copy(), np.zeros((480, 854), bool)
        rgb[120:480, x:x + 360][person] = photo[person]
        truth[120:480, x:x + 360] = person
        rgbs.append(rgb)
        truths.append(truth)
    return write_video(tmp_path / "moving.mp4", rgbs), rgbs, truths


def _ghost(shot: np.ndarray, rgbs: list, truths: list, late: int = 2) -> float:
    """Mean alpha over the region the person left in the last `late` frames of the frame on screen
    (found by its pixels), away from the edges: 0 when the mask fits the frame, 1 for a full ghost."""
    alpha = shot[:, :, 3] / 255.0
    opaque = alpha > 0.9
    errors = [np.abs(shot[:, :, :3].astype(int) - rgb.astype(int))[opaque].mean() for rgb in rgbs]
    i, n = int(np.argmin(errors)), len(truths)
    # Frames i and n - i look alike (there and back): the region left is on either side of the person.
    left = (truths[(i - late) % n] | truths[(i + late) % n]) & ~truths[i]
    k = np.ones((9, 9), np.uint8)
    region = cv2.erode(left.astype(np.uint8), k) > 0
    return float(alpha[region].mean())


def test_a_fast_moving_person_leaves_no_ghost_with_the_default_settings(tmp_path):
    """Default settings show each frame with its own mask (match video to mask): the background the
    person just left is transparent. Without it, the mask two frames late keeps it ("ghosts")."""
    clip, rgbs, truths = _moving_person(tmp_path)
    env = {"BACKDROP_STATUS_LOG_S": "0.5"}
    with ObsInstance(image=clip, filters=[filter_entry("Backdrop")], env=env) as inst:
        status = inst.wait_record(lambda r: 1 <= (r.get("video_delay_frames") or 0) <= 7, "the video delayed",
                                  timeout=60)
        matched = [_ghost(inst.screenshot(), rgbs, truths) for _ in range(12)]
        inst.set_filter({"match_video_to_mask": False})
        inst.wait_record(lambda r: r.get("state") == "running" and r["video_delay_frames"] is None,
                         "the video not delayed", timeout=30)
        unmatched = [_ghost(inst.screenshot(), rgbs, truths) for _ in range(12)]
    print(f"alpha where the person just was: {np.mean(matched):.2f} (default), {np.mean(unmatched):.2f} "
          f"without matching video to mask; {status}")
    # The median of 12 screenshots: now and then one catches the periodic whole-frame look's coarser mask.
    assert np.median(matched) <= 0.1, matched
    # The ghost the default settings remove: the media source's frames and OBS's do not tick in step,
    # so a mask two render frames late is 0 to 2 video frames late (0, 0.5 or 1 in this region).
    assert np.mean(unmatched) >= 0.2, unmatched


def test_between_masks_the_newest_mask_is_carried_to_the_moving_person(tmp_path):
    """Low CPU makes a mask every third frame. With the video matched to its masks, the two frames
    between get the newest mask carried forward by motion: the background the person just left is
    transparent. Without carrying, they show it where it was made, and the ghost stays."""
    clip, rgbs, truths = _moving_person(tmp_path)
    env = {"BACKDROP_STATUS_LOG_S": "0.5"}
    with ObsInstance(image=clip, filters=[filter_entry("Backdrop", {"preset": "low_cpu"})], env=env) as inst:
        status = inst.wait_record(lambda r: r.get("carried", 0) >= 1 and r["video_delay_frames"] is not None,
                                  "masks carried forward by motion, the video matched", timeout=60)
        carried = [_ghost(inst.screenshot(), rgbs, truths) for _ in range(12)]
        inst.set_filter({"carry_masks_by_motion": False})
        inst.wait_masks(6)  # made after the setting took effect
        held = [_ghost(inst.screenshot(), rgbs, truths) for _ in range(12)]
    print(f"alpha where the person just was: {np.mean(carried):.2f} carried by motion, {np.mean(held):.2f} "
          f"held; {status}")
    assert np.median(carried) <= 0.1, carried
    assert np.mean(held) >= np.mean(carried) + 0.1, (held, carried)


def test_slow_inference_lowers_the_mask_rate_not_the_frame_rate(tmp_path):
    env = {"BACKDROP_TEST_FAULTS": "delay_ms=200", "BACKDROP_STATUS_LOG_S": "1"}
    with ObsInstance(filters=[filter_entry("Backdrop")], env=env) as inst:
        _ready(inst)
        before = inst.stats()
        time.sleep(4)  # the measurement window
        after = inst.stats()
        status, record = inst.latest_status(), inst.status_record()
    assert 2.0 <= record["mask_fps"] <= 5.5, record
    assert "mask rate limited by inference speed" in status  # the words the user reads
    rendered = after["renderTotalFrames"] - before["renderTotalFrames"]
    skipped = after["renderSkippedFrames"] - before["renderSkippedFrames"]
    assert rendered >= 100 and skipped <= 0.1 * rendered, (rendered, skipped)


def test_missing_packages_pass_video_through_and_say_how_to_fix_it(tmp_path):
    env = {"BACKDROP_VENV": str(tmp_path / "no-such-venv")}
    with ObsInstance(env=env) as inst:
        reference = inst.screenshot()
        inst.add_filter()
        log = inst.wait_log("passes video through", timeout=30)
        inst.rendered_frames(5)
        shot = inst.screenshot()
    assert "Python package 'opencv-python-headless' is missing: run `python3 -m installer`" in log
    assert f"no environment at {tmp_path / 'no-such-venv'}" in log
    assert np.array_equal(shot, reference)


def test_person_tracking_in_obs_crops_on_the_gpu_like_the_cpu_reference(tmp_path, people_photos):
    from tests.unit.test_tracking import _scene

    frame, truth = _scene(people_photos, [(900, 420)])
    picture = tmp_path / "far_away.png"
    cv2.imwrite(str(picture), cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    with ObsInstance(image=picture, filters=[filter_entry("Backdrop", {"temporal_smoothing": 0.0})]) as inst:
        _ready(inst)
        tracked = inst.screenshot()[:, :, 3] > 127
        inst.set_filter({"person_tracking": False})
        inst.wait_masks(5)
        whole = inst.screenshot()[:, :, 3] > 127
    pipe = SelfiePipeline(Segmenter("selfie_general", "cpu"), MaskOptions(temporal=0.0))
    for i in range(4):
        result = run_frame(pipe, frame, i)
    assert not result.rect.is_full
    cpu = cv2.LUT(full_size(result, frame), alpha_lut()) > 127
    assert _iou(tracked, cpu) >= 0.95
    assert _iou(tracked, truth) > _iou(whole, truth) + 0.05


def test_a_small_person_and_a_second_one_far_off_are_found_by_the_search(tmp_path, people_photos):
    """People about 20% of the frame's height, as a streamer standing back from a wide camera: the
    search finds them and each gets a crop of their own.

    How soon is a figure, printed here and in README, not asserted: the first person is found
    while nobody is tracked, when every mask looks at a tile; the second only on the periodic look (in
    OBS twice a second), one of nine tiles per look, so it takes up to one rotation, 4.5 s plus a few
    masks, depending on which tile is next when they appear, and longer on a loaded machine."""
    from tests.unit.test_tracking import _scene

    shots = {}
    for name, places in (("empty", []), ("one", [(560, 300)]), ("two", [(560, 300), (60, 80)])):
        frame, truth = _scene(people_photos, places, scale=144)
        cv2.imwrite(str(tmp_path / f"{name}.png"), cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
        shots[name] = truth
    with ObsInstance(image=tmp_path / "empty.png", filters=[filter_entry("Backdrop")]) as inst:
        inst.wait_record(lambda r: r.get("searching"), "searching for people", timeout=60)
        for name in ("one", "two"):
            truth = shots[name]
            image = str(tmp_path / f"{name}.png")
            inst.call("SetInputSettings", {"inputName": "Camera", "inputSettings": {"file": image}})
            t0 = time.monotonic()

            def cut_out(truth=truth):
                alpha = inst.screenshot()[:, :, 3] / 255.0
                inner = cv2.erode(truth.astype(np.uint8), np.ones((7, 7), np.uint8)) > 0
                outer = cv2.dilate(truth.astype(np.uint8), np.ones((15, 15), np.uint8)) == 0
                return alpha[inner].mean() >= 0.8 and alpha[outer].mean() <= 0.1 and (alpha[inner], alpha[outer])

            inside, outside = inst.wait_for(cut_out, f"{name}: the people cut out", timeout=30)
            print(f"{name}: cut out after {time.monotonic() - t0:.1f} s (alpha {inside.mean():.2f} on them, "
                  f"{outside.mean():.3f} elsewhere)")
