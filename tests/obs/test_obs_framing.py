"""Auto-frame in real OBS 29: a person off-centre ends up centred and larger, every background mode
applies to the framed picture, a second person widens the window, and with framing off the output
is what it was."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from tests.obs_harness import ObsInstance, filter_entry, pattern_settings
from tests.unit.test_tracking import _scene

pytestmark = pytest.mark.obs

W, H = 1280, 720
MAGENTA = (255, 0, 255)


def _box(alpha: np.ndarray) -> tuple[int, int, int, int]:
    """The bounding box (x0, y0, x1, y1) of the opaque part, specks opened away."""
    solid = cv2.morphologyEx((alpha > 127).astype(np.uint8), cv2.MORPH_OPEN, np.ones((5, 5), np.uint8))
    ys, xs = np.nonzero(solid)
    return int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1


def _people(alpha: np.ndarray) -> int:
    """Opaque parts larger than 2% of the output: the people in the picture."""
    count, _, stats, _ = cv2.connectedComponentsWithStats((alpha > 127).astype(np.uint8))
    return int((stats[1:, cv2.CC_STAT_AREA] > 0.02 * alpha.size).sum())


def _alpha_over(shot: np.ndarray, fg: np.ndarray, bg: np.ndarray, region: np.ndarray) -> float:
    """The alpha a composite `shot` = a fg + (1 - a) bg shows over `region`, by least squares over the
    pixels whose person and background colours differ."""
    d = (fg - bg)[region].astype(float)
    o = (shot - bg)[region].astype(float)
    keep = np.abs(d).sum(axis=1) > 60
    return float((o[keep] * d[keep]).sum() / (d[keep] ** 2).sum())


def _wait_framed(inst: ObsInstance, people, timeout: float = 30.0) -> dict:
    """The status record once auto-frame's camera is steady on a number of people `people` accepts."""
    def framed(r: dict) -> bool:
        frame = r.get("auto_frame")
        return bool(frame and frame["steady"] and people(frame["people"]))

    return inst.wait_record(framed, "the camera steady on the people in view", timeout)


def test_auto_frame_centres_and_enlarges_a_person_in_every_mode_and_widens_for_a_second(tmp_path, people_photos):
    one, truth = _scene(people_photos, [(150, 300)], scale=280)  # about 37% of the height, left of centre
    two, _ = _scene(people_photos, [(150, 300), (880, 300)], scale=280)
    for name, frame in (("one", one), ("two", two)):
        cv2.imwrite(str(tmp_path / f"{name}.png"), cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    cv2.imwrite(str(tmp_path / "magenta.png"), np.full((90, 160, 3), MAGENTA[::-1], np.uint8))
    ty, tx = np.nonzero(truth)
    tall = ty.max() + 1 - ty.min()
    assert 0.35 <= tall / H <= 0.40

    with ObsInstance(image=tmp_path / "one.png", filters=[filter_entry("Backdrop")]) as inst:
        inst.wait_log("engine ready for 'Backdrop'", timeout=60)
        inst.wait_masks(20)
        inst.set_filter({"framing": "follow"})
        _wait_framed(inst, lambda people: people == 1)
        shot = inst.screenshot()
        x0, y0, x1, y1 = _box(shot[:, :, 3])
        print(f"framed: box centre ({(x0 + x1) / 2:.0f}, {(y0 + y1) / 2:.0f}), {(y1 - y0) / tall:.2f}x as tall; "
              f"unframed: centre ({(tx.min() + tx.max()) / 2:.0f}, {(ty.min() + ty.max()) / 2:.0f})")
        assert abs((x0 + x1) / 2 - W / 2) <= 0.12 * W and abs((y0 + y1) / 2 - H / 2) <= 0.12 * H
        assert y1 - y0 >= 1.4 * tall

        # Every mode on the framed picture: the person keeps alpha >= 0.8 (the mask is framed as the video).
        fg, alpha = shot[:, :, :3].astype(int), shot[:, :, 3]
        person = cv2.erode((alpha >= 250).astype(np.uint8), np.ones((9, 9), np.uint8)) > 0
        assert alpha[person].mean() / 255 >= 0.8
        corner = (slice(0, 20), slice(0, 20))
        assert alpha[corner].max() == 0  # the wall is background
        for mode, extra, backdrop in (("color", {"background_color": 0xFFFF00FF}, MAGENTA),
                                      ("image", {"background_image": str(tmp_path / "magenta.png")}, MAGENTA),
                                      ("blur", {"blur_strength": 16}, (90, 90, 90))):
            inst.set_filter({"mode": mode, "light_wrap": 0.0, **extra})

            def switched(backdrop=backdrop):
                out = inst.screenshot()[:, :, :3].astype(int)
                return (out,) if np.abs(out[corner] - backdrop).max() <= 3 else None

            out, = inst.wait_for(switched, f"{mode}: the background shown")
            bg = np.broadcast_to(np.array(backdrop), out.shape)
            a = _alpha_over(out, fg, bg, person)
            print(f"{mode}: alpha {a:.3f} over the framed person")
            assert a >= 0.8, (mode, a)
        inst.set_filter({"mode": "transparent"})

        # A second person walks in: the window widens to hold both.
        inst.call("SetInputSettings", {"inputName": "Camera", "inputSettings": {"file": str(tmp_path / "two.png")}})
        _wait_framed(inst, lambda people: people == 2)

        def two_people():
            shot = inst.screenshot()
            return (shot,) if _people(shot[:, :, 3]) == 2 else None

        both, = inst.wait_for(two_people, "both people in the picture")
        x0, _, x1, _ = _box(both[:, :, 3])
        print(f"two people: {_people(both[:, :, 3])} in the picture, {x0}..{x1} px wide")
        assert x0 > 0 and x1 < W  # both whole, with a margin



def test_with_framing_off_every_mode_shows_what_it_showed_before(tmp_path):
    """The output with framing back off is the output before it was ever on, to one level, in every
    mode: with a test pattern for a mask (bright pixels are the person), so that every frame's mask is
    exactly the same and any difference is the framing's."""
    from tests.unit.test_framing import _silhouette

    person = _silhouette(head=60, top=200, left=250) > 0
    scene = np.full((H, W, 3), 40, np.uint8)
    scene[person] = (np.indices((H, W))[1][person] % 50 + 180)[:, None]  # bright, so the pattern's person
    cv2.imwrite(str(tmp_path / "scene.png"), scene)
    cv2.imwrite(str(tmp_path / "picture.png"), np.dstack([np.linspace(0, 255, 1280, dtype=np.uint8)[None, :]
                                                           .repeat(720, 0)] * 3))
    modes = {"transparent": {}, "color": {"background_color": 0xFFFF00FF},
             "image": {"background_image": str(tmp_path / "picture.png")}, "blur": {"blur_strength": 16}}
    pattern = filter_entry("Backdrop", pattern_settings("luma"))
    with ObsInstance(image=tmp_path / "scene.png", filters=[pattern]) as inst:
        inst.wait_masks(3)

        def shots() -> dict[str, np.ndarray]:
            taken = {}
            for mode, extra in modes.items():
                inst.set_filter({"mode": mode, **extra})
                inst.wait_masks(2)
                taken[mode] = inst.screenshot().astype(int)
            return taken

        before = shots()
        inst.set_filter({"framing": "follow", "framing_zoom": "head_shoulders"})
        _wait_framed(inst, lambda people: people >= 1)
        framed = inst.screenshot().astype(int)
        assert np.abs(framed - before["blur"]).max() > 100  # framing did change the picture
        inst.set_filter({"framing": "off"})
        inst.wait_record(lambda r: "auto_frame" in r and r["auto_frame"] is None, "auto-frame off")
        after = shots()
    for mode in modes:
        diff = np.abs(after[mode] - before[mode]).max()
        print(f"{mode}: framing off, largest difference from before {diff} level(s)")
        assert diff <= 1, mode
