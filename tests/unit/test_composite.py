"""The CPU compositing reference: what a streamer sees in each mode, on real photos."""

from __future__ import annotations

import cv2
import numpy as np

from core.tools.composite import alpha_lut, composite, cover, smoothstep_alpha


def _person_scene(h=360, w=640):
    """A bright red 'person' on a dark green wall, with its exact mask."""
    frame = np.empty((h, w, 3), np.uint8)
    frame[:] = (20, 60, 20)
    q = np.zeros((h, w), np.uint8)
    cv2.ellipse(q, (w // 2, h // 2), (w // 8, h // 3), 0, 0, 360, 255, -1)
    frame[q > 0] = (230, 20, 20)
    return frame, q


def test_alpha_follows_threshold_and_softness():
    q = np.linspace(0, 1, 101, dtype=np.float32)
    hard = smoothstep_alpha(q, 0.5, 0.0)
    assert hard[:50].max() == 0.0 and hard[51:].min() == 1.0
    soft = smoothstep_alpha(q, 0.5, 0.4)
    assert soft[30] == 0.0 and soft[70] == 1.0 and 0.4 < soft[50] < 0.6
    lut = alpha_lut(0.5, 0.3)
    assert lut[0] == 0 and lut[255] == 255 and np.all(np.diff(lut.astype(int)) >= 0)


def test_transparent_keeps_colours_and_the_sources_own_alpha(people_photos):
    rgb = people_photos["astronaut"]
    q = np.full(rgb.shape[:2], 255, np.uint8)
    q[:, :100] = 0
    out = composite(rgb, q, "transparent")
    assert np.array_equal(out[:, :, :3], rgb)
    assert out[:, :100, 3].max() == 0 and out[:, 100:, 3].min() == 255
    rgba = np.dstack([rgb, np.full(rgb.shape[:2], 128, np.uint8)])
    out = composite(rgba, q, "transparent")
    assert out[:, 100:, 3].max() == 128  # not made more opaque than the source was


def test_color_mode_replaces_only_the_background():
    frame, q = _person_scene()
    out = composite(frame, q, "color", color=(0, 0, 255), softness=0.0)
    assert np.array_equal(out[q == 255], frame[q == 255])
    assert np.array_equal(out[:20, :20].reshape(-1, 3), np.tile([0, 0, 255], (400, 1)))


def test_image_mode_covers_the_frame_without_distortion(people_photos):
    frame, q = _person_scene()
    bg = people_photos["astronaut"]  # square, frame is 16:9: must be cropped, not stretched
    covered = cover(bg, 640, 360)
    assert covered.shape == (360, 640, 3)
    expected = cv2.resize(bg, (640, 640), interpolation=cv2.INTER_AREA)[140:500]
    assert np.abs(covered.astype(int) - expected).mean() < 1.0
    out = composite(frame, q, "image", background=bg, softness=0.0)
    assert np.array_equal(out[q == 0], covered[q == 0])


def test_blur_mode_does_not_bleed_the_person_into_the_background():
    frame, q = _person_scene()
    out = composite(frame, q, "blur", blur_sigma=24.0, softness=0.0)
    ring = cv2.dilate(q, np.ones((31, 31), np.uint8)) - q  # 15 px just outside the person
    naive = cv2.GaussianBlur(frame, (0, 0), 24.0)
    assert out[ring > 0, 0].mean() < 40  # the wall stays green-dark, not pink
    assert naive[ring > 0, 0].mean() > 60  # a plain blur would have bled red into it
    assert np.array_equal(out[q == 255], frame[q == 255])


def test_light_wrap_spills_background_light_onto_the_edge_only():
    frame, q = _person_scene()
    plain = composite(frame, q, "color", color=(255, 255, 255), softness=0.0)
    wrapped = composite(frame, q, "color", color=(255, 255, 255), softness=0.0, light_wrap=0.8)
    edge = q - cv2.erode(q, np.ones((9, 9), np.uint8))
    core_ = cv2.erode(q, np.ones((61, 61), np.uint8))
    assert wrapped[edge > 0, 1].mean() > plain[edge > 0, 1].mean() + 20  # edges pick up white light
    assert np.abs(wrapped[core_ > 0].astype(int) - plain[core_ > 0]).max() <= 2  # the middle does not


def test_the_cpu_reference_blur_is_as_even_as_an_exact_gaussian():
    """core's masked_blur (an area resize to 1/4 at any ratio, then OpenCV's Gaussian) is the oracle
    the GPU blur is compared with: it must not band or lattice on dot grids itself."""
    from core.tools.composite import masked_blur
    from tests.blur_reference import BLUR_SIZES, dot_grid, evenness, exact_blur, split_alpha

    for w, h in BLUR_SIZES:
        alpha = split_alpha(w, h)
        for period in (9, 23, 37):
            frame = dot_grid(w, h, period, (230, 30, 30))
            for strength in (8, 16, 32):
                m = 3 * strength
                region = (slice(m, h - m), slice(m, w // 2 - m - 8))
                cpu = masked_blur(frame, np.round(alpha * 255).astype(np.uint8), strength)
                cpu_even, exact_even = evenness(cpu[region]), evenness(exact_blur(frame, alpha, strength)[region])
                assert all(c <= max(1.5 * e, 0.10) for c, e in zip(cpu_even, exact_even, strict=True)), (
                    (w, h, period, strength), cpu_even, exact_even)
