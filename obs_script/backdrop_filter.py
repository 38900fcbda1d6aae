"""The Backdrop filter: one instance per filter in OBS. Reads top to bottom in the order OBS calls it.

`video_render` is the render-thread path and the heart of the product: it never waits for
inference. It hands model-size frames to the async runner when the runner can take one, uploads
the newest mask when one arrives, and composites on the GPU.
"""

from __future__ import annotations

import ctypes
import os
import time
from pathlib import Path

from ..core.test_hooks import FAULTS
from . import filter_settings as fs
from .engine import Engine
from .gpu_pipeline import GpuPipeline
from .libobs import (
    GS_CS_SRGB,
    GS_CS_SRGB_16F,
    LOG_INFO,
    LOG_WARNING,
    OBS_COMBO_FORMAT_INT,
    OBS_COMBO_FORMAT_STRING,
    OBS_COMBO_TYPE_LIST,
    OBS_PATH_FILE,
    OBS_TEXT_INFO,
    lib,
    log,
    vec2,
    vec4,
)
from .mask_sync import MaskSync

EFFECT_PATH = Path(__file__).resolve().parent / "data" / "backdrop_mask.effect"
# What we can composite, best first (as OBS's own filters ask): sources answer with what they give.
PREFERRED_SPACES = (ctypes.c_int * 2)(GS_CS_SRGB, GS_CS_SRGB_16F)
STATUS_LOG_S = float(os.environ.get("BACKDROP_STATUS_LOG_S", "60"))  # status line into OBS's log every N s
TECHNIQUES = {"transparent": b"DrawTransparent", "color": b"DrawColor", "image": b"DrawImage", "blur": b"DrawBlur"}
PRESET_LABELS = {"low_cpu": "Low CPU", "balanced": "Balanced", "quality": "Quality", "custom": "Custom"}
MODE_LABELS = {"transparent": "Transparent (for compositing)", "blur": "Blur", "image": "Image",
               "color": "Colour"}


# -- type-level callbacks ------------------------------------------------------------------------
def get_defaults(settings: int) -> None:
    fs.set_defaults(settings)


def preset_modified(props: int, prop: int, settings: int) -> bool:
    """Choosing a preset in the dialog writes its values, and the dialog shows them at once."""
    return fs.apply_preset(settings)


def get_properties(filt: BackdropFilter | None, preset_callback) -> int:
    p = lib.obs_properties_create()
    status = filt.status_text() if filt is not None else "Add the filter to a source to see its status."
    lib.obs_properties_add_text(p, b"status", status.encode(), OBS_TEXT_INFO)

    preset = lib.obs_properties_add_list(p, fs.S_PRESET.encode(), b"Preset", OBS_COMBO_TYPE_LIST,
                                         OBS_COMBO_FORMAT_STRING)
    for key, label in PRESET_LABELS.items():
        lib.obs_property_list_add_string(preset, label.encode(), key.encode())
    lib.obs_property_set_long_description(preset, b"Sets model, mask rate and smoothing; the status line shows "
                                                  b"what the current choice costs.")
    lib.obs_property_set_modified_callback(preset, preset_callback)

    mode = lib.obs_properties_add_list(p, fs.S_MODE.encode(), b"Background", OBS_COMBO_TYPE_LIST,
                                       OBS_COMBO_FORMAT_STRING)
    for key, label in MODE_LABELS.items():
        lib.obs_property_list_add_string(mode, label.encode(), key.encode())
    lib.obs_properties_add_path(p, fs.S_BG_IMAGE.encode(), b"Background image", OBS_PATH_FILE,
                                b"Images (*.png *.jpg *.jpeg *.bmp *.webp)", None)
    lib.obs_properties_add_color(p, fs.S_BG_COLOR.encode(), b"Background colour")
    lib.obs_properties_add_int_slider(p, fs.S_BLUR.encode(), b"Blur strength", *fs.INTS[fs.S_BLUR][1:], 1)

    model = lib.obs_properties_add_list(p, fs.S_MODEL.encode(), b"Model", OBS_COMBO_TYPE_LIST,
                                        OBS_COMBO_FORMAT_STRING)
    for name in _model_names():
        lib.obs_property_list_add_string(model, name.encode(), name.encode())
    provider = lib.obs_properties_add_list(p, fs.S_PROVIDER.encode(), b"Run on", OBS_COMBO_TYPE_LIST,
                                           OBS_COMBO_FORMAT_STRING)
    for key, label in _provider_choices():
        lib.obs_property_list_add_string(provider, label.encode(), key.encode())

    for key, label in ((fs.S_THRESHOLD, b"Threshold"), (fs.S_SOFTNESS, b"Edge softness"),
                       (fs.S_TEMPORAL, b"Temporal smoothing"), (fs.S_REFINE, b"Edge refinement"),
                       (fs.S_LIGHT_WRAP, b"Light wrap")):
        lib.obs_properties_add_float_slider(p, key.encode(), label, *fs.FLOATS[key][1:], 0.01)
    lib.obs_properties_add_bool(p, fs.S_TRACKING.encode(), b"Person tracking (sharper for people further away)")
    lib.obs_properties_add_bool(p, fs.S_MATCH_VIDEO.encode(), b"Match video to mask (delays video)")
    rate = lib.obs_properties_add_list(p, fs.S_MASK_RATE.encode(), b"Mask rate", OBS_COMBO_TYPE_LIST,
                                       OBS_COMBO_FORMAT_INT)
    lib.obs_property_list_add_int(rate, b"Auto (as fast as inference allows)", 0)
    for n in range(1, 7):
        lib.obs_property_list_add_int(rate, f"Every {n} frame{'s' if n > 1 else ''}".encode(), n)
    lib.obs_properties_add_bool(p, fs.S_SHOW_MASK.encode(), b"Show mask")
    return p


def _model_names() -> list[str]:
    try:
        from ..core.model_registry import list_models

        return sorted(list_models()) or ["selfie_general"]
    except Exception:
        return ["selfie_general"]


def _provider_choices() -> list[tuple[str, str]]:
    choices = [("auto", "Auto (best available)"), ("cpu", "CPU")]
    try:
        from ..core.ort_loader import onnxruntime
        from ..core.providers import SHORT_NAMES

        ort = onnxruntime()

        for short, full in SHORT_NAMES.items():
            if full and full != "CPUExecutionProvider" and full in ort.get_available_providers():
                choices.append((short, full.removesuffix("ExecutionProvider")))
    except Exception:
        pass
    return choices


def create(settings: int, source: int) -> BackdropFilter:
    """The filter type's `create`: what registration.py forwards to."""
    return BackdropFilter(settings, source)


# -- one filter ----------------------------------------------------------------------------------
class BackdropFilter:
    def __init__(self, settings: int, source: int) -> None:
        self.source = source
        self.name = (lib.obs_source_get_name(source) or b"?").decode("utf-8", "replace")
        self.gpu = GpuPipeline(Path(FAULTS.effect) if FAULTS.effect else EFFECT_PATH)
        self.engine: Engine | None = None
        self.settings: fs.FilterSettings | None = None
        self.render_frame = 0  # frames rendered
        self.uploaded_id = -1  # frame id of the mask on the GPU
        self.mask_engine: Engine | None = None  # the engine whose masks `sync` holds
        self.sync = MaskSync(time.monotonic)  # which frames to stage, which mask to show, the auto rate
        self.mask_rect = None  # the part of the frame the uploaded mask covers (person tracking)
        self.frame_seconds = 1.0 / 30.0
        self.frames_read = 0
        self.tick = 0  # video_tick count: one per OBS frame
        self.rendered_tick = -1  # the tick of the last full render
        self.last_shown, self.last_size = None, (0, 0)
        self.hdr = False
        self.background: tuple[str, object] | None = None  # (path, RGBA array or None) to upload
        self.background_error = ""
        self.last_render_ms = 0.0
        self.next_status_log = time.perf_counter() + STATUS_LOG_S
        self._errors: dict[str, int] = {}
        fs.migrate(settings)
        self.update(settings)
        log(LOG_INFO, f"filter '{self.name}' created")

    def update(self, settings: int) -> None:
        fs.apply_preset(settings)
        s = fs.read(settings)
        old, self.settings = self.settings, s
        if self.engine is None or self.engine.key != s.engine_key():
            if self.engine is not None:
                self.engine.stop()
            self.engine = Engine(s, self.name)
        else:
            self.engine.configure(s)
        if old is None or old.background_image != s.background_image:
            self._load_background(s.background_image)
        log(LOG_INFO, f"filter '{self.name}' settings: preset={s.preset} mode={s.mode} model={s.model} "
                      f"provider={s.provider} debug_mask={s.debug_mask or 'none'}")

    def _load_background(self, path: str) -> None:
        """Decode the background picture here (UI thread), upload it on the render thread."""
        self.background_error = ""
        if not path:
            self.background = ("", None)
            return
        try:
            import cv2
            import numpy as np

            data = np.fromfile(path, np.uint8)
            bgr = cv2.imdecode(data, cv2.IMREAD_COLOR) if data.size else None
            if bgr is None:
                raise ValueError("not a readable image")
            self.background = (path, cv2.cvtColor(bgr, cv2.COLOR_BGR2RGBA))
        except Exception as exc:
            self.background = ("", None)
            self.background_error = f"background image {path!r}: {exc}"
            log(LOG_WARNING, f"filter '{self.name}': {self.background_error}")

    def destroy(self) -> None:
        if self.engine is not None:
            self.engine.stop()
        self.gpu.destroy()
        log(LOG_INFO, f"filter '{self.name}' destroyed")

    def video_tick(self, seconds: float) -> None:
        self.tick += 1
        if seconds > 0:
            self.frame_seconds = seconds

    def video_render(self) -> None:
        t0 = time.perf_counter()
        if t0 >= self.next_status_log:  # also while passing video through: the status says why
            self._log_status(t0)
        engine = self.engine
        target = lib.obs_filter_get_target(self.source)
        width = lib.obs_source_get_base_width(target) if target else 0
        height = lib.obs_source_get_base_height(target) if target else 0
        runner = engine.runner if engine is not None and engine.ready else None
        ring = self.sync.ring_size(self.settings.match_video)
        if runner is None or not width or not height or not self.gpu.ensure(*engine.model_size, ring):
            lib.obs_source_skip_video_filter(self.source)  # pass-through until there is a mask to apply
            return
        space = lib.obs_source_get_color_space(target, len(PREFERRED_SPACES), PREFERRED_SPACES)
        self.hdr = space not in (GS_CS_SRGB, GS_CS_SRGB_16F)
        if self.hdr:  # the model and the compositing maths are SDR: never show a wrong picture
            lib.obs_source_skip_video_filter(self.source)
            return
        if self.tick == self.rendered_tick and self.last_shown and (width, height) == self.last_size:
            # Drawn again in the same frame (preview + program, a screenshot, a projector): reuse this
            # frame's work, only draw.
            self._composite(self.last_shown, width, height)
            return
        frame = self.render_frame
        self.render_frame += 1
        full = self.gpu.render_target(target, width, height, frame)
        if not full:
            lib.obs_source_skip_video_filter(self.source)
            return
        self.rendered_tick, self.last_size, self.last_shown = self.tick, (width, height), None

        # `engine` and `runner` are this frame's: update() may replace them meanwhile on another thread.
        # The mask is picked before this frame is staged, while last frame's copy is still in the
        # worker: the latency is then a steady two frames and every mask made is shown, instead of
        # a mask finishing now before and now after the pick and one in four never reaching the screen.
        self._submit_staged(runner, frame)
        picked = self._pick_mask_and_frame(engine, runner, frame, full)
        self._stage_frame(engine, runner, frame, full, width, height)
        if picked is None:  # no mask yet
            lib.obs_source_skip_video_filter(self.source)
            return
        mask, shown = picked
        if mask.frame_id != self.uploaded_id:
            self.gpu.upload(mask.mask, mask.coeffs)
            self.uploaded_id, self.mask_rect = mask.frame_id, mask.rect
            self.sync.uploaded()
        self.sync.rendered()
        self.last_shown = shown
        self._composite(shown, width, height)
        self.last_render_ms = (time.perf_counter() - t0) * 1e3

    def _submit_staged(self, runner, frame: int) -> None:
        """Hand last frame's copy to the runner (mapped a frame late: the GPU has finished it)."""
        staged = self.gpu.read_staged(frame)
        if staged is not None:
            frame_id, small, where = staged
            runner.submit(small, frame_id, **where)
            if not self.frames_read:
                self._log_first_readback(small)
            self.frames_read += 1

    def _stage_frame(self, engine: Engine, runner, frame: int, full: int, width: int, height: int) -> None:
        """Queue this frame's model-size copy when the runner will be able to take it next frame."""
        self.sync.observe(1.0 / self.frame_seconds, runner.cpu_s, runner.done, lib.obs_get_lagged_frames(),
                          lib.obs_get_total_frames())
        if self.sync.wants_frame(frame, self.settings.mask_rate, runner.free_in_s(), self.frame_seconds):
            rect, segmenter = engine.pipeline.plan(width, height)  # person tracking picks the crop
            where = {"rect": rect, "frame_size": (width, height), "segmenter": segmenter}
            if self.gpu.stage(full, width, height, frame, frame, rect, where):
                self.sync.staged()

    def _pick_mask_and_frame(self, engine: Engine, runner, frame: int, full: int):
        """(mask result, texture to show) for this frame, or None before the first mask."""
        if engine is not self.mask_engine:  # a new model: masks of the old one no longer fit
            self.sync.reset()
            self.mask_engine, self.uploaded_id = engine, -1
        self.sync.offer(runner.latest(), frame)
        picked = self.sync.pick(frame, self.settings.match_video, self.gpu.has_frame)
        if picked is None:
            return None
        mask, shown_frame = picked
        return mask, (full if shown_frame == frame else self.gpu.ring_texture(shown_frame))

    # -- helpers -----------------------------------------------------------------------------
    def _log_status(self, now: float) -> None:
        self.next_status_log = now + STATUS_LOG_S
        try:
            log(LOG_INFO, f"filter '{self.name}' status: {self.status_text()}")
        except Exception as exc:  # the status must never cost a frame
            self.log_error("status", exc)

    def _log_first_readback(self, rgb) -> None:
        r, g, b = (float(rgb[:, :, c].mean()) for c in range(3))
        h, w = rgb.shape[:2]
        log(LOG_INFO, f"filter '{self.name}' readback #1 {w}x{h} mean RGB {r:.2f} {g:.2f} {b:.2f}")

    def _set_mask_params(self) -> None:
        s, p = self.settings, self.gpu.params
        mw, mh = self.gpu.model_size
        lib.gs_effect_set_texture(p["mask"], self.gpu.mask_tex)
        lib.gs_effect_set_texture(p["coeffs"], self.gpu.coeff_tex)
        lib.gs_effect_set_float(p["use_coeffs"], 1.0 if s.refine > 0.0 else 0.0)
        lib.gs_effect_set_float(p["threshold"], s.threshold)
        lib.gs_effect_set_float(p["softness"], s.softness)
        lib.gs_effect_set_float(p["light_wrap"], s.light_wrap)
        r = self.mask_rect
        lib.gs_effect_set_vec4(p["mask_rect"], vec4(r.x0, r.y0, r.x1, r.y1))
        lib.gs_effect_set_vec2(p["mask_texel"], vec2((r.x1 - r.x0) / mw, (r.y1 - r.y0) / mh))

    def _composite(self, tex: int, width: int, height: int) -> None:
        s, p = self.settings, self.gpu.params
        mode = s.mode
        if self.background is not None:  # a new picture was chosen: upload it here, on the GPU thread
            self.gpu.set_background(self.background[1])
            self.background = None
        if mode == "image" and not self.gpu.bg_tex:
            mode = "color"  # no usable picture: the colour keeps the stream presentable
        if mode == "blur":
            blurred = self.gpu.blur_background(tex, width, height, float(s.blur), self._set_mask_params)
            if not blurred:
                lib.obs_source_skip_video_filter(self.source)
                return
            lib.gs_effect_set_texture(p["blurred"], blurred)
        elif mode == "image":
            bw, bh = self.gpu.bg_size
            scale = max(width / bw, height / bh)  # cover: fill, crop the overflow equally
            sx, sy = width / (bw * scale), height / (bh * scale)
            lib.gs_effect_set_texture(p["bg_image"], self.gpu.bg_tex)
            lib.gs_effect_set_vec2(p["bg_scale"], vec2(sx, sy))
            lib.gs_effect_set_vec2(p["bg_offset"], vec2((1.0 - sx) / 2.0, (1.0 - sy) / 2.0))
        elif mode == "color":
            lib.gs_effect_set_vec4(p["color"], vec4(*s.background_color))
        self._set_mask_params()
        technique = b"DrawMask" if s.show_mask else TECHNIQUES[mode]
        self.gpu.draw_output(technique, tex, width, height)

    def status_text(self) -> str:
        engine, s = self.engine, self.settings
        if engine is None or s is None:
            return "Starting."
        if engine.error:
            return f"Passing video through: {engine.error}"
        if self.gpu.effect_error:
            return f"Passing video through: {self.gpu.effect_error}"
        if not engine.ready:
            return "Loading the model; video passes through until it is ready."
        if self.hdr:
            return "HDR source: Backdrop works on SDR video only, so the video passes through unchanged."
        runner, sync = engine.runner, self.sync
        video_fps, mask_fps = sync.rates()
        parts = [f"{PRESET_LABELS.get(s.preset, s.preset)}: {engine.session_description()}",
                 f"inference {runner.infer_ms:.1f} ms + {runner.post_ms:.1f} ms post",
                 f"{mask_fps:.1f} mask fps at {video_fps:.1f} fps video",
                 f"{sync.limiter.cpu_per_mask * 1e3:.1f} ms CPU per mask", f"latency {sync.latencies[-1]} frame(s)",
                 f"render {self.last_render_ms:.1f} ms"]
        if s.mask_rate == 0 and (runner.infer_ms + runner.post_ms) / 1000.0 > self.frame_seconds:
            parts.append(f"mask rate limited by inference speed (video {1.0 / self.frame_seconds:.0f} fps)")
        elif s.mask_rate == 0:
            parts.append(f"mask rate: {sync.limiter.limit}")
        if s.match_video:
            parts.append(f"video delayed {sync.shown_delay} frame(s)")
        if runner.error:
            parts.append(f"last error: {runner.error}")
        if self.background_error:
            parts.append(self.background_error)
        return "; ".join(parts) + "."

    def log_error(self, where: str, exc: BaseException) -> None:
        """Log an exception from a callback, rate-limited so a per-frame failure cannot flood the log."""
        key = f"{where}:{type(exc).__name__}:{exc}"
        n = self._errors[key] = self._errors.get(key, 0) + 1
        if n == 1 or n % 600 == 0:
            log(LOG_WARNING, f"filter '{self.name}' {where} failed ({n}x): {type(exc).__name__}: {exc}")
