"""The capture side of one Backdrop filter: draw the input, downscale, read back.

Every method except `destroy` runs on OBS's graphics thread inside `video_render`, where the
graphics context is already held. Frame flow (compositing is compositor.py's):

    target --draw--> ring[slot] (WxH RGBA; a ring of past frames for "match video to mask")
    ring[slot] --each crop of the plan, linear--> small (model size) --stage--> stage surface
        (a rectangle: the default effect, a scaled view; a quad: data/backdrop_crop.effect)
    one frame later: stage surface --map--> numpy (model size RGB) -> the async runner
    only for a frame not sent to the worker (and the frames before it back to the newest mask, still
    in the ring): ring[f] --linear--> thumbnail (256 px) --stage--> one frame later --map--> numpy ->
        the runner's motion thread (core/motion.py)

`passes` counts every GPU pass this side makes, by kind, for the status record and bench_obs.py.
"""

from __future__ import annotations

import ctypes
from collections import Counter
from pathlib import Path
from typing import cast

from ..core.geometry import FULL, Rect
from ..core.mask_source import Border, Crop, FramePlan, thumb_size
from . import libobs as L
from .libobs import lib

CROP_EFFECT = Path(__file__).resolve().parent / "data" / "backdrop_crop.effect"

_CLEAR_BUF, _CLEAR_ZERO = L.aligned_vec4(0.0, 0.0, 0.0, 0.0)


def draw_into(texrender, cx: int, cy: int, view: tuple[float, float, float, float], draw) -> bool:
    """Render `draw()` into texrender (cx x cy), with `view` = (left, right, top, bottom) as ortho,
    copying RGBA exactly (no blending)."""
    lib.gs_texrender_reset(texrender)
    if not lib.gs_texrender_begin(texrender, cx, cy):
        return False
    try:
        lib.gs_clear(L.GS_CLEAR_COLOR, _CLEAR_ZERO, 0.0, 0)
        lib.gs_ortho(*view, -100.0, 100.0)
        lib.gs_blend_state_push()
        lib.gs_blend_function(L.GS_BLEND_ONE, L.GS_BLEND_ZERO)
        try:
            draw()
        finally:
            lib.gs_blend_state_pop()
    finally:
        lib.gs_texrender_end(texrender)
    return True


class FrameCapture:
    """Capture resources of one filter, created lazily on the graphics thread, freed in `destroy`."""

    def __init__(self, crop_effect: Path = CROP_EFFECT) -> None:
        self.crop_effect_path = crop_effect
        self.crop_effect: int | None = None  # compiled on the first frame, drawn when a plan has a quad
        self.crop_failure: str | None = None  # why it does not compile (an error once a quad needs it)
        self.crop_params: dict[str, int] = {}
        self.error: str | None = None  # latched: the crop effect does not compile here
        self.ring: list[int] = []
        self.ring_frames: list[int] = []  # which frame each ring slot holds
        self.smalls: dict[tuple[int, int], int] = {}  # one texrender per crop size
        # Two copies in flight (this frame's and last frame's), each one stage surface per crop.
        self.slots: list[dict[int, tuple[tuple[int, int], int]]] = [{}, {}]
        self.pending: list[tuple[int, int, int, FramePlan]] = []  # (slot, frame id, frame staged at, plan)
        self.thumb = None  # the thumbnail's texrender (its own: a model may have the same size)
        # Stage surfaces, one per thumbnail in flight (a missed frame can draw several at once)
        self.thumb_slots: list[tuple[tuple[int, int], int] | None] = []
        self.thumbs_pending: list[tuple[int, int, int]] = []  # (slot, frame id, frame staged at)
        # GPU passes by kind since the filter started: "ring" (the source into the frame ring), "crop"
        # (a model-size crop drawn), "crop_readback" (a staged crop mapped), "thumbnail" (drawn),
        # "thumbnail_readback" (mapped); the compositor counts its own.
        self.passes: Counter[str] = Counter()

    # -- resources ---------------------------------------------------------------------------
    def ensure(self, ring_size: int) -> bool:
        """The ring of full frames at `ring_size` (crop-sized resources are made as plans ask for them).
        The crop effect is compiled on the first frame too, with the compositor's effects: compiled when
        a plan first has a quad (Full body chosen later), it held that frame's render ~10 ms longer."""
        if self.crop_effect is None and self.crop_failure is None:
            self.crop_effect, why = L.effect_from_file(self.crop_effect_path)
            if self.crop_effect:
                self.crop_params = {p: lib.gs_effect_get_param_by_name(self.crop_effect, p.encode())
                                    for p in ("image", "origin", "axes")}
            else:
                self.crop_failure = why
        if len(self.ring) != ring_size:
            self._resize_ring(ring_size)
        return all(self.ring)

    def _resize_ring(self, size: int) -> None:
        """Slots move with the size (frame % size): the frames held move with them, newest first, so
        matching video to mask does not lose the frames it is about to show when its delay grows."""
        held = sorted(((f, tr) for f, tr in zip(self.ring_frames, self.ring, strict=True) if f >= 0), reverse=True)
        spare = [tr for f, tr in zip(self.ring_frames, self.ring, strict=True) if f < 0]
        ring: list[int | None] = [None] * size
        frames = [-1] * size
        for frame, tr in held:
            if ring[frame % size] is None:
                ring[frame % size], frames[frame % size] = tr, frame
            else:
                spare.append(tr)
        for slot in range(size):
            if ring[slot] is None:
                ring[slot] = spare.pop() if spare else lib.gs_texrender_create(L.GS_RGBA, L.GS_ZS_NONE)
        for tr in spare:
            lib.gs_texrender_destroy(tr)
        self.ring, self.ring_frames = cast(list[int], ring), frames  # every slot filled above

    def _small(self, size: tuple[int, int]) -> int:
        if size not in self.smalls:
            self.smalls[size] = lib.gs_texrender_create(L.GS_RGBA, L.GS_ZS_NONE)
        return self.smalls[size]

    def _surface(self, slot: int, index: int, size: tuple[int, int]) -> int:
        have = self.slots[slot].get(index)
        if have is not None and have[0] == size:
            return have[1]
        if have is not None:
            lib.gs_stagesurface_destroy(have[1])
        surface = lib.gs_stagesurface_create(size[0], size[1], L.GS_RGBA)
        self.slots[slot][index] = (size, surface)
        return surface

    def destroy(self) -> None:
        """Free everything. Called from `destroy` (OBS's destroy thread), so it takes the graphics lock."""
        lib.obs_enter_graphics()
        try:
            for tr in self.ring + list(self.smalls.values()) + ([self.thumb] if self.thumb else []):
                lib.gs_texrender_destroy(tr)
            surfaces = [surface for slot in self.slots for _, surface in slot.values()]
            for surface in surfaces + [have[1] for have in self.thumb_slots if have is not None]:
                if surface:
                    lib.gs_stagesurface_destroy(surface)
            if self.crop_effect:
                lib.gs_effect_destroy(self.crop_effect)
            self.crop_effect = None
            self.ring, self.ring_frames, self.smalls, self.slots, self.pending = [], [], {}, [{}, {}], []
            self.thumb, self.thumb_slots, self.thumbs_pending = None, [], []
        finally:
            lib.obs_leave_graphics()

    # -- per frame ---------------------------------------------------------------------------
    def render_target(self, target: int, width: int, height: int, frame: int) -> int | None:
        """The filter's input at full resolution into the ring, as a texture."""
        default = lib.obs_get_base_effect(L.OBS_EFFECT_DEFAULT)

        def draw():
            # A non-custom-draw source renders with the current effect: loop the default one.
            while lib.gs_effect_loop(default, b"Draw"):
                lib.obs_source_video_render(target)

        slot = frame % len(self.ring)
        self.ring_frames[slot] = -1
        self.passes["ring"] += 1
        if not draw_into(self.ring[slot], width, height, (0.0, float(width), 0.0, float(height)), draw):
            return None
        self.ring_frames[slot] = frame
        return lib.gs_texrender_get_texture(self.ring[slot])

    def has_frame(self, frame: int) -> bool:
        return bool(self.ring) and self.ring_frames[frame % len(self.ring)] == frame

    def ring_texture(self, frame: int) -> int | None:
        return lib.gs_texrender_get_texture(self.ring[frame % len(self.ring)]) if self.has_frame(frame) else None

    def stage(self, tex: int, width: int, height: int, frame_id: int, render_frame: int, plan: FramePlan) -> bool:
        """Draw each crop of `plan` out of `tex` at its model size and queue its copy to the CPU.
        False when both slots are busy or the GPU refused a resource."""
        busy = {slot for slot, _, _, _ in self.pending}
        free = [slot for slot in range(len(self.slots)) if slot not in busy]
        if not free:
            return False
        for index, crop in enumerate(plan.crops):
            small, surface = self._small(crop.size), self._surface(free[0], index, crop.size)
            draw = self._draw_rect if crop.quad is None else self._draw_quad
            self.passes["crop"] += 1
            if not small or not surface or not draw(small, tex, width, height, crop):
                return False
            lib.gs_stage_texture(surface, lib.gs_texrender_get_texture(small))
        self.pending.append((free[0], frame_id, render_frame, plan))
        return True

    def stage_thumbnail(self, tex: int, width: int, height: int, frame_id: int, render_frame: int) -> bool:
        """Draw a frame (`tex`: it, from the ring) at its thumbnail's size (core.mask_source.thumb_size)
        and queue its copy to the CPU. False when the GPU refused a resource."""
        busy = {slot for slot, _, _ in self.thumbs_pending}
        free = [slot for slot in range(len(self.thumb_slots)) if slot not in busy]
        if not free:
            self.thumb_slots.append(None)
            free = [len(self.thumb_slots) - 1]
        size = thumb_size(width, height)
        if self.thumb is None:
            self.thumb = lib.gs_texrender_create(L.GS_RGBA, L.GS_ZS_NONE)
        have = self.thumb_slots[free[0]]
        if have is None or have[0] != size:
            if have is not None and have[1]:
                lib.gs_stagesurface_destroy(have[1])
            have = self.thumb_slots[free[0]] = (size, lib.gs_stagesurface_create(size[0], size[1], L.GS_RGBA))
        self.passes["thumbnail"] += 1
        if not self.thumb or not have[1] or not self._draw_scaled(self.thumb, tex, width, height, FULL, size):
            return False
        lib.gs_stage_texture(have[1], lib.gs_texrender_get_texture(self.thumb))
        self.thumbs_pending.append((free[0], frame_id, render_frame))
        return True

    def read_thumbnails(self, render_frame: int) -> list[tuple[int, object]]:
        """(frame id, uint8 RGB thumbnail) of each thumbnail staged on an earlier frame, oldest first."""
        out = []
        while self.thumbs_pending and self.thumbs_pending[0][2] < render_frame:
            slot, frame_id, _ = self.thumbs_pending.pop(0)
            staged = self.thumb_slots[slot]
            assert staged is not None  # staged with its thumbnail
            size, surface = staged
            self.passes["thumbnail_readback"] += 1
            pixels = _read_rgb(surface, size)
            if pixels is not None:
                out.append((frame_id, pixels))
        return out

    def _draw_rect(self, small: int, tex: int, width: int, height: int, crop: Crop) -> bool:
        return self._draw_scaled(small, tex, width, height, crop.rect, crop.size)

    def _draw_scaled(self, small: int, tex: int, width: int, height: int, rect: Rect, size: tuple[int, int]) -> bool:
        """An axis-aligned crop: the frame drawn through a view of the rectangle. The view is shifted by
        half a texel so the GPU samples where MediaPipe's pure-scale warp (core/preprocess.py,
        core/tracking.py) does, instead of at scaled pixel centres: same input, same mask."""
        default = lib.obs_get_base_effect(L.OBS_EFFECT_DEFAULT)
        p_img = lib.gs_effect_get_param_by_name(default, b"image")

        def draw():
            lib.gs_effect_set_texture(p_img, tex)
            while lib.gs_effect_loop(default, b"Draw"):
                lib.gs_draw_sprite(tex, 0, width, height)

        (mw, mh) = size
        x0, y0, x1, y1 = rect.to_pixels(width, height)
        dx, dy = 0.5 * (1.0 - (x1 - x0) / mw), 0.5 * (1.0 - (y1 - y0) / mh)
        return draw_into(small, mw, mh, (x0 + dx, x1 + dx, y0 + dy, y1 + dy), draw)

    def _draw_quad(self, small: int, tex: int, width: int, height: int, crop: Crop) -> bool:
        """A quad crop (the pose's rotated square, the detector's letterbox), through backdrop_crop.effect."""
        if self.crop_effect is None:
            self.error = self.crop_failure  # latched: shown in the status line while a quad is needed
            return False
        effect, p = self.crop_effect, self.crop_params
        origin, axes = crop.frame_uv_map(width, height)
        technique = b"Zero" if crop.border is Border.ZERO else b"Replicate"
        mw, mh = crop.size

        def draw():
            lib.gs_effect_set_texture(p["image"], tex)
            lib.gs_effect_set_vec2(p["origin"], L.vec2(*origin))
            lib.gs_effect_set_vec4(p["axes"], L.vec4(*axes))
            while lib.gs_effect_loop(effect, technique):
                lib.gs_draw_sprite(tex, 0, mw, mh)

        return draw_into(small, mw, mh, (0.0, float(mw), 0.0, float(mh)), draw)

    def read_staged(self, render_frame: int):
        """(frame id, the crops as uint8 RGB arrays, plan) of the oldest copy staged on an earlier frame.

        Mapping one frame late lets the GPU finish the copy without stalling the pipeline.
        """
        if not self.pending or self.pending[0][2] >= render_frame:
            return None
        slot, frame_id, _, plan = self.pending.pop(0)
        images = []
        for index, crop in enumerate(plan.crops):
            self.passes["crop_readback"] += 1
            image = _read_rgb(self.slots[slot][index][1], crop.size)
            if image is None:
                return None
            images.append(image)
        return frame_id, tuple(images), plan


def _read_rgb(surface: int, size: tuple[int, int]):
    """A staged surface of `size` as uint8 RGB (a copy: the mapping ends here), or None."""
    import numpy as np  # imported here so the filter still registers, and passes video through, without it

    data, linesize = ctypes.c_void_p(), ctypes.c_uint32()
    if not lib.gs_stagesurface_map(surface, ctypes.byref(data), ctypes.byref(linesize)):
        return None
    try:
        (w, h), row = size, linesize.value
        assert data.value is not None  # mapped
        rows = np.frombuffer((ctypes.c_uint8 * (row * h)).from_address(data.value),  # type: ignore[call-overload]  # a ctypes array is a buffer; numpy's stubs name only some buffer types
                             np.uint8).reshape(h, row)
        return rows[:, : w * 4].reshape(h, w, 4)[:, :, :3].copy()
    finally:
        lib.gs_stagesurface_unmap(surface)
