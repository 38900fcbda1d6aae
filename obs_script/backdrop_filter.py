"""The Backdrop filter: one instance per filter in OBS. Reads top to bottom in the order OBS calls it.

`video_render` is the render-thread path and the heart of the product: it never waits for
inference. It hands model-size frames to the async runner when the runner can take one, uploads
the newest mask when one arrives, and composites on the GPU.

Threads (libobs 29.0.2, `libobs/obs-source.c`), and what each may touch:
- graphics thread: `video_tick`, `video_render`, and `update`: `obs_source_update` on a video source
  only counts a deferred update, which `obs_source_video_tick` runs (`defer_update_count`,
  `obs_source_deferred_update`). So `update` must be quick too: it reads the settings, publishes
  `state` (engine, settings, render parameters) as one tuple, stops a replaced engine without waiting
  for it and hands a chosen picture to a decoding thread. `video_render` reads `state` once per frame
  and owns FrameCapture, Compositor and MaskSync. All three are timed (graphics_timer.py).
- creating thread (`create`, which runs `update` once itself): the UI thread when a collection
  loads, obs-websocket's thread for CreateSourceFilter.
- UI thread: the properties dialog (`get_properties`, `properties_modified`) and the settings
  repairs `update` queues (obs_queue_task OBS_TASK_UI).
- destroy thread: `destroy` (`obs_source_destroy_defer`, before libobs releases the settings); it
  may wait for the threads below.
- mask worker (core/runner.py), loader (engine.py), picture decoder: see those.

Who writes the settings, and when: the dialog (UI thread) and obs-websocket or scripts
(`obs_source_update` → `obs_data_apply`, on their own thread), with no lock in libobs; `update`
reads them on the graphics thread meanwhile, as for every OBS filter. Backdrop writes them at
`create` and in `destroy` (nobody else holds them then), and otherwise on the UI thread only: in
the dialog's own callback and in repairs `update` queues there, so never at the same time as the
dialog (an obs-websocket client writing at that moment races them as it races the dialog).
"""

from __future__ import annotations

import ctypes
import os
import threading
import time

from ..core.framing import SPEED_LABELS, ZOOM_LABELS, Camera
from ..core.geometry import FULL, Rect
from ..core.mask_source import MaskStatus, PoseState
from ..core.model_registry import DEFAULT_MODEL
from . import filter_settings as fs
from . import graphics_timer, launcher
from .compositor import BLUR_EFFECT, MASK_EFFECT, Compositor, RenderParams, picture_level0, prepare_picture
from .engine import Engine
from .frame_capture import CROP_EFFECT, FrameCapture
from .graphics_timer import GraphicsTimer
from .libobs import (
    GS_CS_SRGB,
    GS_CS_SRGB_16F,
    LOG_INFO,
    LOG_WARNING,
    OBS_COMBO_FORMAT_INT,
    OBS_COMBO_FORMAT_STRING,
    OBS_COMBO_TYPE_LIST,
    OBS_PATH_FILE,
    OBS_TASK_UI,
    OBS_TEXT_INFO,
    lib,
    log,
)
from .mask_sync import MaskSync
from .registration import ui_task

# What we can composite, best first (as OBS's own filters ask): sources answer with what they give.
PREFERRED_SPACES = (ctypes.c_int * 2)(GS_CS_SRGB, GS_CS_SRGB_16F)
# The effect files a new filter compiles: a table, so the test plug-in (tests/obs_plugin.py) can swap
# in a broken one.
EFFECT_FILES = {"mask": MASK_EFFECT, "blur": BLUR_EFFECT, "crop": CROP_EFFECT}
STATUS_LOG_S = float(os.environ.get("BACKDROP_STATUS_LOG_S", "60"))  # status line into OBS's log every N s


# -- type-level callbacks ------------------------------------------------------------------------
# What the pipeline was doing (core.mask_source.MaskStatus), in the status line's words.
SEARCHING_WORDS = "searching for people: nobody tracked, each mask also looks at a zoomed tile"
POSE_WORDS = {
    PoseState.ACTIVE: "pose branch active (whole body)",
    PoseState.NO_FULL_BODY: "pose branch idle: no full body in view",
    PoseState.SEARCHING: "pose branch idle: looking for a person",
    PoseState.ELSEWHERE: "pose branch idle: its person is not one the selfie model sees",
}


def status_words(status: MaskStatus) -> list[str]:
    """The newest mask's status, as parts of the status line."""
    words = [SEARCHING_WORDS] if status.searching else []
    return words + ([POSE_WORDS[status.pose]] if status.pose is not None else [])


def get_defaults(settings: int) -> None:
    fs.set_defaults(settings)


def properties_modified(props: int, prop: int, settings: int) -> bool:
    """The dialog's callback for preset and mode (OBS also calls it when the dialog opens): a newly
    chosen preset writes its values, and only the controls the mode and preset use are shown."""
    fs.apply_preset(settings)
    for key, shown in fs.visible_controls(settings).items():
        control = lib.obs_properties_get(props, key.encode())
        if control:
            lib.obs_property_set_visible(control, shown)
    return True  # redraw the dialog


# The script-reload shim: a holder registered by an older Backdrop in this process (updated, script
# reloaded) calls the callback under this old name; keep it (obs_script/registration.py falls back to it).
preset_modified = properties_modified


def get_properties(filt: BackdropFilter | None, modified_callback) -> int:
    p = lib.obs_properties_create()
    status = filt.status_text() if filt is not None else "Add the filter to a source to see its status."
    lib.obs_properties_add_text(p, b"status", status.encode(), OBS_TEXT_INFO)

    preset = _choice_list(p, fs.S_PRESET, b"Preset", fs.PRESET_LABELS)
    lib.obs_property_set_long_description(preset, b"Sets model, mask rate and smoothing; the status line shows "
                                                  b"what the current choice costs.")
    lib.obs_property_set_modified_callback(preset, modified_callback)

    lib.obs_property_set_modified_callback(_choice_list(p, fs.S_MODE, b"Background", fs.MODE_LABELS),
                                           modified_callback)
    lib.obs_properties_add_path(p, fs.S_BG_IMAGE.encode(), b"Background image", OBS_PATH_FILE,
                                b"Images (*.png *.jpg *.jpeg *.bmp *.webp)", None)
    lib.obs_properties_add_color(p, fs.S_BG_COLOR.encode(), b"Background colour")
    lib.obs_properties_add_int_slider(p, fs.S_BLUR.encode(), b"Blur strength", *fs.INTS[fs.S_BLUR][1:], 1)

    _choice_list(p, fs.S_MODEL, b"Model", {name: name for name in _model_names()})
    _choice_list(p, fs.S_PROVIDER, b"Run on", dict(_provider_choices()))

    for key, label in ((fs.S_THRESHOLD, b"Threshold"), (fs.S_SOFTNESS, b"Edge softness"),
                       (fs.S_TEMPORAL, b"Temporal smoothing"), (fs.S_REFINE, b"Edge refinement"),
                       (fs.S_LIGHT_WRAP, b"Light wrap")):
        lib.obs_properties_add_float_slider(p, key.encode(), label, *fs.FLOATS[key][1:], 0.01)
    lib.obs_properties_add_bool(p, fs.S_TRACKING.encode(), b"Person tracking (sharper for people further away)")
    lib.obs_properties_add_bool(p, fs.S_MATCH_VIDEO.encode(), b"Match video to mask (delays video)")
    motion = lib.obs_properties_add_bool(p, fs.S_MOTION.encode(), b"Carry masks forward by motion")
    lib.obs_property_set_long_description(motion, b"When masks are made for only some frames (Low CPU, Full body "
                                                  b"on a slow CPU), the frames between get the newest mask moved "
                                                  b"with the picture, about 1 ms of CPU a frame.")
    rate = lib.obs_properties_add_list(p, fs.S_MASK_RATE.encode(), b"Mask rate", OBS_COMBO_TYPE_LIST,
                                       OBS_COMBO_FORMAT_INT)
    lib.obs_property_list_add_int(rate, b"Auto (as fast as inference allows)", 0)
    for n in range(1, 7):
        lib.obs_property_list_add_int(rate, f"Every {n} frame{'s' if n > 1 else ''}".encode(), n)
    lib.obs_properties_add_bool(p, fs.S_SHOW_MASK.encode(), b"Show mask")

    framing = _choice_list(p, fs.S_FRAMING, b"Auto-frame", fs.FRAMING_LABELS)
    lib.obs_property_set_long_description(framing, b"The picture follows the people in view, cut from the camera's "
                                                   b"frame on the GPU; the background effect applies to it.")
    lib.obs_property_set_modified_callback(framing, modified_callback)
    _choice_list(p, fs.S_FRAMING_ZOOM, b"Framing", ZOOM_LABELS)
    _choice_list(p, fs.S_FRAMING_SPEED, b"Camera speed", SPEED_LABELS)
    lib.obs_properties_add_float_slider(p, fs.S_FRAMING_MAX_ZOOM.encode(), b"Maximum zoom",
                                        *fs.FLOATS[fs.S_FRAMING_MAX_ZOOM][1:], 0.1)
    return p


def _choice_list(props: int, key: str, label: bytes, choices: dict[str, str]) -> int:
    """A drop-down list of text choices (setting value: label shown), in the dict's order."""
    control = lib.obs_properties_add_list(props, key.encode(), label, OBS_COMBO_TYPE_LIST, OBS_COMBO_FORMAT_STRING)
    for value, text in choices.items():
        lib.obs_property_list_add_string(control, text.encode(), value.encode())
    return control


def _model_names() -> list[str]:
    """The segmentation models installed, and the pipelines the filter runs (core/pipelines.py)."""
    try:
        from ..core.model_registry import list_models
        from ..core.pipelines import obs_pipelines

        return (sorted(list_models()) or [DEFAULT_MODEL]) + obs_pipelines()
    except Exception:
        return [DEFAULT_MODEL]


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


def repair_settings(source: int) -> None:
    """OBS's UI thread, queued by `update` with a reference to the source, which is released here."""
    settings = lib.obs_source_get_settings(source)
    try:
        fs.repair(settings, fs.wrong_typed(settings))
    finally:
        lib.obs_data_release(settings)
        lib.obs_source_release(source)


# -- one filter ----------------------------------------------------------------------------------
class BackdropFilter:
    def __init__(self, settings: int, source: int) -> None:
        self.source = source
        self.name = (lib.obs_source_get_name(source) or b"?").decode("utf-8", "replace")
        self.capture = FrameCapture(EFFECT_FILES["crop"])
        self.compositor = Compositor(EFFECT_FILES["mask"], EFFECT_FILES["blur"])
        # (engine, settings, render parameters): replaced whole by update() on the UI thread, read
        # once per frame by video_render, so one frame never mixes two updates.
        self.state: tuple[Engine, fs.FilterSettings, RenderParams] | None = None
        self.background_path: str | None = None
        self.render_frame = 0  # frames rendered
        self.uploaded = None  # the mask on the GPU
        self.mask_engine: Engine | None = None  # the engine whose masks `sync` holds
        self.sync = MaskSync(time.monotonic)  # which frames to stage, which mask to show, the auto rate
        self.frame_seconds = 1.0 / 30.0
        self.frames_read = 0
        self.tick = 0  # video_tick count: one per OBS frame
        self.rendered_tick = -1  # the tick of the last full render
        self.last_shown, self.last_size = None, (0, 0)
        self.camera: Camera | None = None  # auto-frame's, while it is on
        self.framed_id = -1  # the mask whose people the camera last aimed at
        self.window = FULL  # the part of the frame shown (normalised)
        self.hdr = False
        self.background_error = ""
        self.last_render_ms = 0.0
        self.next_status_log = time.perf_counter() + STATUS_LOG_S
        self._errors: dict[str, int] = {}
        self.timer = GraphicsTimer(lambda line: log(LOG_WARNING, f"filter '{self.name}' {line}"))
        self.repaired: tuple[str, ...] = ()  # keys found with a value of the wrong type
        self.retired: list[Engine] = []  # replaced engines, stopping; joined in destroy
        self.picture_threads: list[threading.Thread] = []
        # The background picture: decoded on a helper thread once the canvas size is known, again when
        # the canvas needs another largest level; only the newest choice may offer its picture.
        self.picture_lock = threading.Lock()
        self.picture_choice = 0
        self.picture_canvas: tuple[int, int] | None = None  # the canvas it was (is being) prepared for
        self.picture_size: tuple[int, int] | None = None  # the decoded picture's own size
        self._repair(settings)  # nobody else holds the settings yet
        fs.migrate(settings)
        fs.apply_preset(settings)  # a filter created with a preset (obs-websocket, a saved collection)
        self._apply(settings)
        log(LOG_INFO, f"filter '{self.name}' created")

    def update(self, settings: int) -> None:
        """OBS's `update`, on the graphics thread: read the settings, never write them here (presets are
        written by the dialog's callback and at creation; fs.read honours a preset not written yet)."""
        started = graphics_timer.start()
        try:
            wrong = fs.wrong_typed(settings)
            if wrong:
                self._note_repaired(wrong)
                source = lib.obs_source_get_ref(self.source)  # keeps the filter alive until the task ran
                if source:
                    lib.obs_queue_task(OBS_TASK_UI, ui_task(), source, False)
            self._apply(settings, wrong)
        finally:
            self.timer.record("update", started)

    def _apply(self, settings: int, wrong: list[str] | tuple = ()) -> None:
        s = fs.read(settings, wrong)
        engine = self.state[0] if self.state is not None else None
        if engine is None or engine.key != s.engine_key():
            if engine is not None:
                engine.stop()  # does not wait for the inference in flight: destroy joins it
                self.retired = [e for e in self.retired if e.alive()] + [engine]
            engine = Engine(s, self.name)
        else:
            engine.configure(s)
        if s.background_image != self.background_path:
            self.background_path = s.background_image
            self._load_background(s.background_image, None)  # decoded once video_render knows the size
        self.state = (engine, s, RenderParams.from_settings(s))
        log(LOG_INFO, f"filter '{self.name}' settings: preset={s.preset} mode={s.mode} model={s.model} "
                      f"mask_rate={s.mask_rate} refine={s.refine:g} provider={s.provider}")

    @property
    def engine(self) -> Engine | None:
        return self.state[0] if self.state is not None else None

    @property
    def settings(self) -> fs.FilterSettings | None:
        return self.state[1] if self.state is not None else None

    def _repair(self, settings: int) -> None:
        """Repair wrong-typed values now: only where no other thread can write the settings."""
        wrong = fs.wrong_typed(settings)
        if wrong:
            self._note_repaired(wrong)
            fs.repair(settings, wrong)

    def _note_repaired(self, wrong: list[str]) -> None:
        """Logged once per key; the status line keeps naming them."""
        new = [key for key in wrong if key not in self.repaired]
        if new:
            self.repaired += tuple(new)
            log(LOG_WARNING, f"filter '{self.name}': settings of the wrong type set back to their defaults: "
                             f"{', '.join(new)}")

    def _load_background(self, path: str | None, canvas: tuple[int, int] | None) -> None:
        """Decode the picture for `canvas` on a helper thread (a 12-megapixel photo takes ~100 ms, and
        `update` and `video_render` run on the graphics thread); None: not before the canvas is known.
        The compositor uploads it on the render thread."""
        with self.picture_lock:
            self.picture_choice += 1
            self.picture_canvas, self.background_error = canvas, ""
            if canvas is None:
                self.picture_size = None
            if not path:
                self.compositor.offer_picture(None)
            if not path or canvas is None:
                return
        thread = threading.Thread(target=self._decode_background, args=(path, canvas, self.picture_choice),
                                  name="backdrop-picture", daemon=True)
        self.picture_threads = [t for t in self.picture_threads if launcher.running(t)] + [thread]
        launcher.launch(thread)

    def _picture_stale(self, canvas: tuple[int, int]) -> bool:
        """Whether the picture must be prepared (again) for this canvas: not yet, or its largest level
        would change (not on every size change: a resizing source would decode it every frame)."""
        if not self.background_path:
            return False
        if self.picture_canvas is None:
            return True
        size = self.picture_size
        return size is not None and picture_level0(size, canvas) != picture_level0(size, self.picture_canvas)

    def _decode_background(self, path: str, canvas: tuple[int, int], choice: int) -> None:
        launcher.lower_priority()
        picture, error = None, ""
        try:
            from ..core.image_file import read_image

            picture = prepare_picture(read_image(path, alpha=True), canvas)
        except Exception as exc:
            error = f"background image {path!r}: {exc}"
        with self.picture_lock:
            if choice != self.picture_choice:
                return  # another picture, or none, was chosen meanwhile
            self.compositor.offer_picture(picture)
            self.background_error = error
            self.picture_size = (picture.width, picture.height) if picture is not None else None
        if error:
            log(LOG_WARNING, f"filter '{self.name}': {error}")

    def destroy(self) -> None:
        """The destroy thread, before libobs releases the settings: repair them (a removal or OBS's exit
        can come before the next `update`), then wait for our threads."""
        settings = lib.obs_source_get_settings(self.source)
        if settings:
            self._repair(settings)
            lib.obs_data_release(settings)
        engines = self.retired + ([self.engine] if self.engine is not None else [])
        for engine in engines:
            engine.stop()
        deadline = time.monotonic() + 10.0  # one wait for all: OBS's exit waits for this thread
        for engine in engines:
            engine.join(max(0.0, deadline - time.monotonic()))
        for thread in self.picture_threads:
            launcher.join(thread, max(0.0, deadline - time.monotonic()))
        self.capture.destroy()
        self.compositor.destroy()
        log(LOG_INFO, f"filter '{self.name}' destroyed")

    def video_tick(self, seconds: float) -> None:
        started = graphics_timer.start()
        self.tick += 1
        if seconds > 0:
            self.frame_seconds = seconds
        self.timer.record("video_tick", started)

    def video_render(self) -> None:
        started = graphics_timer.start()
        try:
            self._render(started[0])
        finally:
            self.timer.record("video_render", started)

    def _render(self, t0: float) -> None:
        if t0 >= self.next_status_log:  # also while passing video through: the status says why
            self._log_status(t0)
        state = self.state  # this frame's engine, settings and parameters: update() may replace them
        target = lib.obs_filter_get_target(self.source)
        width = lib.obs_source_get_base_width(target) if target else 0
        height = lib.obs_source_get_base_height(target) if target else 0
        engine, s, params = state if state is not None else (None, None, None)
        if width and height and self._picture_stale((width, height)):
            self._load_background(self.background_path, (width, height))
        runner = engine.runner if engine is not None and engine.ready else None
        if engine is None or runner is None or s is None or params is None or not width or not height \
                or not self.compositor.ensure() or not self.capture.ensure(self.sync.ring_size(s.match_video)):
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
            self._composite(params, self.last_shown, width, height)
            return
        frame = self.render_frame
        self.render_frame += 1
        full = self.capture.render_target(target, width, height, frame)
        if not full:
            lib.obs_source_skip_video_filter(self.source)
            return
        self.rendered_tick, self.last_size, self.last_shown = self.tick, (width, height), None

        # The mask is picked before this frame is staged, while last frame's copy is still in the
        # worker: the latency is then a steady two frames and every mask made is shown, instead of
        # a mask finishing now before and now after the pick and one in four never reaching the screen.
        self._submit_staged(runner, frame)
        picked = self._pick_mask_and_frame(engine, runner, s, frame, full)
        self._stage_frame(engine, runner, s, frame, full, width, height)
        if picked is None:  # no mask yet
            lib.obs_source_skip_video_filter(self.source)
            return
        mask, shown = picked
        if mask is not self.uploaded:
            if not self.compositor.upload(mask.result.mask, mask.result.coeffs, mask.result.rect):
                lib.obs_source_skip_video_filter(self.source)
                return
            self.uploaded = mask
            self.sync.uploaded(mask.source, carried=mask.carried)
        self.sync.rendered()
        self.last_shown = shown
        self.window = self._frame(s, mask, width, height)
        self._composite(params, shown, width, height)
        self.last_render_ms = (time.perf_counter() - t0) * 1e3

    def _submit_staged(self, runner, frame: int) -> None:
        """Hand last frame's copy to the runner (mapped a frame late: the GPU has finished it)."""
        staged = self.capture.read_staged(frame)
        if staged is not None:
            frame_id, images, plan = staged
            runner.submit(images, frame_id, plan)
            if not self.frames_read:
                self._log_first_readback(images[0])
            self.frames_read += 1
        thumbnail = self.capture.read_thumbnail(frame)
        if thumbnail is not None:
            runner.submit_thumbnail(thumbnail[1], thumbnail[0])

    def _stage_frame(self, engine: Engine, runner, s: fs.FilterSettings, frame: int, full: int, width: int,
                     height: int) -> None:
        """Queue this frame's model-size crops when the runner will be able to take them next frame."""
        self.sync.observe(1.0 / self.frame_seconds, runner.cpu_s, runner.done, lib.obs_get_lagged_frames(),
                          lib.obs_get_total_frames())
        if self.sync.wants_frame(frame, s.mask_rate, runner.free_in_s(), self.frame_seconds):
            assert engine.pipeline is not None  # set with the runner
            plan = engine.pipeline.plan(width, height)  # person tracking picks the crop
            if self.capture.stage(full, width, height, frame, frame, plan):
                self.sync.staged()
        if s.motion and self.sync.carrying(frame):
            self.capture.stage_thumbnail(full, width, height, frame, frame)

    def _pick_mask_and_frame(self, engine: Engine, runner, s: fs.FilterSettings, frame: int, full: int):
        """(mask result, texture to show) for this frame, or None before the first mask."""
        if engine is not self.mask_engine:  # a new model: masks of the old one no longer fit
            self.sync.reset()
            self.mask_engine, self.uploaded = engine, None
        for result in runner.take():
            self.sync.offer(result, frame)
        picked = self.sync.pick(frame, s.match_video, self.capture.has_frame)
        if picked is None:
            return None
        mask, shown_frame = picked
        return mask, (full if shown_frame == frame else self.capture.ring_texture(shown_frame))

    def _frame(self, s: fs.FilterSettings, mask, width: int, height: int) -> Rect:
        """Auto-frame: one step of the camera per video frame, aimed anew at each new mask's people."""
        if s.framing != "follow":
            self.camera = None
            return FULL
        if self.camera is None or self.camera.size != (width, height):
            self.camera, self.framed_id = Camera(width, height), -1
        people = None
        if mask.source != self.framed_id and mask.people is not None:  # None: made before framing was on
            self.framed_id, people = mask.source, mask.people  # a mask carried by motion has its source's
        return self.camera.step(people, self.frame_seconds, s.framing_max_zoom, s.framing_speed).rect(width, height)

    def _composite(self, params: RenderParams, tex: int, width: int, height: int) -> None:
        if not self.compositor.draw(params, tex, width, height, self.window):
            lib.obs_source_skip_video_filter(self.source)

    # -- helpers -----------------------------------------------------------------------------
    def _log_status(self, now: float) -> None:
        self.next_status_log = now + STATUS_LOG_S
        try:
            log(LOG_INFO, f"filter '{self.name}' status: {self.status_text()} Graphics thread, slowest calls "
                          f"in {STATUS_LOG_S:g} s: {self.timer.take()}.")
        except Exception as exc:  # the status must never cost a frame
            self.log_error("status", exc)

    def _log_first_readback(self, rgb) -> None:
        r, g, b = (float(rgb[:, :, c].mean()) for c in range(3))
        h, w = rgb.shape[:2]
        log(LOG_INFO, f"filter '{self.name}' readback #1 {w}x{h} mean RGB {r:.2f} {g:.2f} {b:.2f}")

    def status_text(self) -> str:
        engine, s = self.engine, self.settings
        if engine is None or s is None:
            return "Starting."
        if engine.error:
            return f"Passing video through: {engine.error}"
        if self.compositor.error or self.capture.error:
            return f"Passing video through: {self.compositor.error or self.capture.error}"
        if not engine.ready:
            return "Loading the model; video passes through until it is ready."
        if self.hdr:
            return "HDR source: Backdrop works on SDR video only, so the video passes through unchanged."
        runner, sync = engine.runner, self.sync
        assert runner is not None  # set with `ready`
        video_fps, mask_fps = sync.rates()
        parts = [f"{fs.PRESET_LABELS.get(s.preset, s.preset)}: {engine.session_description()}",
                 f"inference {runner.infer_ms:.1f} ms + {runner.post_ms:.1f} ms post",
                 f"{mask_fps:.1f} mask fps at {video_fps:.1f} fps video ({sync.masks_shown} masks shown"
                 + (f", {sync.carried_shown} more carried forward by motion)" if sync.carried_shown else ")"),
                 f"{sync.limiter.cpu_per_mask * 1e3:.1f} ms CPU per mask", f"latency {sync.latencies[-1]} frame(s)",
                 f"render {self.last_render_ms:.1f} ms"]
        if s.mask_rate == 0 and (runner.infer_ms + runner.post_ms) / 1000.0 > self.frame_seconds:
            parts.append(f"mask rate limited by inference speed (video {1.0 / self.frame_seconds:.0f} fps)")
        elif s.mask_rate == 0:
            parts.append(f"mask rate: {sync.limiter.limit}")
        latest = runner.latest()
        if latest is not None:
            parts += status_words(latest.result.status)
        camera = self.camera
        if camera is not None:
            who = f"{camera.people} {'person' if camera.people == 1 else 'people'}" if camera.people else "nobody"
            parts.append(f"auto-frame: {who} in view, zoom {camera.window.zoom(camera.size[1]):.2f}x "
                         f"({'steady' if camera.steady else 'moving'})")
        if s.match_video:
            ms = round(sync.shown_delay * self.frame_seconds * 1e3)
            ring = len(self.capture.ring)
            width, height = self.last_size
            parts.append(f"video delayed {sync.shown_delay} frame(s) ({ms} ms) to match its masks: set your "
                         f"microphone's Sync Offset to {ms} ms (Edit > Advanced Audio Properties); {ring} full "
                         f"frames kept on the GPU ({ring * width * height * 4 / 1e6:.1f} MB)")
        if runner.error:
            parts.append(f"last error: {runner.error}")
        if self.background_error:
            parts.append(self.background_error)
        if self.repaired:
            parts.append(f"settings of the wrong type set back to their defaults: {', '.join(self.repaired)}")
        return "; ".join(parts) + "."

    def log_error(self, where: str, exc: BaseException) -> None:
        """Log an exception from a callback, rate-limited so a per-frame failure cannot flood the log."""
        key = f"{where}:{type(exc).__name__}:{exc}"
        n = self._errors[key] = self._errors.get(key, 0) + 1
        if n == 1 or n % 600 == 0:
            log(LOG_WARNING, f"filter '{self.name}' {where} failed ({n}x): {type(exc).__name__}: {exc}")
