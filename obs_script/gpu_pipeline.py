"""The GPU side of one Backdrop filter: draw, downscale, read back, upload the mask, composite.

Every method except `destroy` runs on OBS's graphics thread inside `video_render`, where the
graphics context is already held. Frame flow:

    target --draw--> ring[slot] (WxH RGBA; a ring of past frames for "match video to mask")
    ring[slot] (or the tracked crop of it) --linear downscale--> small (model size) --stage--> stage surface
    one frame later: stage surface --map--> numpy (model size RGB) -> the async runner
    runner's newest mask --upload--> mask (GS_R8) + coeffs (GS_RG16F) textures
    ring[shown] + mask (+ background) --backdrop_mask.effect--> output
"""

from __future__ import annotations

import ctypes
from pathlib import Path

from . import libobs as L
from .libobs import lib

_CLEAR_BUF, _CLEAR_ZERO = L.aligned_vec4(0.0, 0.0, 0.0, 0.0)
PARAMS = ("image", "mask", "coeffs", "bg_image", "blurred", "use_coeffs", "threshold", "softness", "light_wrap",
          "mask_texel", "mask_rect", "color", "bg_scale", "bg_offset", "texel", "sigma")
BLUR_SCALE = 4  # the background blur runs at 1/4 size, as in core/composite.py


class GpuPipeline:
    """GPU resources of one filter, created lazily on the graphics thread, freed in `destroy`."""

    def __init__(self, effect_path: Path) -> None:
        self.effect_path = effect_path
        self.effect = None
        self.effect_error: str | None = None  # latched: a failed compile is not retried every frame
        self.params: dict[str, int] = {}
        self.ring: list[int] = []
        self.ring_frames: list[int] = []  # which frame each ring slot holds
        self.small = None
        self.stages: list[int] = []
        self.pending: list[tuple[int, int, int, dict]] = []  # (stage index, frame id, frame staged at, where)
        self.mask_tex = self.coeff_tex = None
        self.coeffs_zeroed = False
        self.model_size = (0, 0)
        self.blur_targets: list[int] = []
        self.bg_tex = None
        self.bg_size = (0, 0)

    # -- resources ---------------------------------------------------------------------------
    def ensure(self, model_w: int, model_h: int, ring_size: int) -> bool:
        """Create what is missing; recreate the model-sized resources when the model size changes."""
        if self.effect is None:
            if self.effect_error is not None or not self._create_effect():
                return False
        if len(self.ring) != ring_size:
            while len(self.ring) < ring_size:
                self.ring.append(lib.gs_texrender_create(L.GS_RGBA, L.GS_ZS_NONE))
            while len(self.ring) > ring_size:
                lib.gs_texrender_destroy(self.ring.pop())
            self.ring_frames = [-1] * ring_size  # slots move with the size: forget what they held
        if self.model_size != (model_w, model_h):
            self._free_model_sized()
            self.small = lib.gs_texrender_create(L.GS_RGBA, L.GS_ZS_NONE)
            self.stages = [lib.gs_stagesurface_create(model_w, model_h, L.GS_RGBA) for _ in range(2)]
            self.mask_tex = lib.gs_texture_create(model_w, model_h, L.GS_R8, 1, None, L.GS_DYNAMIC)
            self.coeff_tex = lib.gs_texture_create(model_w, model_h, L.GS_RG16F, 1, None, L.GS_DYNAMIC)
            self.model_size = (model_w, model_h)
        return bool(all(self.ring) and self.small and all(self.stages) and self.mask_tex and self.coeff_tex)

    def _create_effect(self) -> bool:
        """Compile the effect once; on failure keep OBS's own error message (its graphics backend's)."""
        error = ctypes.c_void_p()
        self.effect = lib.gs_effect_create_from_file(str(self.effect_path).encode(), ctypes.byref(error))
        message = ctypes.string_at(error.value).decode("utf-8", "replace").strip() if error.value else ""
        if error.value:
            lib.bfree(error)
        if not self.effect:
            # The effect parser's errors come back here; the renderer's compiler writes its own to OBS's log.
            detail = ": " + " ".join(message.split()) if message else " (the compiler's errors are in OBS's log above)"
            self.effect_error = f"the effect {self.effect_path.name} does not compile on this renderer{detail}"
            L.log(L.LOG_ERROR, self.effect_error)
            return False
        self.params = {p: lib.gs_effect_get_param_by_name(self.effect, p.encode()) for p in PARAMS}
        return True

    def _free_model_sized(self) -> None:
        if self.small:
            lib.gs_texrender_destroy(self.small)
        for s in self.stages:
            if s:
                lib.gs_stagesurface_destroy(s)
        for t in (self.mask_tex, self.coeff_tex):
            if t:
                lib.gs_texture_destroy(t)
        self.small, self.stages, self.pending = None, [], []
        self.mask_tex = self.coeff_tex = None
        self.coeffs_zeroed = False
        self.model_size = (0, 0)

    def destroy(self) -> None:
        """Free everything. Called from `destroy` (OBS's destroy thread), so it takes the graphics lock."""
        lib.obs_enter_graphics()
        try:
            self._free_model_sized()
            for tr in self.ring + self.blur_targets:
                lib.gs_texrender_destroy(tr)
            if self.bg_tex:
                lib.gs_texture_destroy(self.bg_tex)
            if self.effect:
                lib.gs_effect_destroy(self.effect)
            self.ring, self.ring_frames, self.blur_targets, self.bg_tex, self.effect = [], [], [], None, None
        finally:
            lib.obs_leave_graphics()

    # -- drawing helpers ---------------------------------------------------------------------
    @staticmethod
    def _draw_into(texrender, cx: int, cy: int, view: tuple[float, float, float, float], draw) -> bool:
        """Render `draw()` into texrender (cx x cy), with `view` = (left, right, top, bottom) as ortho."""
        lib.gs_texrender_reset(texrender)
        if not lib.gs_texrender_begin(texrender, cx, cy):
            return False
        try:
            lib.gs_clear(L.GS_CLEAR_COLOR, _CLEAR_ZERO, 0.0, 0)
            lib.gs_ortho(*view, -100.0, 100.0)
            lib.gs_blend_state_push()
            lib.gs_blend_function(L.GS_BLEND_ONE, L.GS_BLEND_ZERO)  # copy RGBA exactly, no blending
            try:
                draw()
            finally:
                lib.gs_blend_state_pop()
        finally:
            lib.gs_texrender_end(texrender)
        return True

    def _technique(self, name: bytes, tex: int, width: int, height: int) -> None:
        lib.gs_effect_set_texture(self.params["image"], tex)
        while lib.gs_effect_loop(self.effect, name):
            lib.gs_draw_sprite(tex, 0, width, height)

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
        if not self._draw_into(self.ring[slot], width, height, (0.0, float(width), 0.0, float(height)), draw):
            return None
        self.ring_frames[slot] = frame
        return lib.gs_texrender_get_texture(self.ring[slot])

    def has_frame(self, frame: int) -> bool:
        return bool(self.ring) and self.ring_frames[frame % len(self.ring)] == frame

    def ring_texture(self, frame: int) -> int | None:
        return lib.gs_texrender_get_texture(self.ring[frame % len(self.ring)]) if self.has_frame(frame) else None

    def stage(self, tex: int, width: int, height: int, frame_id: int, render_frame: int, rect, where: dict) -> bool:
        """Downscale `rect` of `tex` to the model size and queue its copy to the CPU. False when both
        surfaces are busy. `where` travels with the frame to the runner.

        The view is shifted by half a texel so the GPU samples where MediaPipe's pure-scale warp
        (core/preprocess.py, core/roi.py) does, instead of at scaled pixel centres: same input, same mask.
        """
        busy = {i for i, _, _, _ in self.pending}
        free = [i for i in range(len(self.stages)) if i not in busy]
        if not free:
            return False
        mw, mh = self.model_size
        x0, y0, x1, y1 = rect.to_pixels(width, height)
        dx, dy = 0.5 * (1.0 - (x1 - x0) / mw), 0.5 * (1.0 - (y1 - y0) / mh)
        default = lib.obs_get_base_effect(L.OBS_EFFECT_DEFAULT)
        p_img = lib.gs_effect_get_param_by_name(default, b"image")

        def draw():
            lib.gs_effect_set_texture(p_img, tex)
            while lib.gs_effect_loop(default, b"Draw"):
                lib.gs_draw_sprite(tex, 0, width, height)

        if not self._draw_into(self.small, mw, mh, (x0 + dx, x1 + dx, y0 + dy, y1 + dy), draw):
            return False
        lib.gs_stage_texture(self.stages[free[0]], lib.gs_texrender_get_texture(self.small))
        self.pending.append((free[0], frame_id, render_frame, where))
        return True

    def read_staged(self, render_frame: int):
        """(frame id, uint8 RGB at model size, where) of the oldest copy staged on an earlier frame.

        Mapping one frame late lets the GPU finish the copy without stalling the pipeline.
        """
        if not self.pending or self.pending[0][2] >= render_frame:
            return None
        import numpy as np  # imported here so the filter still registers, and passes video through, without it

        index, frame_id, _, where = self.pending.pop(0)
        data, linesize = ctypes.c_void_p(), ctypes.c_uint32()
        if not lib.gs_stagesurface_map(self.stages[index], ctypes.byref(data), ctypes.byref(linesize)):
            return None
        try:
            mw, mh = self.model_size
            raw = (ctypes.c_uint8 * (linesize.value * mh)).from_address(data.value)
            rows = np.frombuffer(raw, np.uint8).reshape(mh, linesize.value)
            return frame_id, rows[:, : mw * 4].reshape(mh, mw, 4)[:, :, :3].copy(), where  # copy before unmap
        finally:
            lib.gs_stagesurface_unmap(self.stages[index])

    def upload(self, mask, coeffs) -> None:
        """A MaskResult's uint8 mask and float (A, B) coefficients -> their textures. Without edge
        refinement there are no coefficients: the texture is zeroed once (the shader weighs it by 0,
        and an uninitialised half float could be NaN)."""
        import numpy as np

        mask = np.ascontiguousarray(mask, np.uint8)
        lib.gs_texture_set_image(self.mask_tex, mask.ctypes.data, mask.shape[1], False)
        if coeffs is None:
            if self.coeffs_zeroed:
                return
            coeffs = np.zeros(mask.shape + (2,), np.float16)
        self.coeffs_zeroed = not coeffs.any()
        half = np.ascontiguousarray(coeffs, np.float16)
        lib.gs_texture_set_image(self.coeff_tex, half.ctypes.data, half.shape[1] * 4, False)

    def set_background(self, rgba) -> None:
        """Image mode's picture (uint8 RGBA) -> a texture; None frees it."""
        import numpy as np

        if self.bg_tex:
            lib.gs_texture_destroy(self.bg_tex)
            self.bg_tex, self.bg_size = None, (0, 0)
        if rgba is None:
            return
        rgba = np.ascontiguousarray(rgba, np.uint8)
        h, w = rgba.shape[:2]
        planes = (ctypes.c_void_p * 1)(rgba.ctypes.data)
        self.bg_tex = lib.gs_texture_create(w, h, L.GS_RGBA, 1, planes, 0)
        self.bg_size = (w, h)

    def blur_background(self, tex: int, width: int, height: int, sigma: float, set_mask_params) -> int | None:
        """Blur mode's background: the person weighted out at 1/4 size, then a separable Gaussian."""
        while len(self.blur_targets) < 3:
            self.blur_targets.append(lib.gs_texrender_create(L.GS_RGBA16F, L.GS_ZS_NONE))
        prep, horiz, vert = self.blur_targets
        bw, bh = max(1, width // BLUR_SCALE), max(1, height // BLUR_SCALE)
        view = (0.0, float(width), 0.0, float(height))

        def prep_draw():
            set_mask_params()
            self._technique(b"BlurPrep", tex, width, height)

        if not self._draw_into(prep, bw, bh, view, prep_draw):
            return None
        lib.gs_effect_set_float(self.params["sigma"], max(sigma / BLUR_SCALE, 0.5))
        src = lib.gs_texrender_get_texture(prep)
        for target, step in ((horiz, (1.0 / bw, 0.0)), (vert, (0.0, 1.0 / bh))):
            def gauss(src=src, step=step):
                lib.gs_effect_set_vec2(self.params["texel"], L.vec2(*step))
                self._technique(b"Gauss", src, width, height)

            if not self._draw_into(target, bw, bh, view, gauss):
                return None
            src = lib.gs_texrender_get_texture(target)
        return src

    def draw_output(self, technique: bytes, tex: int, width: int, height: int) -> None:
        """Draw the composite into whatever OBS is rendering (parameters already set)."""
        self._technique(technique, tex, width, height)
