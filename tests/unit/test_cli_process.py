"""`backdrop process`: masks with the input's stems and size, clear errors, inputs never overwritten."""

from __future__ import annotations

import cv2
import numpy as np

from core.tools.media_io import SAMPLE
from tests.conftest import run_cli


def _write(path, rgb):
    cv2.imwrite(str(path), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))


def test_mask_only_on_a_folder_writes_one_mask_per_frame_with_same_stem_and_size(tmp_path, people_photos):
    frames = tmp_path / "frames"
    frames.mkdir()
    _write(frames / "b_second.jpg", people_photos["astronaut"])
    _write(frames / "a_first.png", cv2.resize(people_photos["cameraman"], (640, 360)))
    out = tmp_path / "masks"
    res = run_cli("process", str(frames), "-o", str(out), "--mask-only")
    assert res.returncode == 0, res.stderr
    assert sorted(p.name for p in out.iterdir()) == ["a_first.png", "b_second.png"]
    m = cv2.imread(str(out / "a_first.png"), cv2.IMREAD_UNCHANGED)
    assert m.shape == (360, 640) and m.dtype == np.uint8
    astro = cv2.imread(str(out / "b_second.png"), cv2.IMREAD_UNCHANGED)
    assert astro.shape == (512, 512)
    # The astronaut: person in the centre, background in the top corners.
    assert astro[200:400, 150:350].mean() > 200
    assert astro[:60, :60].mean() < 30 and astro[:60, -60:].mean() < 30


def test_single_image_to_file_and_transparent_cutout(tmp_path):
    res = run_cli("process", str(SAMPLE), "-o", str(tmp_path / "cut.png"))
    assert res.returncode == 0, res.stderr
    rgba = cv2.imread(str(tmp_path / "cut.png"), cv2.IMREAD_UNCHANGED)
    assert rgba.shape == (512, 512, 4)
    assert rgba[:60, :60, 3].mean() < 30 and rgba[250:350, 200:300, 3].mean() > 200


def test_unreadable_input_is_a_clear_error(tmp_path):
    bad = tmp_path / "broken.jpg"
    bad.write_bytes(b"not a jpeg")
    res = run_cli("process", str(bad), "-o", str(tmp_path / "o.png"), "--mask-only")
    assert res.returncode == 2 and "broken.jpg: not a readable image" in res.stderr
    res = run_cli("process", str(tmp_path / "missing"), "-o", str(tmp_path / "o"), "--mask-only")
    assert res.returncode == 2 and "no such file" in res.stderr


def test_never_overwrites_an_input(tmp_path, people_photos):
    frames = tmp_path / "frames"
    frames.mkdir()
    _write(frames / "0001.png", people_photos["astronaut"])
    before = (frames / "0001.png").read_bytes()
    res = run_cli("process", str(frames), "-o", str(frames), "--mask-only")
    assert res.returncode == 2 and "refusing to overwrite" in res.stderr
    assert (frames / "0001.png").read_bytes() == before


def test_unknown_model_is_a_clear_error(tmp_path):
    res = run_cli("process", str(SAMPLE), "-o", str(tmp_path / "o.png"), "--model", "nope")
    assert res.returncode == 2 and "unknown model 'nope'" in res.stderr


def test_colour_blur_and_image_modes_write_rgb_with_the_background_replaced(tmp_path):
    res = run_cli("process", str(SAMPLE), "-o", str(tmp_path / "green.png"), "--background", "#00ff00")
    assert res.returncode == 0, res.stderr
    green = cv2.cvtColor(cv2.imread(str(tmp_path / "green.png")), cv2.COLOR_BGR2RGB)
    assert green.shape == (512, 512, 3) and (green[:40, :40] == (0, 255, 0)).all()
    res = run_cli("process", str(SAMPLE), "-o", str(tmp_path / "blur.png"), "--mode", "blur")
    assert res.returncode == 0, res.stderr
    original = cv2.imread(str(SAMPLE)).astype(int)
    blurred = cv2.imread(str(tmp_path / "blur.png")).astype(int)
    assert np.abs(blurred[250:350, 200:300] - original[250:350, 200:300]).mean() < 3  # the person is sharp
    assert np.abs(blurred[:80, :80] - original[:80, :80]).mean() > 3  # the background is not
    res = run_cli("process", str(SAMPLE), "-o", str(tmp_path / "img.png"), "--mode", "image")
    assert res.returncode == 2 and "needs --background" in res.stderr


def test_video_in_video_out_and_masks_per_frame(tmp_path, people_photos):
    clip = tmp_path / "clip.mp4"
    writer = cv2.VideoWriter(str(clip), cv2.VideoWriter_fourcc(*"mp4v"), 15, (320, 240))
    base = cv2.resize(cv2.cvtColor(people_photos["astronaut"], cv2.COLOR_RGB2BGR), (320, 240))
    for i in range(8):
        writer.write(np.roll(base, 4 * i, axis=1))
    writer.release()
    res = run_cli("process", str(clip), "-o", str(tmp_path / "masks"), "--mask-only")
    assert res.returncode == 0, res.stderr
    assert sorted(p.name for p in (tmp_path / "masks").iterdir()) == [f"{i:05d}.png" for i in range(8)]
    res = run_cli("process", str(clip), "-o", str(tmp_path / "blurred.mp4"), "--mode", "blur")
    assert res.returncode == 0, res.stderr
    cap = cv2.VideoCapture(str(tmp_path / "blurred.mp4"))
    assert int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) == 8
    res = run_cli("process", str(clip), "-o", str(tmp_path / "t.mp4"))
    assert res.returncode == 2 and "no alpha" in res.stderr


def test_bench_prints_per_stage_figures_for_every_model(tmp_path):
    import json

    res = run_cli("bench", "--runs", "3", "--json")
    assert res.returncode == 0, res.stderr
    data = json.loads(res.stdout)
    assert {r["model"] for r in data["results"]} >= {"selfie_general", "selfie_landscape"}
    row = data["results"][0]["sizes"]["1080p"]
    assert row["bare_ms"] > 0 and row["mask_path_ms"] > row["infer_ms"] * 0.5 and row["composite_blur_ms"] > 0
    tracking = data["tracking"]  # searching runs a tile besides the crop: it costs more than tracking
    assert tracking["searching_ms"] > tracking["tracking_ms"] > 0 and tracking["auto_frame_people_ms"] > 0
