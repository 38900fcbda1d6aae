"""The Backdrop filter: one instance per filter in OBS, its frame path alone. Reads top to bottom in
the order OBS calls it: create, update, video_tick, video_render, destroy.

`video_render` is the render-thread path and the heart of the product: it never waits for
inference. It hands last frame's model-size crops to the async runner, picks the mask for this
frame, stages this frame's crops, and composites on the GPU. Beside it, each with one job: the
background picture (background_picture.py), the auto-frame camera (core/framer.py), the status line
and record (filter_status.py), the properties dialog (filter_properties.py), the audio source kept in
sync with the video delay (audio_follow.py: video_tick only counts frames for it). Which thread calls what,
and who writes the settings when: docs/architecture.md.
"""

from __future__ import annotations

import ctypes
import time

from ..core.framer import Framer
from ..core.geometry import FULL
from . import filter_settings as fs
from . import graphics_timer
from .audio_follow import AudioFollow
from .background_picture import BackgroundPicture
from .compositor import BLUR_EFFECT, MASK_EFFECT, Compositor, RenderParams
from .engine import Engine
from .filter_properties import get_defaults, get_properties, preset_modified, properties_modified  # noqa: F401
from .filter_settings import repair_settings  # noqa: F401  # these: callbacks registration.py forwards to here
from .filter_status import FilterStatus
from .frame_capture import CROP_EFFECT, FrameCapture
from .graphics_timer import GraphicsTimer
from .libobs import GS_CS_SRGB, GS_CS_SRGB_16F, LOG_INFO, LOG_WARNING, OBS_TASK_UI, lib, log
from .mask_sync import MaskSync
from .registration import ui_task

# What we can composite, best first (as OBS's own filters ask): sources answer with what they give.
PREFERRED_SPACES = (ctypes.c_int * 2)(GS_CS_SRGB, GS_CS_SRGB_16F)
# The effect files a new filter compiles: a table, so the test plug-in (tests/obs_plugin.py) can swap
# in a broken one.
EFFECT_FILES = {"mask": MASK_EFFECT, "blur": BLUR_EFFECT, "crop": CROP_EFFECT}


def create(settings: int, source: int) -> BackdropFilter:
    """The filter type's `create`: what registration.py forwards to."""
    return BackdropFilter(settings, source)


class BackdropFilter:
    def __init__(self, settings: int, source: int) -> None:
        self.source = source
        self.name = (lib.obs_source_get_name(source) or b"?").decode("utf-8", "replace")
        self.capture = FrameCapture(EFFECT_FILES["crop"])
        self.compositor = Compositor(EFFECT_FILES["mask"], EFFECT_FILES["blur"])
        self.background = BackgroundPicture(self.compositor, self._warn)
        self.repairs = fs.Repairs(self._warn)  # settings of the wrong type
        self.framer = Framer()  # auto-frame's camera
        self.status = FilterStatus()
        # (engine, settings, render parameters): replaced whole by update(), read once per frame by
        # video_render, so one frame never mixes two updates.
        self.state: tuple[Engine, fs.FilterSettings, RenderParams] | None = None
        self.render_frame = self.frames_read = 0  # frames rendered, frames read back
        self.uploaded = None  # the mask on the GPU
        self.mask_engine: Engine | None = None  # the engine whose masks `sync` holds
        self.sync = MaskSync(time.monotonic)  # which frames to stage, which mask to show, the auto rate
        self.frame_seconds = 1.0 / 30.0
        self.tick, self.rendered_tick = 0, -1  # video_tick count (one per OBS frame); the last full render's
        self.last_shown, self.last_size = None, (0, 0)
        self.window = FULL  # the part of the frame shown (normalised)
        self.hdr = False
        self.last_render_ms = 0.0
        self._errors: dict[str, int] = {}
        self.timer = GraphicsTimer(lambda line: log(LOG_WARNING, f"filter '{self.name}' {line}"))
        self.retired: list[Engine] = []  # replaced engines, stopping; joined in destroy
        self.audio = AudioFollow(source, self.name, self._video_delay_frames)  # keep this audio in sync
        self.repairs.now(settings)  # nobody else holds the settings yet
        fs.migrate(settings)
        fs.apply_preset(settings)  # a filter created with a preset (obs-websocket, a saved collection)
        self._apply(settings)
        log(LOG_INFO, f"filter '{self.name}' created")

    def update(self, settings: int) -> None:
        """OBS's `update`, on the graphics thread: read the settings, never write them here (presets are
        written by the dialog's callback and at creation; fs.read honours a preset not written yet)."""
        started = graphics_timer.start()
        try:
            wrong = self.repairs.found(settings)
            if wrong:
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
        self.background.choose(s.background_image)  # decoded once video_render knows the size
        self.state = (engine, s, RenderParams.from_settings(s))
        log(LOG_INFO, f"filter '{self.name}' settings: preset={s.preset} mode={s.mode} model={s.model} "
                      f"mask_rate={s.mask_rate} refine={s.refine:g} provider={s.provider}")

    def video_tick(self, seconds: float) -> None:
        started = graphics_timer.start()
        self.tick += 1
        if seconds > 0:
            self.frame_seconds = seconds
        s = self.state[1] if self.state is not None else None
        self.audio.tick(s is not None and s.match_video and s.audio_source != "")
        self.timer.record("video_tick", started)

    def _video_delay_frames(self) -> int:
        """Frames the video is shown late now, as the status record says (0 while it passes through)."""
        return self.status.figures(self).get("video_delay_frames") or 0

    def filter_remove(self) -> None:
        """OBS's `filter_remove`: the audio source gets its offset back (audio_follow.py)."""
        self.audio.removed()

    def video_render(self) -> None:
        started = graphics_timer.start()
        try:
            self._render(started[0])
        finally:
            self.timer.record("video_render", started)

    def _render(self, t0: float) -> None:
        self.status.log_if_due(self, t0)  # also while passing video through: the status says why
        state = self.state  # this frame's engine, settings and parameters: update() may replace them
        target = lib.obs_filter_get_target(self.source)
        width = lib.obs_source_get_base_width(target) if target else 0
        height = lib.obs_source_get_base_height(target) if target else 0
        engine, s, params = state if state is not None else (None, None, None)
        if width and height:
            self.background.fit((width, height))
        runner = engine.runner if engine is not None and engine.ready else None
        if engine is None or runner is None or s is None or params is None or not width or not height \
                or not self.compositor.ensure() \
                or not self.capture.ensure(self.sync.ring_size(s.match_video, s.motion)):
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
        self._submit_staged(runner, frame)  # 1. hand over the last frame
        picked = self._pick_mask_and_frame(engine, runner, s, frame, full)  # 2. pick the mask
        self._stage_frame(engine, runner, s, frame, full, width, height)  # 3. stage this frame
        if picked is None:  # no mask yet
            lib.obs_source_skip_video_filter(self.source)
            return
        mask, shown, shown_frame = picked
        if mask is not self.uploaded:
            if not self.compositor.upload(mask.result.mask, mask.result.coeffs, mask.result.rect):
                lib.obs_source_skip_video_filter(self.source)
                return
            self.uploaded = mask
            self.sync.uploaded(mask.source, carried=mask.carried)
        self.sync.rendered()
        self.sync.shown(mask, shown_frame)
        self.last_shown = shown
        self.window = self.framer.off() if s.framing != "follow" else self.framer.step(
            mask, width, height, self.frame_seconds, s.framing_max_zoom, s.framing_speed)
        self._composite(params, shown, width, height)
        self.last_render_ms = (time.perf_counter() - t0) * 1e3

    def _submit_staged(self, runner, frame: int) -> None:
        """Hand last frame's copy to the runner (mapped a frame late: the GPU has finished it)."""
        staged = self.capture.read_staged(frame)
        if staged is not None:
            frame_id, images, plan = staged
            runner.submit(images, frame_id, plan)
            if not self.frames_read:
                r, g, b = (float(images[0][:, :, c].mean()) for c in range(3))
                h, w = images[0].shape[:2]
                log(LOG_INFO, f"filter '{self.name}' readback #1 {w}x{h} mean RGB {r:.2f} {g:.2f} {b:.2f}")
            self.frames_read += 1
        for frame_id, pixels in self.capture.read_thumbnails(frame):
            runner.submit_thumbnail(pixels, frame_id)

    def _pick_mask_and_frame(self, engine: Engine, runner, s: fs.FilterSettings, frame: int, full: int):
        """(mask, texture to show, its frame) for this frame, or None before the first mask."""
        if engine is not self.mask_engine:  # a new model: masks of the old one no longer fit
            self.sync.reset()
            self.mask_engine, self.uploaded = engine, None
        for result in runner.take():
            self.sync.offer(result, frame)
        picked = self.sync.pick(frame, s.match_video, self.capture.has_frame)
        if picked is None:
            return None
        mask, shown_frame = picked
        return mask, (full if shown_frame == frame else self.capture.ring_texture(shown_frame)), shown_frame

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
            else:
                self.sync.missed(frame)
        for missed in self.sync.thumbnails(frame) if s.motion else ():
            tex = full if missed == frame else self.capture.ring_texture(missed)
            if tex:
                self.capture.stage_thumbnail(tex, width, height, missed, frame)

    def _composite(self, params: RenderParams, tex: int, width: int, height: int) -> None:
        if not self.compositor.draw(params, tex, width, height, self.window):
            lib.obs_source_skip_video_filter(self.source)

    def destroy(self) -> None:
        """The destroy thread, before libobs releases the settings: repair them (a removal or OBS's exit
        can come before the next `update`), then wait for our threads."""
        settings = lib.obs_source_get_settings(self.source)
        if settings:
            self.repairs.now(settings)
            lib.obs_data_release(settings)
        self.audio.destroyed()
        engines = self.retired + ([self.state[0]] if self.state is not None else [])
        for engine in engines:
            engine.stop()
        deadline = time.monotonic() + 10.0  # one wait for all: OBS's exit waits for this thread
        for engine in engines:
            engine.join(max(0.0, deadline - time.monotonic()))
        self.background.join(deadline)
        self.capture.destroy()
        self.compositor.destroy()
        log(LOG_INFO, f"filter '{self.name}' destroyed")

    def status_text(self) -> str:
        """The status line (filter_status.py), for the properties dialog."""
        return self.status.text(self)

    def _warn(self, text: str) -> None:
        log(LOG_WARNING, f"filter '{self.name}': {text}")

    def log_error(self, where: str, exc: BaseException) -> None:
        """Log an exception from a callback, rate-limited so a per-frame failure cannot flood the log."""
        key = f"{where}:{type(exc).__name__}:{exc}"
        n = self._errors[key] = self._errors.get(key, 0) + 1
        if n == 1 or n % 600 == 0:
            log(LOG_WARNING, f"filter '{self.name}' {where} failed ({n}x): {type(exc).__name__}: {exc}")
