"""Person tracking: the crop follows people, keeps groups whole, and lets go when they leave."""

from __future__ import annotations

import cv2
import numpy as np

from core.cpu_frame import full_size, run_frame
from core.geometry import FULL, Rect
from core.mask_source import MaskOptions
from core.segmenter import Segmenter
from core.selfie import SelfiePipeline, _new_people
from core.tools.metrics import jaccard
from core.tracking import SEARCH_TILES, PersonTracker
from tests.conftest import REPO

REF = REPO / "tests" / "data" / "mediapipe_reference" / "astronaut_selfie_general.png"


def _scene(people_photos, places, size=(1280, 720), scale=200):
    """People (the astronaut, `scale` px tall) on a plain wall, with their true masks."""
    w, h = size
    frame = np.full((h, w, 3), 90, np.uint8)
    truth = np.zeros((h, w), bool)
    person = cv2.resize(people_photos["astronaut"], (scale, scale), interpolation=cv2.INTER_AREA)
    mask = cv2.resize(cv2.imread(str(REF), cv2.IMREAD_GRAYSCALE), (scale, scale)) > 127
    for x, y in places:
        frame[y:y + scale, x:x + scale][mask] = person[mask]
        truth[y:y + scale, x:x + scale] |= mask
    return frame, truth


def _run(pipe, frame, n=4):
    for i in range(n):
        result = run_frame(pipe, frame, i)
    return result, full_size(result, frame) > 127


def test_a_small_person_is_segmented_better_through_a_crop(people_photos):
    frame, truth = _scene(people_photos, [(900, 420)])
    seg = Segmenter("selfie_general", "cpu")
    raw_result, raw = _run(SelfiePipeline(seg, MaskOptions(tracking=False, temporal=0.0)), frame)
    roi_result, tracked = _run(SelfiePipeline(seg, MaskOptions(tracking=True, temporal=0.0)), frame)
    assert raw_result.rect == FULL and not roi_result.rect.is_full
    assert jaccard(tracked, truth) > jaccard(raw, truth) + 0.05, (jaccard(tracked, truth), jaccard(raw, truth))


def test_the_crop_keeps_a_group_together_and_lets_go_when_people_leave(people_photos):
    pipe = SelfiePipeline(Segmenter("selfie_general", "cpu"), MaskOptions(tracking=True, temporal=0.0))
    group, truth = _scene(people_photos, [(100, 420), (500, 400)])
    result, mask = _run(pipe, group)
    r = result.rect
    assert r.x0 * 1280 <= 110 and r.x1 * 1280 >= 690  # both people inside the one crop
    assert mask[truth].mean() > 0.8
    empty = np.full((720, 1280, 3), 90, np.uint8)
    _run(pipe, empty, n=2)
    assert pipe.plan(1280, 720).crops[0].rect == FULL  # nobody left: look at the whole frame again


def test_a_person_filling_the_frame_uses_the_whole_frame(people_photos):
    pipe = SelfiePipeline(Segmenter("selfie_general", "cpu"), MaskOptions(tracking=True))
    result, _ = _run(pipe, people_photos["astronaut"])
    assert result.rect == FULL


def test_two_small_people_far_apart_get_a_crop_each_and_both_are_cut_out(people_photos):
    """One union box would cover most of the frame, where they are small again (it used to: the
    second person came out at 0.49 of their pixels)."""
    frame, truth = _scene(people_photos, [(100, 300), (1050, 500)], scale=144)
    pipe = SelfiePipeline(Segmenter("selfie_general", "cpu"), MaskOptions(temporal=0.0))
    _, mask = _run(pipe, frame)
    crops = pipe.plan(1280, 720).crops
    assert len(crops) == 2 and all((c.rect.x1 - c.rect.x0) < 0.3 for c in crops), crops
    assert mask[truth].mean() > 0.95 and mask[~truth].mean() < 0.01


def test_the_search_looks_at_one_tile_per_mask_only_while_nobody_is_tracked():
    tracker = PersonTracker({"selfie_general": 1.0}, full_every=30)
    tiles = []
    for _ in range(len(SEARCH_TILES)):
        crops, searching = tracker.plan(1280, 720)
        assert [r for r, _ in crops][0] == FULL and searching == 1
        tiles.append(crops[1][0])
    assert tiles[0] == Rect(0.25, 0.25, 0.75, 0.75) and set(tiles) == set(SEARCH_TILES)  # the middle first
    person = np.zeros((256, 256), np.float32)
    person[100:200, 110:150] = 1.0
    tracker.update(person, FULL, 1280, 720)
    for _ in range(30):  # tracking: the person's crop alone, no search cost
        crops, searching = tracker.plan(1280, 720)
        assert len(crops) == 1 and searching == 0 and not crops[0][0].is_full
    crops, searching = tracker.plan(1280, 720)  # the periodic look: the crop, then the frame and a tile
    assert len(crops) == 3 and searching == 2 and crops[1][0] == FULL


def test_the_timed_look_sees_a_tile_each_time_and_the_whole_frame_every_second_time():
    """In OBS (every_s): the tile rotation keeps the timed looks' pace, the whole frame comes half as often."""
    now = [0.0]
    tracker = PersonTracker({"selfie_general": 1.0}, full_every=30, every_s=0.5, clock=lambda: now[0])
    person = np.zeros((256, 256), np.float32)
    person[100:200, 110:150] = 1.0
    tracker.update(person, FULL, 1280, 720)
    looks = []
    for i in range(60):  # 2 s at 30 masks a second
        now[0] = (i + 1) / 30
        crops, searching = tracker.plan(1280, 720)
        if searching:
            looks.append((round(now[0], 2), searching, FULL in [r for r, _ in crops]))
            assert crops[-1][0] in SEARCH_TILES
    assert [n for _, n, _ in looks] == [1, 2, 1, 2]  # a tile, then the whole frame and a tile
    assert [whole for *_, whole in looks] == [False, True, False, True]
    assert [t for t, *_ in looks] == [0.5, 1.0, 1.5, 2.0]


def test_an_identity_warp_copies_exactly():
    """The stitch takes a crop already on its grid as it is (core/selfie.py _stitch_on): what the warp it
    skips would give."""
    rng = np.random.default_rng(0)
    identity = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    p = rng.random((256, 256), dtype=np.float32)
    rgb = rng.integers(0, 256, (256, 256, 3), dtype=np.uint8)
    assert np.array_equal(cv2.warpAffine(p, identity, (256, 256), flags=cv2.INTER_LINEAR,
                                         borderMode=cv2.BORDER_CONSTANT), p)
    assert np.array_equal(cv2.warpAffine(rgb, identity, (256, 256), flags=cv2.INTER_LINEAR,
                                         borderMode=cv2.BORDER_REPLICATE), rgb)


def test_the_search_keeps_exactly_the_blobs_its_rule_names():
    """_new_people's rule, blob by blob, against what it computes for all blobs at once, on noisy tiles."""
    from core.selfie import NEW_PERSON_MIN_AREA, NEW_PERSON_MIN_P

    rng = np.random.default_rng(1)
    for _ in range(20):
        tile = (rng.random((256, 256)) > 0.997).astype(np.float32)  # specks
        for _ in range(12):  # blobs of every size, some unsure (around NEW_PERSON_MIN_P), some overlapping
            y, x, h, w = rng.integers(0, 230, 2).tolist() + rng.integers(2, 30, 2).tolist()
            tile[y:y + h, x:x + w] = rng.uniform(0.45, 0.7)
        whole = np.zeros_like(tile)
        y, x = rng.integers(0, 200, 2)
        whole[y:y + 40, x:x + 40] = 1.0
        person = tile > 0.5
        blobs = cv2.dilate(person.astype(np.uint8), np.ones((5, 5), np.uint8))
        n, labels, _, _ = cv2.connectedComponentsWithStats(blobs, connectivity=8, ltype=cv2.CV_16U)
        seen = cv2.dilate((whole > 0.5).astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
        keep = np.zeros(tile.shape, bool)
        for k in range(1, n):
            blob = (labels == k) & person
            if blob.sum() >= NEW_PERSON_MIN_AREA * tile.size and not seen[blob].any() \
                    and float(tile[blob].mean()) >= NEW_PERSON_MIN_P:
                keep |= blob
        assert n > 2 and keep.any() and not keep.all()
        assert np.array_equal(_new_people(tile, whole), np.where(keep, tile, 0.0).astype(np.float32))


def test_a_search_adds_only_people_the_crops_before_it_missed():
    whole = np.zeros((256, 256), np.float32)
    whole[50:150, 50:100] = 1.0  # someone found
    tile = np.zeros_like(whole)
    tile[40:160, 45:110] = 0.9  # the same person, coarser: kept out (as graffiti next to them would be)
    tile[60:120, 200:220] = 0.95  # someone new
    tile[10:12, 200:202] = 1.0  # a speck
    tile[200:240, 150:200] = 0.52  # unsure: a zoomed-in wall
    new = _new_people(tile, whole)
    assert new[60:120, 200:220].min() == np.float32(0.95)
    assert new[:, :150].max() == 0 and new[10:12, 200:202].max() == 0 and new[200:240, 150:200].max() == 0
