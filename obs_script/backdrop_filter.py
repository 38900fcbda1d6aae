"""The Backdrop filter: one instance per filter in OBS. Reads top to bottom in the order OBS calls it.

Settings keys are defined once here. `video_render` is the render-thread path: keep it short.
"""

from __future__ import annotations

from pathlib import Path

from .gpu_pipeline import GpuPipeline
from .libobs import LOG_INFO, LOG_WARNING, OBS_TEXT_INFO, lib, log

# -- settings keys -----------------------------------------------------------------------------
S_VERSION = "settings_version"
S_DEBUG_MASK = "debug_mask"  # test-only: "none" (model), "opaque", "split" (left half transparent)
SETTINGS_VERSION = 1

EFFECT_PATH = Path(__file__).resolve().parent / "data" / "backdrop_mask.effect"
MODEL_SIZE = (256, 256)  # the general model's input; the engine supplies it once segmentation runs


def migrate_settings(settings: int) -> None:
    """Bring saved settings up to SETTINGS_VERSION (scene collections outlive plugin versions)."""
    key = S_VERSION.encode()
    # A saved filter without the key predates versioning (version 0); the default does not count.
    version = lib.obs_data_get_int(settings, key) if lib.obs_data_has_user_value(settings, key) else 0
    if version < SETTINGS_VERSION:
        # Version 0 -> 1: no key changed meaning yet; later migrations go here, one step each.
        lib.obs_data_set_int(settings, key, SETTINGS_VERSION)


def get_defaults(settings: int) -> None:
    lib.obs_data_set_default_int(settings, S_VERSION.encode(), SETTINGS_VERSION)


def get_properties(filt: BackdropFilter | None) -> int:
    props = lib.obs_properties_create()
    status = filt.status if filt is not None else "Backdrop is loaded."
    lib.obs_properties_add_text(props, b"status", status.encode(), OBS_TEXT_INFO)
    return props


class BackdropFilter:
    def __init__(self, settings: int, source: int) -> None:
        self.source = source
        self.name = (lib.obs_source_get_name(source) or b"?").decode("utf-8", "replace")
        self.gpu = GpuPipeline(EFFECT_PATH)
        self.debug_mask = "opaque"
        self.frames_read = 0
        self.status = "Starting."
        self._mask = None
        self._errors: dict[str, int] = {}
        migrate_settings(settings)
        self.update(settings)
        log(LOG_INFO, f"filter '{self.name}' created")

    def update(self, settings: int) -> None:
        raw = lib.obs_data_get_string(settings, S_DEBUG_MASK.encode()) or b""
        mode = raw.decode("utf-8", "replace")
        self.debug_mask = mode if mode in ("opaque", "split") else "opaque"
        self._mask = None  # rebuilt on the next frame
        log(LOG_INFO, f"filter '{self.name}' settings: debug_mask={self.debug_mask}")

    def destroy(self) -> None:
        self.gpu.destroy()
        log(LOG_INFO, f"filter '{self.name}' destroyed")

    def video_render(self) -> None:
        target = lib.obs_filter_get_target(self.source)
        width = lib.obs_source_get_base_width(target) if target else 0
        height = lib.obs_source_get_base_height(target) if target else 0
        if not width or not height or not self.gpu.ensure(*MODEL_SIZE):
            lib.obs_source_skip_video_filter(self.source)
            return
        full = self.gpu.render_target(target, width, height)
        small = self.gpu.downscale(full, width, height) if full else None
        if not small:
            lib.obs_source_skip_video_filter(self.source)
            return
        frame = self.gpu.stage_and_read(small)
        if frame is not None:
            self._on_frame(frame)
        if self._mask is None:
            self._mask = self._test_mask()
            self.gpu.upload_mask(self._mask)
        self.gpu.draw_output(full, width, height)

    # -- helpers -----------------------------------------------------------------------------
    def _on_frame(self, frame) -> None:
        self.frames_read += 1
        if self.frames_read in (1, 100):
            r, g, b = (float(frame[:, :, c].mean()) for c in range(3))
            log(LOG_INFO, f"filter '{self.name}' readback #{self.frames_read} {frame.shape[1]}x"
                          f"{frame.shape[0]} mean RGB {r:.2f} {g:.2f} {b:.2f}")
        self.status = f"Pass-through ({self.debug_mask} mask); {self.frames_read} frames read back."

    def _test_mask(self):
        import numpy as np

        mw, mh = MODEL_SIZE
        mask = np.full((mh, mw), 255, np.uint8)
        if self.debug_mask == "split":
            mask[:, : mw // 2] = 0
        return mask

    def log_error(self, where: str, exc: BaseException) -> None:
        """Log an exception from a callback, rate-limited so a per-frame failure cannot flood the log."""
        key = f"{where}:{type(exc).__name__}:{exc}"
        n = self._errors[key] = self._errors.get(key, 0) + 1
        if n == 1 or n % 600 == 0:
            log(LOG_WARNING, f"filter '{self.name}' {where} failed ({n}x): {type(exc).__name__}: {exc}")


def create(settings: int, source: int) -> BackdropFilter:
    """The filter type's `create`: what registration.py forwards to."""
    return BackdropFilter(settings, source)
