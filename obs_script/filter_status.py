"""One filter's status (`FilterStatus`): the line the properties dialog shows, and every
BACKDROP_STATUS_LOG_S seconds that line in OBS's log with, on the next line, one JSON record of the
same figures (`status record: {...}`), for tools and tests to read instead of the words. The figures
are gathered once (`figures`); the line words them.
"""

from __future__ import annotations

import json
import os
import time
from typing import TYPE_CHECKING, Any, Protocol

from ..core.mask_source import MaskStatus, PoseState
from . import filter_settings as fs
from .graphics_timer import describe
from .libobs import LOG_INFO, log

if TYPE_CHECKING:
    from ..core.framer import Framer
    from .audio_follow import AudioFollow
    from .background_picture import BackgroundPicture
    from .compositor import Compositor, RenderParams
    from .engine import Engine
    from .frame_capture import FrameCapture
    from .graphics_timer import GraphicsTimer
    from .mask_sync import MaskSync


class BackdropFilter(Protocol):
    """What the status reads of the filter (obs_script/backdrop_filter.py)."""

    name: str
    state: tuple[Engine, fs.FilterSettings, RenderParams] | None
    compositor: Compositor
    capture: FrameCapture
    sync: MaskSync
    framer: Framer
    background: BackgroundPicture
    repairs: fs.Repairs
    timer: GraphicsTimer
    audio: AudioFollow
    hdr: bool
    frame_seconds: float
    last_size: tuple[int, int]
    last_render_ms: float
    render_frame: int

    def log_error(self, where: str, exc: BaseException) -> None: ...

STATUS_LOG_S = float(os.environ.get("BACKDROP_STATUS_LOG_S", "60"))  # status into OBS's log every N s
RECORD = "status record: "  # what the JSON record's log line says before the JSON

# What the pipeline was doing (core.mask_source.MaskStatus), in the status line's words.
SEARCHING_WORDS = "searching for people: nobody tracked, each mask also looks at a zoomed tile"
POSE_WORDS = {
    PoseState.ACTIVE: "pose branch active (whole body)",
    PoseState.NO_FULL_BODY: "pose branch idle: no full body in view",
    PoseState.SEARCHING: "pose branch idle: looking for a person",
    PoseState.ELSEWHERE: "pose branch idle: its person is not one the selfie model sees",
}


class FilterStatus:
    def __init__(self) -> None:
        self.next_log = time.perf_counter() + STATUS_LOG_S
        self.logged = 0  # records logged: each record's number

    def log_if_due(self, filt: BackdropFilter, now: float) -> None:
        """`video_render`, each frame (also while passing video through: the status says why)."""
        if now < self.next_log:
            return
        self.next_log = now + STATUS_LOG_S
        try:
            self.logged += 1
            figures = self.figures(filt)
            slowest = filt.timer.take()
            log(LOG_INFO, f"filter '{filt.name}' status: {self.words(figures)} Graphics thread, slowest calls "
                          f"in {STATUS_LOG_S:g} s: {describe(slowest)}.")
            figures = {"record": self.logged, **figures, "graphics_ms": {k: list(v) for k, v in slowest.items()}}
            log(LOG_INFO, f"filter '{filt.name}' {RECORD}{json.dumps(_rounded(figures), separators=(',', ':'))}")
        except Exception as exc:  # the status must never cost a frame
            filt.log_error("status", exc)

    def text(self, filt: BackdropFilter) -> str:
        return self.words(self.figures(filt))

    @staticmethod
    def figures(filt: BackdropFilter) -> dict[str, Any]:
        """What the filter is doing, as numbers and names; `state` says which of the rest are there."""
        engine, s = filt.state[:2] if filt.state is not None else (None, None)
        problem = (engine.error if engine is not None else None) or filt.compositor.error or filt.capture.error
        if engine is None or s is None:
            return {"state": "starting"}
        if problem:
            return {"state": "passing", "error": problem}
        if not engine.ready:
            return {"state": "loading"}
        if filt.hdr:
            return {"state": "hdr"}
        runner, sync = engine.runner, filt.sync
        assert runner is not None  # set with `ready`
        video_fps, mask_fps = sync.rates()
        latest = runner.latest()
        status = latest.result.status if latest is not None else MaskStatus()
        camera = filt.framer.camera
        width, height = filt.last_size
        ring = len(filt.capture.ring)
        return {
            "state": "running", "preset": s.preset, "sessions": engine.session_description(),
            "infer_ms": runner.infer_ms, "post_ms": runner.post_ms, "mask_fps": mask_fps, "video_fps": video_fps,
            "masks_shown": sync.masks_shown, "carried": sync.carried_shown,
            "cpu_ms_per_mask": sync.limiter.cpu_per_mask * 1e3, "latency_frames": sync.latencies[-1],
            "render_ms": filt.last_render_ms, "frame_s": filt.frame_seconds,
            "mask_rate": s.mask_rate, "rate_limit": sync.limiter.limit,
            "searching": status.searching, "pose": status.pose.value if status.pose is not None else None,
            "auto_frame": None if camera is None else {
                "people": camera.people, "zoom": camera.window.zoom(camera.size[1]), "steady": camera.steady},
            "video_delay_frames": sync.shown_delay if s.match_video else None,
            "video_delay_ms": round(sync.shown_delay * filt.frame_seconds * 1e3) if s.match_video else None,
            "ring_frames": ring, "ring_mb": ring * width * height * 4 / 1e6,
            "audio_sync": _audio_figures(filt.audio),
            "runner_error": runner.error, "background_error": filt.background.error or None,
            "repaired": list(filt.repairs.keys),
            # Counters since the filter started, for tests and tools/measure/bench_obs.py to take
            # differences of: frames rendered; what each frame was first shown with (its own mask, one
            # carried by motion, an older one held) and of the held, those not sent to the worker;
            # masks later than their frame's first showing, frames whose crops the worker dropped;
            # the motion thread's CPU; and every GPU pass by kind (thumbnail_readback among them).
            "frames": filt.render_frame, "frames_own": sync.frames_own, "frames_carried": sync.frames_carried,
            "frames_held": sync.frames_held, "unsent_held": sync.unsent_held, "frames_unsent": sync.frames_unsent,
            "masks_late": sync.masks_late, "dropped": runner.dropped, "motion_cpu_s": runner.motion_cpu_s,
            "passes": dict(filt.capture.passes + filt.compositor.passes),
        }

    @staticmethod
    def words(f: dict[str, Any]) -> str:
        """The status line: the figures in words."""
        state = f["state"]
        if state != "running":
            return {"starting": "Starting.", "loading": "Loading the model; video passes through until it is ready.",
                    "hdr": "HDR source: Backdrop works on SDR video only, so the video passes through unchanged.",
                    }.get(state) or f"Passing video through: {f['error']}"
        parts = [f"{fs.PRESET_LABELS.get(f['preset'], f['preset'])}: {f['sessions']}",
                 f"inference {f['infer_ms']:.1f} ms + {f['post_ms']:.1f} ms post",
                 f"{f['mask_fps']:.1f} mask fps at {f['video_fps']:.1f} fps video ({f['masks_shown']} masks shown"
                 + (f", {f['carried']} more carried forward by motion)" if f["carried"] else ")"),
                 f"{f['cpu_ms_per_mask']:.1f} ms CPU per mask", f"latency {f['latency_frames']} frame(s)",
                 f"render {f['render_ms']:.1f} ms"]
        if f["mask_rate"] == 0 and (f["infer_ms"] + f["post_ms"]) / 1000.0 > f["frame_s"]:
            parts.append(f"mask rate limited by inference speed (video {1.0 / f['frame_s']:.0f} fps)")
        elif f["mask_rate"] == 0:
            parts.append(f"mask rate: {f['rate_limit']}")
        parts += [SEARCHING_WORDS] if f["searching"] else []
        parts += [POSE_WORDS[PoseState(f["pose"])]] if f["pose"] is not None else []
        frame = f["auto_frame"]
        if frame is not None:
            n = frame["people"]
            who = f"{n} {'person' if n == 1 else 'people'}" if n else "nobody"
            parts.append(f"auto-frame: {who} in view, zoom {frame['zoom']:.2f}x "
                         f"({'steady' if frame['steady'] else 'moving'})")
        audio = f.get("audio_sync")
        if f["video_delay_frames"] is not None:
            ms = f["video_delay_ms"]
            advice = (f"audio {audio['source']} delayed to match (+{audio['delay_ms']:g} ms)" if audio else
                      f"set your microphone's Sync Offset to {ms} ms (Edit > Advanced Audio Properties), or choose "
                      f"it in Keep this audio in sync")
            parts.append(f"video delayed {f['video_delay_frames']} frame(s) ({ms} ms) to match its masks: {advice}; "
                         f"{f['ring_frames']} full frames kept on the GPU ({f['ring_mb']:.1f} MB)")
        parts += [f"last error: {f['runner_error']}"] if f["runner_error"] else []
        parts += [f["background_error"]] if f["background_error"] else []
        if f["repaired"]:
            parts.append(f"settings of the wrong type set back to their defaults: {', '.join(f['repaired'])}")
        return "; ".join(parts) + "."


def _audio_figures(audio: AudioFollow) -> dict[str, Any] | None:
    """The audio source kept in sync: its name, the offset it has from Backdrop and this filter's part."""
    offset = audio.offset_ns
    if not audio.managed or offset is None:
        return None
    return {"source": audio.name, "offset_ms": offset / 1e6, "delay_ms": audio.delay_ns / 1e6}


def _rounded(value: Any) -> Any:
    """The record's figures to a thousandth, which is all they measure."""
    if isinstance(value, float):
        return round(value, 3)
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    return [_rounded(v) for v in value] if isinstance(value, list | tuple) else value
