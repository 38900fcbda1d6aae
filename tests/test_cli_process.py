"""`backdrop process`: masks with the input's stems and size, clear errors, inputs never overwritten."""

from __future__ import annotations

import cv2
import numpy as np

from core.cli import SAMPLE
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
