"""The compositing side of one Backdrop filter: the one owner of its effects, their parameters and
the textures they read (mask, refinement coefficients, background picture, blur targets).

`update()` turns the settings into an immutable `RenderParams`; `video_render` hands this frame's
record to `Compositor.draw`, which binds every uniform itself. Everything except `offer_picture`
(any thread) and `destroy` (takes the graphics lock) runs on OBS's graphics thread.
"""

from __future__ import annotations

import ctypes
import math
import threading
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, cast

from ..core import vocabulary as V
from ..core.geometry import FULL, Rect
from . import libobs as L
from .frame_capture import draw_into

if TYPE_CHECKING:
    from ..core.mask_source import Rect
from .libobs import lib

DATA = Path(__file__).resolve().parent / "data"
MASK_EFFECT = DATA / "backdrop_mask.effect"
BLUR_EFFECT = DATA / "backdrop_blur.effect"
MASK_PARAMS = ("image", "mask", "coeffs", "use_coeffs", "threshold", "softness", "mask_rect")
OUTPUT_PARAMS = MASK_PARAMS + ("frame_window", "bg_image", "blurred", "blur_scale", "blur_offset", "light_wrap",
                               "mask_texel", "color", "bg_scale", "bg_offset")
BLUR_PARAMS = MASK_PARAMS + ("texel", "src_scale", "src_offset", "sigma", "pairs")
MAX_PICTURE_SIDE = 4096  # a mipmapped picture's largest side (a 4096x2048 chain: 43 MB of VRAM)
_KEEP = object()  # no new picture offered


def wraps(mode: str, light_wrap: float, show_mask: bool) -> bool:
    """Whether the background's light wraps around the edge: a mode with a background, wrap on."""
    return light_wrap > 0.0 and mode != "transparent" and not show_mask


def technique(mode: str, light_wrap: float, show_mask: bool) -> bytes:
    """The effect technique for a mode: light wrap has its own variants (no taps when it is off)."""
    if show_mask:
        return b"DrawMask"
    if mode == "transparent":
        return b"DrawTransparent"
    return f"Draw{mode.capitalize()}{'Wrap' if wraps(mode, light_wrap, show_mask) else ''}".encode()


@dataclass(frozen=True)
class RenderParams:
    """What one frame's compositing needs, computed from the settings in `update()`."""

    mode: str
    show_mask: bool  # the mask itself instead of the mode
    technique: bytes
    fallback: bytes  # image mode without a usable picture: the colour keeps the stream presentable
    threshold: float
    softness: float
    use_coeffs: float
    light_wrap: float
    color: tuple[float, float, float, float]
    blur_halvings: int  # 2x2 box halvings of the 1/4-size background before the Gaussian
    blur_sigma: float  # in texels of the halved background
    blur_pairs: int

    @classmethod
    def from_settings(cls, s) -> RenderParams:
        halvings, sigma, pairs = V.gpu_blur_plan(float(s.blur))
        return cls(mode=s.mode, show_mask=s.show_mask, technique=technique(s.mode, s.light_wrap, s.show_mask),
                   fallback=technique("color", s.light_wrap, s.show_mask), threshold=s.threshold,
                   softness=s.softness, use_coeffs=1.0 if s.refine > 0.0 else 0.0, light_wrap=s.light_wrap,
                   color=s.background_color, blur_halvings=halvings, blur_sigma=sigma, blur_pairs=pairs)


@dataclass(frozen=True)
class Picture:
    """Image mode's picture, decoded off the graphics thread: its levels (one, or a mip chain from a
    power-of-two size) and the size it was chosen at (the "cover" fit keeps that aspect)."""

    levels: tuple  # uint8 RGBA arrays, largest first
    width: int
    height: int


def picture_level0(size: tuple[int, int], canvas: tuple[int, int]) -> tuple[int, int]:
    """The largest level a picture of `size` needs on a canvas: the picture itself when it fits;
    else the smallest power of two at least as large as the canvas shows it (finer levels are never
    sampled, and the whole chain is uploaded on the graphics thread); while the canvas is unknown,
    the largest power of two the picture can be shrunk to."""
    w, h = size
    if w <= canvas[0] and h <= canvas[1]:
        return w, h
    shown = max(canvas[0] / w, canvas[1] / h)

    def pow2(n: int) -> int:
        below, needed = 2 ** int(math.log2(n)), 2 ** math.ceil(math.log2(max(1.0, n * shown)))
        return int(min(MAX_PICTURE_SIDE, needed if shown > 0 else below))

    return pow2(w), pow2(h)


def prepare_picture(rgba, canvas: tuple[int, int]) -> Picture:
    """A picture larger than the canvas gets a mip chain, built here rather than by the GPU:
    libobs-opengl 29.0.2 accepts GS_BUILD_MIPMAPS but never generates the levels (gl-texture2d.c
    stores `gen_mipmaps` and nothing reads it), so every level is uploaded, which both renderers
    take (levels != 1 needs power-of-two sides: graphics.c gs_texture_create)."""
    import cv2
    import numpy as np

    h, w = rgba.shape[:2]
    top = picture_level0((w, h), canvas)
    if top == (w, h):
        return Picture((np.ascontiguousarray(rgba, np.uint8),), w, h)
    level = cv2.resize(rgba, top, interpolation=cv2.INTER_AREA)
    levels = [level]
    while level.shape[0] > 1 or level.shape[1] > 1:
        level = cv2.resize(level, (max(1, level.shape[1] // 2), max(1, level.shape[0] // 2)),
                           interpolation=cv2.INTER_AREA)
        levels.append(level)
    return Picture(tuple(np.ascontiguousarray(x, np.uint8) for x in levels), w, h)


class Compositor:
    """GPU resources of one filter's compositing, created lazily on the graphics thread."""

    def __init__(self, mask_effect: Path = MASK_EFFECT, blur_effect: Path = BLUR_EFFECT) -> None:
        self.paths = (mask_effect, blur_effect)
        self.effect: int | None = None
        self.blur_effect: int | None = None
        self.params: dict[str, int] = {}
        self.blur_params: dict[str, int] = {}
        self.error: str | None = None  # latched: a failed compile is not retried every frame
        self.mask_tex = self.coeff_tex = None
        self.coeffs_zeroed = False
        self.model_size = (0, 0)
        self.mask_rect: Rect | None = None  # the part of the frame the uploaded mask covers (person tracking)
        self.blur_targets: list[int] = []
        self.bg_tex = None
        self.bg_size = (0, 0)
        self._picture_lock = threading.Lock()
        self._offered: object = _KEEP
        # GPU work by kind since the filter started, for the status record: "mask_upload" and
        # "coeffs_upload" (model-size textures), "blur_down", "blur_half", "blur_gauss" (the blur's
        # passes at a quarter size and below), "composite" (the one full-size pass into OBS's target).
        self.passes: Counter[str] = Counter()

    # -- resources ---------------------------------------------------------------------------
    def ensure(self) -> bool:
        """The effects, compiled on first use."""
        if self.effect is None and (self.error is not None or not self._create_effects()):
            return False
        return True

    def _create_effects(self) -> bool:
        """Compile both effects once; on failure keep OBS's own error message (its graphics backend's)."""
        effects: list[int] = []
        for path in self.paths:
            effect, why = L.effect_from_file(path)
            if not effect:
                for done in effects:
                    lib.gs_effect_destroy(done)
                self.error = why
                return False
            effects.append(effect)
        self.effect, self.blur_effect = effects

        def handles(effect, names):
            return {p: lib.gs_effect_get_param_by_name(effect, p.encode()) for p in names}

        self.params, self.blur_params = handles(self.effect, OUTPUT_PARAMS), handles(self.blur_effect, BLUR_PARAMS)
        return True

    def _free_mask(self) -> None:
        for t in (self.mask_tex, self.coeff_tex):
            if t:
                lib.gs_texture_destroy(t)
        self.mask_tex = self.coeff_tex = None
        self.coeffs_zeroed = False
        self.model_size = (0, 0)

    def destroy(self) -> None:
        """Free everything. Called from `destroy` (OBS's destroy thread), so it takes the graphics lock."""
        lib.obs_enter_graphics()
        try:
            self._free_mask()
            for tr in self.blur_targets:
                lib.gs_texrender_destroy(tr)
            if self.bg_tex:
                lib.gs_texture_destroy(self.bg_tex)
            for effect in (self.effect, self.blur_effect):
                if effect:
                    lib.gs_effect_destroy(effect)
            self.blur_targets, self.bg_tex, self.effect, self.blur_effect = [], None, None, None
        finally:
            lib.obs_leave_graphics()

    # -- inputs ------------------------------------------------------------------------------
    def upload(self, mask, coeffs, rect) -> bool:
        """A MaskResult's uint8 mask and float (A, B) coefficients -> their textures. Without edge
        refinement there are no coefficients: the texture is zeroed once (the shader weighs it by 0,
        and an uninitialised half float could be NaN)."""
        import numpy as np

        mask = np.ascontiguousarray(mask, np.uint8)
        mh, mw = mask.shape
        if self.model_size != (mw, mh):  # the first mask, or another model
            self._free_mask()
            self.mask_tex = lib.gs_texture_create(mw, mh, L.GS_R8, 1, None, L.GS_DYNAMIC)
            self.coeff_tex = lib.gs_texture_create(mw, mh, L.GS_RG16F, 1, None, L.GS_DYNAMIC)
            self.model_size = (mw, mh)
        if not self.mask_tex or not self.coeff_tex:
            return False
        lib.gs_texture_set_image(self.mask_tex, mask.ctypes.data, mw, False)
        self.passes["mask_upload"] += 1
        self.mask_rect = rect
        if coeffs is None:
            if self.coeffs_zeroed:
                return True
            coeffs = np.zeros(mask.shape + (2,), np.float16)
        self.coeffs_zeroed = not coeffs.any()
        half = np.ascontiguousarray(coeffs, np.float16)
        lib.gs_texture_set_image(self.coeff_tex, half.ctypes.data, half.shape[1] * 4, False)
        self.passes["coeffs_upload"] += 1
        return True

    def offer_picture(self, picture: Picture | None) -> None:
        """Any thread: the picture to show from the next frame on (None: no picture)."""
        with self._picture_lock:
            self._offered = picture

    def _take_picture(self) -> None:
        with self._picture_lock:
            picture, self._offered = self._offered, _KEEP
        if picture is _KEEP:
            return
        picture = cast("Picture | None", picture)
        if self.bg_tex:
            lib.gs_texture_destroy(self.bg_tex)
            self.bg_tex, self.bg_size = None, (0, 0)
        if picture is None:
            return
        top = picture.levels[0]
        planes = (ctypes.c_void_p * len(picture.levels))(*(level.ctypes.data for level in picture.levels))
        self.bg_tex = lib.gs_texture_create(top.shape[1], top.shape[0], L.GS_RGBA, len(picture.levels), planes, 0)
        self.bg_size = (picture.width, picture.height)

    # -- drawing -----------------------------------------------------------------------------
    @staticmethod
    def _run(effect, params: dict, name: bytes, tex: int, cx: int, cy: int) -> None:
        lib.gs_effect_set_texture(params["image"], tex)
        while lib.gs_effect_loop(effect, name):
            lib.gs_draw_sprite(tex, 0, cx, cy)

    def _bind_mask(self, params: dict, rp: RenderParams) -> None:
        r = self.mask_rect
        assert r is not None  # drawn once a mask is uploaded
        lib.gs_effect_set_texture(params["mask"], self.mask_tex)
        lib.gs_effect_set_texture(params["coeffs"], self.coeff_tex)
        lib.gs_effect_set_float(params["use_coeffs"], rp.use_coeffs)
        lib.gs_effect_set_float(params["threshold"], rp.threshold)
        lib.gs_effect_set_float(params["softness"], rp.softness)
        lib.gs_effect_set_vec4(params["mask_rect"], L.vec4(r.x0, r.y0, r.x1, r.y1))

    def _blur(self, rp: RenderParams, tex: int, width: int, height: int) -> tuple[int, tuple[float, ...]] | None:
        """The background with the person weighted out at 1/4 size, halved while the blur allows,
        Gaussian-blurred (backdrop_blur.effect); and (scale, offset) from frame uv to its uv."""
        while len(self.blur_targets) < 5:  # 1/4, two halvings, the two Gaussian passes
            self.blur_targets.append(lib.gs_texrender_create(L.GS_RGBA16F, L.GS_ZS_NONE))
        down, half1, half2, horiz, vert = self.blur_targets
        grids = V.gpu_blur_grids(width, height, rp.blur_halvings)
        p = self.blur_params

        def run(target, grid, name: bytes, src: int, texel: tuple[float, float], scale=(1.0, 1.0),
                offset=(0.0, 0.0)) -> int | None:
            def draw():
                lib.gs_effect_set_vec2(p["texel"], L.vec2(*texel))
                lib.gs_effect_set_vec2(p["src_scale"], L.vec2(*scale))
                lib.gs_effect_set_vec2(p["src_offset"], L.vec2(*offset))
                lib.gs_effect_set_float(p["sigma"], rp.blur_sigma)
                lib.gs_effect_set_int(p["pairs"], rp.blur_pairs)
                self._run(self.blur_effect, p, name, src, grid[0], grid[1])

            self.passes["blur_" + name.decode().removesuffix("Refined").lower()] += 1
            if not draw_into(target, grid[0], grid[1], (0.0, float(grid[0]), 0.0, float(grid[1])), draw):
                return None
            return lib.gs_texrender_get_texture(target)

        self._bind_mask(p, rp)  # for Down only: gs_technique_end clears every parameter (graphics/effect.c, 29.0.2)
        origin = float(V.BLUR_GRID_ORIGIN)  # frame pixel where the blur's grids start
        cols, rows, size = grids[0]
        src = run(down, grids[0], b"DownRefined" if rp.use_coeffs else b"Down", tex, (1.0 / width, 1.0 / height),
                  (cols * size / width, rows * size / height), (origin / width, origin / height))
        for target, grid in zip((half1, half2), grids[1:], strict=False):
            src = src and run(target, grid, b"Half", src, (1.0 / cols, 1.0 / rows),
                              (grid[0] * grid[2] / (cols * size), grid[1] * grid[2] / (rows * size)))
            cols, rows, size = grid
        for target, step in ((horiz, (1.0 / cols, 0.0)), (vert, (0.0, 1.0 / rows))):
            src = src and run(target, grids[-1], b"Gauss", src, step)
        if not src:
            return None
        extent = (cols * size, rows * size)
        return src, (width / extent[0], height / extent[1], -origin / extent[0], -origin / extent[1])

    def draw(self, rp: RenderParams, tex: int, width: int, height: int,
             window: Rect = FULL) -> bool:
        """Composite `tex` (the frame shown) with the uploaded mask into whatever OBS is rendering;
        `window` (normalised) is the part shown, scaled to the output
        (auto-frame; the whole frame otherwise). False when it cannot (the caller passes the video
        through)."""
        self._take_picture()
        p, mode, name = self.params, rp.mode, rp.technique
        if mode == "image" and not self.bg_tex:
            mode, name = "color", rp.fallback
        if rp.show_mask:
            pass  # the mask alone: no background to bind
        elif mode == "blur":
            blurred = self._blur(rp, tex, width, height)
            if not blurred:
                return False
            lib.gs_effect_set_texture(p["blurred"], blurred[0])
            lib.gs_effect_set_vec2(p["blur_scale"], L.vec2(*blurred[1][:2]))
            lib.gs_effect_set_vec2(p["blur_offset"], L.vec2(*blurred[1][2:]))
        elif mode == "image":
            sx, sy, ox, oy = V.cover_fit(width, height, *self.bg_size)
            lib.gs_effect_set_texture(p["bg_image"], self.bg_tex)
            lib.gs_effect_set_vec2(p["bg_scale"], L.vec2(sx, sy))
            lib.gs_effect_set_vec2(p["bg_offset"], L.vec2(ox, oy))
        elif mode == "color":
            lib.gs_effect_set_vec4(p["color"], L.vec4(*rp.color))
        if wraps(mode, rp.light_wrap, rp.show_mask):
            r, (mw, mh) = self.mask_rect, self.model_size
            assert r is not None  # drawn once a mask is uploaded
            lib.gs_effect_set_float(p["light_wrap"], rp.light_wrap)
            lib.gs_effect_set_vec2(p["mask_texel"], L.vec2((r.x1 - r.x0) / mw, (r.y1 - r.y0) / mh))
        self._bind_mask(p, rp)
        lib.gs_effect_set_vec4(p["frame_window"], L.vec4(window.x0, window.y0, window.width, window.height))
        self.passes["composite"] += 1
        self._run(self.effect, p, name, tex, width, height)
        return True
