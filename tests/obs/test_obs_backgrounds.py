"""Blur and image backgrounds in real OBS 29 against core's CPU reference, on the pictures that show
a bad resampler at once. Isolated bright dots: a blur that takes one sample per 4x4 block, or steps
over texels, turns them into a plaid grid of taps, and a blur that lets the person into the
background smears their colour outward from the edge. Fine stripes on a picture larger than the
canvas: sampled without mipmaps they alias into a moire of black and white."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from core.tools.composite import composite, cover
from core.vocabulary import COLOR_RGB
from tests.blur_reference import BLUR_SIZES, dot_grid, evenness, exact_blur, split_alpha
from tests.obs_harness import ObsInstance, filter_entry, pattern_settings

pytestmark = pytest.mark.obs

W, H = 1280, 720
PERSON = (230, 30, 30)  # the "person" (right half, the "split" test mask): red, which the grey background has none of


def _dots() -> np.ndarray:
    """2x2 white dots every 9 px on dark grey (9 and 4 share no factor: the dots fall on every
    phase of the 4x4 blocks), and the red person on the right half."""
    img = np.full((H, W, 3), 40, np.uint8)
    for dy in (3, 4):
        for dx in (3, 4):
            img[dy::9, dx::9] = 255
    img[:, W // 2:] = PERSON
    return img


def _high_frequency(img: np.ndarray) -> np.ndarray:
    """What a sigma-1.5 Gaussian removes: grid artefacts and leftover dots, not the blur's own shape."""
    x = img.astype(np.float32)
    return np.abs(x - cv2.GaussianBlur(x, (0, 0), 1.5))


def _red_excess(img: np.ndarray) -> np.ndarray:
    x = img.astype(np.float32)
    return x[..., 0] - (x[..., 1] + x[..., 2]) / 2


def _wait_for_masks(inst: ObsInstance, timeout: float = 30.0) -> None:
    inst.wait_record(lambda r: r.get("mask_fps", 0) >= 1, "a mask a second or more", timeout)


def test_blur_is_an_exact_gaussian_without_a_grid_and_keeps_the_person_out(tmp_path):
    frame = _dots()
    picture = tmp_path / "dots.png"
    cv2.imwrite(str(picture), cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    settings = {"mode": "blur", "blur_strength": 16, **pattern_settings("split"), "edge_softness": 0.3}
    with ObsInstance(image=picture, width=W, height=H, filters=[filter_entry("Backdrop", settings)],
                     env={"BACKDROP_STATUS_LOG_S": "0.5"}) as inst:
        _wait_for_masks(inst)
        shot = inst.screenshot()[:, :, :3]
    mask = np.full((256, 256), 255, np.uint8)  # the split test mask, upsampled as the GPU does
    mask[:, :128] = 0
    cpu = composite(frame, cv2.resize(mask, (W, H), interpolation=cv2.INTER_LINEAR), "blur", blur_sigma=16)

    background = (slice(64, H - 64), slice(64, W // 2 - 64))  # away from the frame's border and the person
    gpu_hf, cpu_hf = _high_frequency(shot)[background].mean(), _high_frequency(cpu)[background].mean()
    print(f"high-frequency residue: GPU {gpu_hf:.3f}, CPU reference {cpu_hf:.3f} ({gpu_hf / cpu_hf:.2f}x)")
    assert gpu_hf <= 1.5 * cpu_hf  # a plaid of taps measured 7.2x here
    # Both are 8-bit pictures of the same Gaussian; the GPU blurs in half floats and its kernel ends
    # at 3 sigma (OpenCV's at 4): a level of rounding either way, nothing more.
    error = np.abs(shot.astype(int) - cpu)[background]
    print(f"GPU vs CPU: mean {error.mean():.2f}, max {error.max()} levels")
    assert error.mean() <= 1.5 and error.max() <= 6

    ring = (slice(64, H - 64), slice(W // 2 - 40, W // 2 - 6))  # just outside the person's edge
    spill = _red_excess(shot)[ring]
    print(f"person colour in the 6-40 px ring outside the edge: mean {spill.mean():.2f}, max {spill.max():.0f}")
    assert spill.mean() <= 1.0 and spill.max() <= 8  # a plain Gaussian of the frame puts 22 levels of red here
    assert np.abs(shot[:, W // 2 + 8:].astype(int) - PERSON).max() <= 2  # and the person stays sharp


def test_a_picture_larger_than_the_canvas_is_drawn_from_mipmaps(tmp_path):
    stripes = np.zeros((1688, 3000, 3), np.uint8)  # 1-px stripes, shown at 0.43x: only grey is right
    stripes[:, ::2] = 255
    cv2.imwrite(str(tmp_path / "stripes.png"), stripes)
    frame = tmp_path / "frame.png"
    cv2.imwrite(str(frame), np.full((H, W, 3), 90, np.uint8))
    settings = {"mode": "image", "background_image": str(tmp_path / "stripes.png"), **pattern_settings("split")}
    background = (slice(40, H - 40), slice(40, W // 2 - 40))
    with ObsInstance(image=frame, width=W, height=H, filters=[filter_entry("Backdrop", settings)],
                     env={"BACKDROP_STATUS_LOG_S": "0.5"}) as inst:
        _wait_for_masks(inst)

        def picture_shown():  # until its decoding thread hands it over, image mode shows the colour
            shot = inst.screenshot()[:, :, :3]
            return (shot,) if np.abs(shot[background].mean((0, 1)) - COLOR_RGB).max() > 20 else None

        shot, = inst.wait_for(picture_shown, "the picture shown instead of the colour")
    gpu = shot[background].astype(float)
    cpu = cover(stripes, W, H)[background].astype(float)  # OpenCV's area resampling
    print(f"stripes shown: GPU mean {gpu.mean():.1f} std {gpu.std():.1f}; CPU mean {cpu.mean():.1f} "
          f"std {cpu.std():.1f}")
    assert abs(gpu.mean() - cpu.mean()) <= 5
    assert gpu.std() <= 1.5 * cpu.std()  # without mipmaps: std 73 against the reference's 16


def _settled_shot(inst: ObsInstance, size: tuple[int, int], previous: np.ndarray | None, expected: np.ndarray
                  ) -> np.ndarray:
    """The first screenshot of `size` that differs from `previous`, equals the one before it and shows
    the expected picture (its mean within 2 levels of the expected one's: the new grid, decoded)."""
    last = None

    def shot() -> np.ndarray:
        shown = inst.shown()  # None while the image source loads the new file (OBS 30.1 on)
        return shown[:, :, :3] if shown is not None else np.zeros((0, 0, 3), np.uint8)

    def settled(shot: np.ndarray) -> bool:
        nonlocal last
        before, last = last, shot
        return shot.shape[:2] == size[::-1] and before is not None and np.array_equal(shot, before) and (
            previous is None or previous.shape != shot.shape or not np.array_equal(shot, previous)) and \
            abs(float(shot.mean()) - float(expected.mean())) <= 2.0

    return inst.poll(shot, settled, f"a settled picture of {size}", 20.0, interval=0.15)


def test_blur_is_as_even_as_an_exact_gaussian_at_every_size_grid_and_strength(tmp_path):
    """No bands at sizes the blur's 1/4 steps do not divide (854x480, 1366x768), no lattice where they
    do (1920x1080), for dot grids of 9, 23 and 37 px at strengths 8, 16 and 32: measured at least 3
    sigma from the person and from the frame's border."""
    settings = {"mode": "blur", "blur_strength": 8, **pattern_settings("split"), "edge_softness": 0.3}
    rows, failures, previous = [], [], None
    with ObsInstance(filters=[filter_entry("Backdrop", settings)], env={"BACKDROP_STATUS_LOG_S": "0.5"}) as inst:
        _wait_for_masks(inst)
        for w, h in BLUR_SIZES:
            for period in (9, 23, 37):
                frame = dot_grid(w, h, period, PERSON)
                path = tmp_path / f"dots_{w}x{h}_{period}.png"
                cv2.imwrite(str(path), cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
                inst.call("SetInputSettings", {"inputName": "Camera", "inputSettings": {"file": str(path)}})
                for strength in (8, 16, 32):
                    inst.set_filter({"blur_strength": strength})
                    alpha = split_alpha(w, h)[:, :, None]
                    exact = exact_blur(frame, alpha[:, :, 0], strength)
                    shot = previous = _settled_shot(inst, (w, h), previous, alpha * frame + (1 - alpha) * exact)
                    m = 3 * strength
                    region = (slice(m, h - m), slice(m, w // 2 - m - 8))  # the person starts 8 px left of centre
                    gpu_even, exact_even = evenness(shot[region]), evenness(exact[region])
                    diff = float(np.abs(shot[region].astype(np.float64) - exact[region]).mean())
                    rows.append(f"{w}x{h} dots/{period} strength {strength}: column/row-mean std GPU "
                                f"{gpu_even[0]:.3f}/{gpu_even[1]:.3f}, exact {exact_even[0]:.3f}/{exact_even[1]:.3f};"
                                f" mean |GPU - exact| {diff:.2f}")
                    if any(g > max(2.0 * e, 0.10) for g, e in zip(gpu_even, exact_even, strict=True)) or diff > 1.0:
                        failures.append(rows[-1])
    print("\n".join(rows))
    assert not failures, "\n".join(failures)
