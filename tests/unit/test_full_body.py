"""full_body (core/full_body.py): the fusion rule, the two-crop plan and what the GPU draws for it,
and half-body framing left to the selfie model."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from core.cpu_frame import run_frame
from core.full_body import FullBodyPipeline, full_body_in_view, fuse
from core.mask_source import Border, Crop, MaskOptions, PoseState
from core.pose import DETECTOR, LANDMARKS, Roi, cut, letterbox_crop
from core.segmenter import Segmenter
from core.selfie import SelfiePipeline


def _disc(shape, centre, radius) -> np.ndarray:
    out = np.zeros(shape, np.uint8)
    cv2.circle(out, centre, radius, 255, -1)
    return out


def test_fusion_keeps_other_people_and_a_lost_limb_and_drops_the_selfie_halo():
    shape = (256, 256)
    pose = np.zeros(shape, np.uint8)
    pose[60:200, 100:140] = 255  # the main person, 140 px tall
    selfie = cv2.dilate(pose, np.ones((5, 5), np.uint8))  # the selfie's halo: 2 px around the person
    selfie[60:70, 140:220] = 255  # an arm the pose missed: 10 px thick, 80 px long
    selfie = np.maximum(selfie, _disc(shape, (40, 120), 25))  # someone else
    fused = fuse(selfie, pose, (1.0, 1.0))
    assert (fused[pose > 127] == 255).all()
    assert fused[62:68, 160:215].min() == 255  # the arm stays
    assert fused[_disc(shape, (40, 120), 20) > 0].min() == 255  # so does the other person
    halo = (selfie > 127) & (pose < 128)
    halo[60:70, 138:222] = False
    halo[_disc(shape, (40, 120), 27) > 0] = False
    assert halo.sum() > 500 and fused[halo].max() == 0  # the thin band around the person goes


def test_without_a_pose_person_the_fusion_is_the_selfie_mask():
    selfie = _disc((64, 64), (32, 32), 10)
    assert fuse(selfie, np.zeros_like(selfie), (1.0, 1.0)) is selfie


def test_full_body_in_view_needs_hips_and_knees_inside_the_frame():
    points = np.full((33, 2), 0.5, np.float32)
    assert full_body_in_view(points)
    points[25] = (0.5, 1.2)  # a knee below the frame: a webcam at a desk
    assert not full_body_in_view(points)


@pytest.mark.parametrize("crop", [Crop(quad=Roi(0.45, 0.5, 0.5, 0.8, 0.4).quad(854, 480), model=LANDMARKS,
                                       size=(256, 256)),
                                  letterbox_crop(854, 480)[0]], ids=["rotated, replicate", "letterbox, zero"])
def test_the_gpu_crop_mapping_samples_where_the_cpu_cut_does(people_photos, crop):
    """backdrop_crop.effect samples the frame bilinearly at origin + u * x_axis + v * y_axis, with
    clamp (replicate) or a black border: emulated here, it gives the CPU cut's pixels."""
    rgb = cv2.resize(people_photos["astronaut"], (854, 480))
    (ox, oy), (ax, ay, bx, by) = crop.frame_uv_map(854, 480)
    mw, mh = crop.size
    u, v = np.meshgrid((np.arange(mw) + 0.5) / mw, (np.arange(mh) + 0.5) / mh)
    fx, fy = (ox + u * ax + v * bx) * 854 - 0.5, (oy + u * ay + v * by) * 480 - 0.5
    border = cv2.BORDER_CONSTANT if crop.border is Border.ZERO else cv2.BORDER_REPLICATE
    gpu = cv2.remap(rgb, fx.astype(np.float32), fy.astype(np.float32), cv2.INTER_LINEAR, borderMode=border)
    diff = np.abs(gpu.astype(int) - cut(rgb, crop).astype(int))
    assert diff.max() <= 3 and diff.mean() < 0.2  # OpenCV's fixed-point rounding, nothing more


def test_the_plan_has_the_selfie_crops_then_the_detector_then_the_tracked_pose(people_photos):
    rgb = people_photos["astronaut"]
    h, w = rgb.shape[:2]
    pipe = FullBodyPipeline(Segmenter("selfie_general", "cpu"), MaskOptions(), "cpu")
    first = pipe.plan(w, h)  # nobody yet: the whole frame and a search tile, then the detector's letterbox
    assert [(c.model, c.search) for c in first.crops] == [("selfie_general", False), ("selfie_general", True),
                                                          (DETECTOR, False)]
    run_frame(pipe, rgb)  # the detector finds the astronaut: the next frame tracks her
    second = pipe.plan(w, h)
    assert second.crops[-1].model == LANDMARKS and isinstance(second.crops[-1].tag, Roi)


def test_half_body_framing_gives_exactly_the_selfie_mask(people_photos):
    """The astronaut from the waist up: the pose finds her, but no full body is in view, so the
    result is the selfie model's own, pixel for pixel."""
    rgb = people_photos["astronaut"]
    full = FullBodyPipeline(Segmenter("selfie_general", "cpu"), MaskOptions(), "cpu")
    selfie = SelfiePipeline(Segmenter("selfie_general", "cpu"), MaskOptions())
    for i in range(8):
        fused, alone = run_frame(full, rgb, i), run_frame(selfie, rgb, i)
    assert fused.status.pose is PoseState.NO_FULL_BODY
    assert fused.rect == alone.rect and np.array_equal(fused.mask, alone.mask)
