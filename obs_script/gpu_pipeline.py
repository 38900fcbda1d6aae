"""The GPU side of one Backdrop filter: draw, downscale, read back, upload the mask, composite.

Every method except `destroy` runs on OBS's graphics thread inside `video_render`, where the
graphics context is already held. Frame flow:

    target --draw--> full (WxH RGBA) --linear downscale--> small (model size)
    small --stage--> stage[i]; stage[i-1] is mapped (one frame late: no pipeline stall)
    numpy mask --upload--> mask texture (GS_R8, model size)
    full + mask --backdrop_mask.effect--> output
"""

from __future__ import annotations

import ctypes
from pathlib import Path

import numpy as np

from .libobs import (
    GS_BLEND_ONE,
    GS_BLEND_ZERO,
    GS_CLEAR_COLOR,
    GS_DYNAMIC,
    GS_R8,
    GS_RGBA,
    GS_ZS_NONE,
    OBS_EFFECT_DEFAULT,
    aligned_vec4,
    lib,
)

_CLEAR_BUF, _CLEAR_ZERO = aligned_vec4(0.0, 0.0, 0.0, 0.0)


class GpuPipeline:
    """GPU resources of one filter, created lazily on the graphics thread, freed in `destroy`."""

    def __init__(self, effect_path: Path) -> None:
        self.effect_path = effect_path
        self.effect = None
        self.p_image = self.p_mask = None
        self.full = self.small = None
        self.stages: list[int | None] = [None, None]
        self.staged = [False, False]
        self.frame = 0  # frames staged so far; picks the ping-pong surface
        self.mask_tex = None
        self.model_size = (0, 0)

    # -- resources ---------------------------------------------------------------------------
    def ensure(self, model_w: int, model_h: int) -> bool:
        """Create what is missing; recreate the model-sized resources when the model size changes."""
        if self.effect is None:
            self.effect = lib.gs_effect_create_from_file(str(self.effect_path).encode(), None)
            if not self.effect:
                raise RuntimeError(f"cannot compile {self.effect_path}")
            self.p_image = lib.gs_effect_get_param_by_name(self.effect, b"image")
            self.p_mask = lib.gs_effect_get_param_by_name(self.effect, b"mask")
        if self.full is None:
            self.full = lib.gs_texrender_create(GS_RGBA, GS_ZS_NONE)
        if self.model_size != (model_w, model_h):
            self._free_model_sized()
            self.small = lib.gs_texrender_create(GS_RGBA, GS_ZS_NONE)
            self.stages = [lib.gs_stagesurface_create(model_w, model_h, GS_RGBA) for _ in range(2)]
            self.staged = [False, False]
            self.mask_tex = lib.gs_texture_create(model_w, model_h, GS_R8, 1, None, GS_DYNAMIC)
            self.model_size = (model_w, model_h)
        return bool(self.full and self.small and all(self.stages) and self.mask_tex)

    def _free_model_sized(self) -> None:
        if self.small:
            lib.gs_texrender_destroy(self.small)
        for s in self.stages:
            if s:
                lib.gs_stagesurface_destroy(s)
        if self.mask_tex:
            lib.gs_texture_destroy(self.mask_tex)
        self.small, self.stages, self.mask_tex, self.model_size = None, [None, None], None, (0, 0)

    def destroy(self) -> None:
        """Free everything. Called from `destroy` (OBS's destroy thread), so it takes the graphics lock."""
        lib.obs_enter_graphics()
        try:
            self._free_model_sized()
            if self.full:
                lib.gs_texrender_destroy(self.full)
            if self.effect:
                lib.gs_effect_destroy(self.effect)
            self.full = self.effect = None
        finally:
            lib.obs_leave_graphics()

    # -- per frame ---------------------------------------------------------------------------
    def _draw_into(self, texrender, cx: int, cy: int, src_w: int, src_h: int, draw) -> bool:
        """Render `draw()` (in source coordinates src_w x src_h) into texrender at cx x cy."""
        lib.gs_texrender_reset(texrender)
        if not lib.gs_texrender_begin(texrender, cx, cy):
            return False
        try:
            lib.gs_clear(GS_CLEAR_COLOR, _CLEAR_ZERO, 0.0, 0)
            lib.gs_ortho(0.0, float(src_w), 0.0, float(src_h), -100.0, 100.0)
            lib.gs_blend_state_push()
            lib.gs_blend_function(GS_BLEND_ONE, GS_BLEND_ZERO)  # copy RGBA exactly, no blending
            try:
                draw()
            finally:
                lib.gs_blend_state_pop()
        finally:
            lib.gs_texrender_end(texrender)
        return True

    def render_target(self, target: int, width: int, height: int) -> int | None:
        """The filter's input at full resolution, as a texture."""
        default = lib.obs_get_base_effect(OBS_EFFECT_DEFAULT)

        def draw():
            # A non-custom-draw source renders with the current effect: loop the default one.
            while lib.gs_effect_loop(default, b"Draw"):
                lib.obs_source_video_render(target)

        if not self._draw_into(self.full, width, height, width, height, draw):
            return None
        return lib.gs_texrender_get_texture(self.full)

    def downscale(self, tex: int, width: int, height: int) -> int | None:
        """Stretch `tex` to the model size; the GPU's linear sampler does the resampling."""
        default = lib.obs_get_base_effect(OBS_EFFECT_DEFAULT)
        p_img = lib.gs_effect_get_param_by_name(default, b"image")
        mw, mh = self.model_size

        def draw():
            lib.gs_effect_set_texture(p_img, tex)
            while lib.gs_effect_loop(default, b"Draw"):
                lib.gs_draw_sprite(tex, 0, width, height)

        if not self._draw_into(self.small, mw, mh, width, height, draw):
            return None
        return lib.gs_texrender_get_texture(self.small)

    def stage_and_read(self, small_tex: int) -> np.ndarray | None:
        """Queue this frame's copy and read the previous one: RGB uint8 at model size, or None."""
        cur = self.frame % 2
        prev = 1 - cur
        lib.gs_stage_texture(self.stages[cur], small_tex)
        self.staged[cur] = True
        self.frame += 1
        if not self.staged[prev]:
            return None
        data, linesize = ctypes.c_void_p(), ctypes.c_uint32()
        if not lib.gs_stagesurface_map(self.stages[prev], ctypes.byref(data), ctypes.byref(linesize)):
            return None
        try:
            mw, mh = self.model_size
            raw = (ctypes.c_uint8 * (linesize.value * mh)).from_address(data.value)
            rows = np.frombuffer(raw, np.uint8).reshape(mh, linesize.value)
            return rows[:, : mw * 4].reshape(mh, mw, 4)[:, :, :3].copy()  # copy before unmap
        finally:
            lib.gs_stagesurface_unmap(self.stages[prev])

    def upload_mask(self, mask: np.ndarray) -> None:
        """uint8 mask at model size (255 = person) -> the mask texture."""
        mask = np.ascontiguousarray(mask, np.uint8)
        lib.gs_texture_set_image(self.mask_tex, mask.ctypes.data, mask.shape[1], False)

    def draw_output(self, tex: int, width: int, height: int) -> None:
        """Draw the input with the mask as alpha, into whatever OBS is rendering."""
        lib.gs_effect_set_texture(self.p_image, tex)
        lib.gs_effect_set_texture(self.p_mask, self.mask_tex)
        while lib.gs_effect_loop(self.effect, b"Draw"):
            lib.gs_draw_sprite(tex, 0, width, height)
