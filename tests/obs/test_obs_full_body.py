"""The Full body preset in real OBS 29: the pose's crops drawn on the GPU (a rotated square, or the
letterboxed frame while re-detecting), read back at model size, fused with the selfie mask; on a
full-body frame the selfie model alone loses a leg, the fused mask keeps it."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from core.mask_source import MaskOptions
from core.pipelines import make_pipeline
from core.tools.media_io import read_rgb
from tests.obs_harness import ObsInstance, assert_effect_failure_passes_video_through, filter_entry

pytestmark = pytest.mark.obs

EVAL = Path(__file__).resolve().parents[3] / "shared" / "eval" / "davis" / "breakdance-flare"
FRAME = "00000"  # the dancer on one hand, a leg straight up: the selfie model alone drops that leg


def _cpu_masks(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(selfie default, full_body) uint8 masks for the frame shown as a still (settled)."""
    selfie = make_pipeline("selfie_general", "cpu", 2, MaskOptions())
    full = make_pipeline("full_body", "cpu", 2, MaskOptions())
    for _ in range(6):
        s, f = selfie.frame_mask(rgb), full.frame_mask(rgb)
    return s, f


def _limb(rgb: np.ndarray) -> np.ndarray:
    """The largest part of the person that full_body keeps and the selfie model alone loses (CPU),
    eroded away from its edges."""
    truth = cv2.imread(str(EVAL / "masks" / f"{FRAME}.png"), cv2.IMREAD_GRAYSCALE) > 127
    s, f = _cpu_masks(rgb)
    gain = (truth & (f > 127) & (s < 128)).astype(np.uint8)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(gain)
    assert n > 1, "the frame no longer shows the selfie model dropping a limb"
    limb = (labels == 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))).astype(np.uint8)
    return cv2.erode(limb, np.ones((7, 7), np.uint8)) > 0


def _alpha_when(inst: ObsInstance, limb: np.ndarray, done, timeout: float = 30.0) -> float:
    """Mean alpha (0..1) over the limb in the first screenshot for which `done(mean)` holds."""
    def limb_alpha() -> float:
        alpha = inst.screenshot()[:, :, 3]  # raises for a source that is 0x0 right now: not yet
        assert alpha.shape == limb.shape, "the source does not have its new size yet"
        return float(alpha[limb].mean()) / 255.0

    mean = inst.poll(limb_alpha, done, "the limb's alpha", timeout, interval=0.2, fail=False)
    return float("nan") if mean is None else mean


def _gone(inst: ObsInstance, timeout: float = 20.0) -> None:
    """Wait until the source has no picture (OBS refuses to screenshot a 0x0 source)."""
    def no_picture() -> bool:
        try:
            inst.screenshot()
        except Exception:  # OBS refuses to screenshot a 0x0 source
            return True
        return False

    inst.wait_for(no_picture, "the source without a picture", timeout, interval=0.2)


@pytest.mark.skipif(not EVAL.is_dir(), reason="needs ../shared/eval")
def test_full_body_keeps_the_leg_the_selfie_model_drops_and_says_the_pose_branch_is_active(tmp_path):
    frame = EVAL / "frames" / f"{FRAME}.jpg"
    picture = tmp_path / "dancer.png"  # PNG: OBS and OpenCV decode JPEG slightly differently
    rgb = read_rgb(frame)
    cv2.imwrite(str(picture), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    limb = _limb(rgb)
    h, w = rgb.shape[:2]
    with ObsInstance(image=picture, width=w, height=h, filters=[filter_entry("Backdrop")],
                     env={"BACKDROP_STATUS_LOG_S": "0.5"}) as inst:
        inst.wait_record(lambda r: r.get("mask_fps", 0) >= 1, "a mask a second or more", timeout=60)
        selfie_only = _alpha_when(inst, limb, lambda m: m < 0.5)
        assert inst.status_record()["pose"] is None  # the selfie model alone has no pose branch
        assert "pose branch" not in inst.latest_status()

        inst.set_filter({"preset": "full_body"})
        inst.wait_record(lambda r: r.get("pose") == "active", "the pose branch active", timeout=60)
        status = inst.wait_status(r"pose branch active", timeout=5)  # in words, for the user
        assert "Full body:" in status and "+ pose" in status
        full_body = _alpha_when(inst, limb, lambda m: m > 0.5)
        print(f"leg ({limb.sum()} px): mean alpha {selfie_only:.2f} with the selfie model alone, "
              f"{full_body:.2f} with Full body; {status}")
        assert selfie_only < 0.5 < full_body

        # A mask every third frame (a slower CPU still): the frames between get masks carried by motion,
        # through what follows too.
        inst.set_filter({"preset": "custom", "model": "full_body", "mask_every_n_frames": 3})
        inst.wait_record(lambda r: r.get("preset") == "custom" and r["carried"] >= 1
                         and r["sessions"].startswith("selfie_general on CPU + pose"),
                         "Custom, masks carried forward by motion", timeout=30)
        # The source changes size, vanishes (0x0) and comes back: the plans and thumbnails follow, the
        # leg stays.
        bigger = tmp_path / "dancer-720p.png"
        cv2.imwrite(str(bigger), cv2.resize(cv2.imread(str(picture)), (1280, 720), interpolation=cv2.INTER_LINEAR))
        big_limb = cv2.resize(limb.astype(np.uint8), (1280, 720), interpolation=cv2.INTER_NEAREST) > 0
        inst.call("SetInputSettings", {"inputName": "Camera", "inputSettings": {"file": str(bigger)}})
        assert _alpha_when(inst, big_limb, lambda m: m > 0.5, timeout=60) > 0.5
        inst.call("SetInputSettings", {"inputName": "Camera", "inputSettings": {"file": str(tmp_path / "gone.png")}})
        _gone(inst)  # 0x0: nothing to draw, nothing may break
        inst.call("SetInputSettings", {"inputName": "Camera", "inputSettings": {"file": str(picture)}})
        assert _alpha_when(inst, limb, lambda m: m > 0.5, timeout=60) > 0.5
        assert "Traceback" not in inst.log_text()
        assert inst.stop() == 0


def test_a_crop_effect_that_does_not_compile_is_reported_and_video_passes_through(tmp_path):
    """The pose's crops are drawn by an effect of their own: if a renderer rejects it, Full body says
    so in the status line (logged once, not retried every frame) and the picture is untouched."""
    ours = Path(__file__).resolve().parents[2] / "obs_script" / "data" / "backdrop_crop.effect"
    broken = tmp_path / "broken_crop.effect"
    broken.write_text(ours.read_text().replace("uniform float2 origin;", "struct Broken {{ float x; };\n"
                                                                        "uniform float2 origin;"))
    env = {"BACKDROP_TEST_FAULTS": f"crop_effect={broken}", "BACKDROP_STATUS_LOG_S": "0.5"}
    with ObsInstance(env=env) as inst:
        reference = inst.screenshot()
        inst.add_filter(settings={"preset": "full_body"})
        inst.wait_log("status: Passing video through: the effect broken_crop.effect does not compile", timeout=60)
        assert_effect_failure_passes_video_through(inst, reference)
    assert inst.exit_code == 0
