"""Quality metrics and `backdrop eval`."""

from __future__ import annotations

import json

import cv2
import numpy as np

from core.tools.metrics import SequenceScore, boundary_f, drop_unannotated_blobs, jaccard
from tests.conftest import REPO, run_cli


def _disc(h, w, cx, cy, r):
    m = np.zeros((h, w), np.uint8)
    cv2.circle(m, (cx, cy), r, 1, -1)
    return m.astype(bool)


def test_jaccard_and_boundary_f_on_known_shapes():
    gt = _disc(200, 200, 100, 100, 50)
    assert jaccard(gt, gt) == 1.0 and boundary_f(gt, gt) == 1.0
    shifted = _disc(200, 200, 102, 100, 50)  # 2 px off, within the 3 px tolerance (0.008 * diag)
    assert boundary_f(shifted, gt) == 1.0 and 0.9 < jaccard(shifted, gt) < 1.0
    far = _disc(200, 200, 120, 100, 50)
    assert boundary_f(far, gt) < 0.3
    assert jaccard(np.zeros_like(gt), gt) == 0.0


def test_unannotated_people_are_ignored_only_when_apart_from_the_subject():
    gt = _disc(200, 400, 100, 100, 40)
    pred = gt | _disc(200, 400, 320, 100, 30)  # someone else, far away
    kept = drop_unannotated_blobs(pred, gt)
    assert np.array_equal(kept, gt)


def test_flicker_counts_only_pixels_whose_truth_is_still():
    score = SequenceScore()
    gt = _disc(100, 100, 50, 50, 20)
    score.add(np.full((100, 100), 0.5, np.float32), gt)
    score.add(np.full((100, 100), 0.6, np.float32), gt)
    r = score.summary()
    assert abs(r["flicker"] - 10.0) < 1e-4 and abs(r["dtSSD"] - 10.0) < 1e-4


def test_eval_command_scores_our_masks_against_mediapipes_on_real_photos(tmp_path, people_photos):
    frames, masks = tmp_path / "frames", tmp_path / "masks"
    frames.mkdir()
    masks.mkdir()
    for name, rgb in people_photos.items():
        cv2.imwrite(str(frames / f"{name}.png"), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
        ref = cv2.imread(str(REPO / "tests/data/mediapipe_reference" / f"{name}_selfie_general.png"), 0)
        cv2.imwrite(str(masks / f"{name}.png"), np.where(ref > 127, 255, 0).astype(np.uint8))
    res = run_cli("eval", "--frames", str(frames), "--masks", str(masks), "--stills", "--raw", "--json")
    assert res.returncode == 0, res.stderr
    row = json.loads(res.stdout)["results"]["frames"]
    assert row["frames"] == 2 and row["J"] > 0.99 and row["F"] > 0.95


def test_eval_phases_average_the_video_played_from_each_of_its_first_frames(tmp_path, people_photos):
    """`--phases 2` scores the video from its first frame and from its second, and averages the two: with
    the first frame's truth empty (J 0 there) and the others matching, that is (1/3 + 1) / 2 of the way."""
    frames, masks = tmp_path / "frames", tmp_path / "masks"
    frames.mkdir()
    masks.mkdir()
    for i, name in enumerate(["astronaut", "cameraman", "astronaut"]):
        cv2.imwrite(str(frames / f"{i:05d}.png"), cv2.cvtColor(people_photos[name], cv2.COLOR_RGB2BGR))
        ref = cv2.imread(str(REPO / "tests/data/mediapipe_reference" / f"{name}_selfie_general.png"), 0)
        cv2.imwrite(str(masks / f"{i:05d}.png"), np.where((ref > 127) & (i > 0), 255, 0).astype(np.uint8))
    rows = {}
    for phases in (1, 2):
        res = run_cli("eval", "--frames", str(frames), "--masks", str(masks), "--raw", "--phases", str(phases),
                      "--json")
        assert res.returncode == 0, res.stderr
        rows[phases] = json.loads(res.stdout)["results"]["frames"]
    assert rows[1]["frames"] == 3 and rows[2]["frames"] == 2.5
    assert abs(rows[1]["J"] - 2 / 3) < 0.01 and abs(rows[2]["J"] - (2 / 3 + 1) / 2) < 0.01
