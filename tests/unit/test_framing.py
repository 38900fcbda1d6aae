"""Auto-frame (core/framing.py): who is framed, how the camera moves, and the offline clips the issue
asks for, through the real model (a still clip with noise and JPEG re-encoding, a 200-px pan)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from core.framing import (
    DEAD_ZONE,
    LOST_S,
    Camera,
    Window,
    aim,
    find_people,
    framed_rows,
    whole,
)
from core.geometry import FULL, Rect
from core.mask_source import MaskOptions
from core.pipelines import make_pipeline
from core.tools.composite import frame_window
from tests.conftest import run_cli
from tests.unit.test_tracking import _scene

W, H = 1280, 720
FPS = 30.0


def _silhouette(head: int = 60, top: int = 100, left: int = 500) -> np.ndarray:
    """A head (an ellipse `head` px wide) on shoulders three heads wide, down to the frame's bottom."""
    mask = np.zeros((H, W), np.uint8)
    cx = left + head // 2
    cv2.ellipse(mask, (cx, top + int(0.65 * head)), (head // 2, int(0.65 * head)), 0, 0, 360, 255, -1)
    neck = top + int(1.25 * head)
    mask[neck:neck + head // 4, cx - head // 4:cx + head // 4] = 255
    mask[neck + head // 4:, cx - int(1.5 * head):cx + int(1.5 * head)] = 255
    return mask


def test_framing_choices_cut_a_person_at_their_head_shoulders_or_not_at_all():
    mask = _silhouette(head=60, top=100)
    whole_box, = find_people(mask, FULL, (W, H), "whole_person")
    head, = find_people(mask, FULL, (W, H), "head_shoulders")
    upper, = find_people(mask, FULL, (W, H), "upper_body")
    assert (whole_box.y0, whole_box.y1) == pytest.approx((100, H), abs=3)
    head_h = 1.3 * 60
    assert head.y1 - head.y0 == pytest.approx(2.6 * head_h, rel=0.08)
    assert upper.y1 - upper.y0 == pytest.approx(4.6 * head_h, rel=0.08)
    assert head.x1 - head.x0 == pytest.approx(180, abs=4)  # the shoulders are in it


def test_people_are_found_in_a_mask_that_covers_part_of_the_frame_and_noise_is_not_a_person():
    small = cv2.resize(_silhouette(head=60, top=100), (256, 144), interpolation=cv2.INTER_AREA)
    small[5:7, 5:7] = 255  # a speck
    from core.geometry import Rect

    rect = Rect(0.25, 0.5, 0.75, 1.0)  # the mask covers the bottom middle quarter of the frame
    people = find_people(small, rect, (W, H), "whole_person")
    assert len(people) == 1
    box = people[0]
    assert box.x0 == pytest.approx(320 + (500 - 60) / 2, abs=6) and box.y0 == pytest.approx(360 + 100 / 2, abs=6)


def test_a_crown_one_mask_pixel_wide_is_not_taken_for_the_whole_head():
    """Row widths of a real mask (the astronaut in a tracking crop, 1.42 frame px per mask px): the
    head widens from 1 to 22 mask pixels in its first four rows."""
    crown = [1, 9, 16, 22, 27, 31, 34, 35, 37, 40, 43, 45, 46, 49, 50, 52, 53, 54, 54, 55, 55, 56, 56, 56, 57, 57,
             57, 57, 57, 57, 57, 57, 55, 55, 55, 54, 53, 52, 50, 48, 47, 47, 60, 100, 140, 150, 150] + [150] * 400
    widths = np.array(crown, float) * 1.42
    bottom = framed_rows(widths, 1.42, 4.6)
    assert bottom * 1.42 == pytest.approx(4.6 * 1.3 * 57 * 1.42, rel=0.07)


def test_rows_of_a_person_without_shoulders_in_view_are_all_kept():
    assert framed_rows(np.full(10, 50.0), 10.0, None) == 10
    assert framed_rows(np.full(10, 50.0), 10.0, 2.6) == 10  # 2.6 heads of 65 px: more than 100 px


def test_the_aim_centres_everyone_keeps_the_aspect_and_never_zooms_past_the_limit():
    one = (Rect(200, 300, 300, 600),)
    window = aim(one, W, H, 2.0)
    assert window.h == pytest.approx(H / 2)  # the person (300 px tall) would want 2.8x: held at 2x
    r = window.rect(W, H)
    x0, y0, w, h = r.x0, r.y0, r.width, r.height
    assert w / h == pytest.approx(1.0) and (x0, y0) >= (0.0, 0.0) and x0 + w <= 1.0 + 1e-9 and y0 + h <= 1.0 + 1e-9
    assert window.cx == pytest.approx(320) and window.cy == pytest.approx(450)  # inside the frame, as near as can be
    two = aim(one + (Rect(900, 300, 1000, 600),), W, H, 2.0)
    r = two.rect(W, H)
    assert r.x0 * W <= 200 and r.x1 * W >= 1000
    assert aim((), W, H, 2.0) == whole(W, H)
    assert aim((Rect(0, 0, W, H),), W, H, 2.0) == whole(W, H)


def _rest(windows: list[Window]) -> int:
    """The first frame at which the window, once it has started to move, is where it was a frame before."""
    start = next(i for i in range(1, len(windows)) if windows[i] != windows[0])
    return next(i for i in range(start + 1, len(windows)) if windows[i] == windows[i - 1])


def _run(camera: Camera, boxes, speed: str = "medium") -> list[Window]:
    return [camera.step(people, 1.0 / FPS, 2.0, speed) for people in boxes]


def test_a_step_is_approached_without_overshoot_and_then_held_exactly():
    camera = Camera(W, H)
    person = (Rect(700, 200, 900, 560),)
    windows = _run(camera, [person] * 120)
    final = windows[-1]
    assert final == camera.target
    heights = [w.h for w in windows]
    assert all(a >= b for a, b in zip(heights, heights[1:], strict=False))  # zooms in monotonically
    rest = _rest(windows)
    assert rest < 90, rest  # at rest within 3 s at medium speed
    assert all(w == final for w in windows[rest:])


def test_small_movements_inside_the_dead_zone_never_move_the_picture():
    camera = Camera(W, H)
    rng = np.random.default_rng(1)
    base = np.array([600.0, 150.0, 760.0, 560.0])
    boxes = [(Rect(*(base + rng.normal(0, 4, 4))),) for _ in range(300)]
    windows = _run(camera, boxes)
    rest = _rest(windows)
    assert all(w == windows[rest] for w in windows[rest:])
    width = windows[-1].h * W / H
    assert _run(camera, [(Rect(*(base + [0.8 * DEAD_ZONE * width, 0, 0.8 * DEAD_ZONE * width, 0])),)] * 5)[-1] \
        == windows[-1]
    step = 1.2 * DEAD_ZONE * width
    assert _run(camera, [(Rect(*(base + [step, 0, step, 0])),)] * 5)[-1] != windows[-1]


def test_one_odd_mask_in_a_while_never_moves_the_picture():
    """A periodic look at the whole frame sees the person at another resolution: one mask in fifteen
    wants another framing."""
    camera = Camera(W, H)
    usual, odd = (Rect(600, 150, 760, 560),), (Rect(560, 100, 800, 700),)
    windows = _run(camera, [odd if i % 15 == 14 else usual for i in range(300)])
    rest = _rest(windows)
    assert all(w == windows[rest] for w in windows[rest:])
    assert _run(camera, [odd] * 5)[-1] != windows[-1]  # while a few in a row move it


def test_nobody_in_view_goes_back_to_the_whole_frame_after_a_few_seconds():
    camera = Camera(W, H)
    windows = _run(camera, [(Rect(600, 200, 700, 500),)] * 90)
    assert windows[-1].h < H
    gone = int(LOST_S * FPS)
    windows = _run(camera, [()] * (gone - 2) + [None] * 4 + [()] * 150)
    assert windows[gone - 4].h == windows[0].h  # still framed just before the time is up
    assert windows[-1] == whole(W, H)


def _clip_windows(frames, speed: str = "medium", tracking: bool = True) -> list[Window]:
    """The windows the filter's camera takes over `frames`, with the real model's masks."""
    pipeline = make_pipeline("selfie_general", "cpu", 2, MaskOptions(tracking=tracking))
    camera = Camera(W, H)
    windows = []
    for i, rgb in enumerate(frames):
        q = pipeline.frame_mask(rgb, i)
        windows.append(camera.step(find_people(q, FULL, (W, H), "upper_body"), 1.0 / FPS, 2.0, speed))
    return windows


def _noisy(frame: np.ndarray, rng) -> np.ndarray:
    noisy = np.clip(frame + rng.normal(0, 4, frame.shape), 0, 255).astype(np.uint8)
    ok, jpeg = cv2.imencode(".jpg", noisy, [cv2.IMWRITE_JPEG_QUALITY, 75])
    return cv2.imdecode(jpeg, cv2.IMREAD_UNCHANGED)


@pytest.mark.parametrize("tracking", [True, False], ids=["tracking", "no tracking"])
def test_a_still_clip_with_noise_and_jpeg_artefacts_gives_a_window_that_does_not_move(people_photos, tracking):
    frame, _ = _scene(people_photos, [(150, 300)], scale=280)
    rng = np.random.default_rng(0)
    windows = _clip_windows((_noisy(frame, rng) for _ in range(150)), tracking=tracking)
    rest = _rest(windows)
    moved = max(max(abs(a.cx - b.cx), abs(a.cy - b.cy), abs(a.h - b.h))
                for a, b in zip(windows[rest:], windows[rest + 1:], strict=False))
    print(f"still clip, tracking {tracking}: at rest from frame {rest}, then {moved:.2f} px of movement over "
          f"{len(windows) - rest} frames; "
          f"zoom {windows[-1].zoom(H):.2f}x")
    assert rest < 90 and moved == 0.0
    assert windows[-1].zoom(H) >= 1.4


def test_a_200_px_pan_is_followed_with_at_most_1_px_of_overshoot(people_photos):
    positions = [250] * 90 + [250 + 5 * i for i in range(1, 41)] + [450] * 90  # 150 px/s for 1.3 s
    frames = (_scene(people_photos, [(x, 300)], scale=280)[0] for x in positions)
    windows = _clip_windows(frames)
    cx = np.array([w.cx for w in windows])
    start, end, final = cx[89], 129, cx[-1]
    overshoot = float((cx[90:] - final).max())
    settled = next(i for i in range(end, len(cx)) if np.all(np.abs(cx[i:] - final) <= 1.0)) - end
    halfway = 90 + int(np.argmax(cx[90:] >= (start + final) / 2)) - 110  # the person is half-way at frame 110
    print(f"200-px pan: window moved {final - start:.0f} px, overshoot {overshoot:.2f} px, half-way {halfway} frames "
          f"after the person, within 1 px of rest {settled} frames after the person stops")
    width = windows[-1].h * W / H
    assert abs(final - (start + 200)) <= DEAD_ZONE * width + 2  # it followed the person
    assert overshoot <= 1.0
    assert settled <= 60


def test_backdrop_process_framing_follow_writes_a_framed_video(tmp_path, people_photos):
    frame, truth = _scene(people_photos, [(150, 300)], scale=280)
    frames = tmp_path / "frames"
    frames.mkdir()
    for i in range(60):
        cv2.imwrite(str(frames / f"{i:03d}.png"), cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    out = tmp_path / "framed.mp4"
    done = run_cli("process", str(frames), "-o", str(out), "--mode", "color", "--background", "#00FF00",
                   "--framing", "follow", "-q")
    assert done.returncode == 0, done.stderr
    cap = cv2.VideoCapture(str(out))
    shots = []
    while True:
        ok, bgr = cap.read()
        if not ok:
            break
        shots.append(bgr)
    assert len(shots) == 60 and shots[-1].shape == (H, W, 3)
    person = (np.abs(shots[-1].astype(int) - (0, 255, 0)).sum(axis=2) > 90).astype(np.uint8)
    ys, xs = np.nonzero(cv2.morphologyEx(person, cv2.MORPH_OPEN, np.ones((5, 5), np.uint8)))
    ty, tx = np.nonzero(truth)
    assert abs((xs.min() + xs.max()) / 2 - W / 2) <= 0.12 * W and abs((ys.min() + ys.max()) / 2 - H / 2) <= 0.12 * H
    assert ys.max() - ys.min() >= 1.4 * (ty.max() - ty.min())
    bad = run_cli("process", str(frames), "-o", str(out), "--framing", "follow", "--max-zoom", "9", "--mode", "blur")
    assert bad.returncode == 2 and "--max-zoom" in bad.stderr


def test_the_cpu_cut_of_the_whole_frame_is_the_frame_itself():
    image = np.random.default_rng(2).integers(0, 255, (36, 64, 3), np.uint8)
    assert frame_window(image, FULL) is image
    half = frame_window(image, Rect(0.25, 0.25, 0.75, 0.75))
    assert half.shape == image.shape
    # output pixel (1, 1) at 2x: frame uv 0.25 + 1.5/64 * 0.5 -> frame pixel 16.25 - 0.5 + ... = bilinear of 16/17
    x = 0.25 * 64 + 1.5 * 0.5 - 0.5
    y = 0.25 * 36 + 1.5 * 0.5 - 0.5
    x0, y0, fx, fy = int(x), int(y), x - int(x), y - int(y)
    want = ((1 - fx) * (1 - fy) * image[y0, x0] + fx * (1 - fy) * image[y0, x0 + 1] + (1 - fx) * fy * image[y0 + 1, x0]
            + fx * fy * image[y0 + 1, x0 + 1])
    assert np.abs(half[1, 1].astype(float) - want).max() <= 1.0
