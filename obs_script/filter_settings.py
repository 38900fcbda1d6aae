"""The filter's settings: keys, defaults, ranges and presets, defined once, read with clamping.

Settings live in OBS's scene collection (and can be set through obs-websocket), so every value is
checked on the way in: wrong types fall back to the default, numbers are clamped to their range,
unknown choices fall back to the default choice.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..core import vocabulary as V
from ..core.providers import SHORT_NAMES
from .libobs import lib

SETTINGS_VERSION = 1

# -- keys ------------------------------------------------------------------------------------------
S_VERSION = "settings_version"
S_PRESET = "preset"
S_APPLIED_PRESET = "applied_preset"  # the preset whose values were last written into the settings
S_MODE = "mode"
S_BG_IMAGE = "background_image"
S_BG_COLOR = "background_color"  # OBS colour: 0xAABBGGRR
S_BLUR = "blur_strength"
S_MODEL = "model"
S_PROVIDER = "provider"
S_THRESHOLD = "threshold"
S_SOFTNESS = "edge_softness"
S_TEMPORAL = "temporal_smoothing"
S_REFINE = "edge_refinement"
S_LIGHT_WRAP = "light_wrap"
S_TRACKING = "person_tracking"
S_MATCH_VIDEO = "match_video_to_mask"
S_MASK_RATE = "mask_every_n_frames"  # 0 = auto (as fast as inference allows)
S_SHOW_MASK = "show_mask"
S_DEBUG_MASK = "debug_mask"  # test-only: "" (the model), "opaque", "split", "luma", "bare" (inference only)

MODES = V.MODES
PRESETS = ("low_cpu", "balanced", "quality", "full_body", "custom")
DEBUG_MASKS = ("", "opaque", "split", "luma", "bare")
PROVIDERS = tuple(SHORT_NAMES)

# name: (default, minimum, maximum)
FLOATS = {
    S_THRESHOLD: (V.THRESHOLD, 0.05, 0.95),
    S_SOFTNESS: (V.SOFTNESS, 0.0, 1.0),
    S_TEMPORAL: (0.6, 0.0, 1.0),
    S_REFINE: (0.0, 0.0, 1.0),
    S_LIGHT_WRAP: (V.LIGHT_WRAP, 0.0, 1.0),
}
INTS = {
    S_BLUR: (V.BLUR_STRENGTH, *V.BLUR_RANGE),
    S_MASK_RATE: (0, 0, 10),
}
STRINGS = {
    S_PRESET: "balanced",
    S_MODE: V.MODE,
    S_BG_IMAGE: "",
    S_MODEL: "selfie_general",
    S_PROVIDER: "auto",
    S_DEBUG_MASK: "",
}
BOOLS = {S_TRACKING: True, S_MATCH_VIDEO: False, S_SHOW_MASK: False}
DEFAULT_COLOR = 0xFF000000 | V.COLOR_RGB[2] << 16 | V.COLOR_RGB[1] << 8 | V.COLOR_RGB[0]  # OBS: 0xAABBGGRR

PRESET_VALUES: dict[str, dict[str, object]] = {
    "low_cpu": {S_MODEL: "selfie_landscape", S_MASK_RATE: 3, S_TEMPORAL: 0.7, S_REFINE: 0.0},
    "balanced": {S_MODEL: "selfie_general", S_MASK_RATE: 0, S_TEMPORAL: 0.6, S_REFINE: 0.0},
    "quality": {S_MODEL: "selfie_general", S_MASK_RATE: 1, S_TEMPORAL: 0.5, S_REFINE: 0.5},
    # Standing streamers (fitness, dance, VR): the selfie model fused with the pose (core/full_body.py).
    # Edge refinement does not apply to the fused mask; the mask rate adapts to the CPU budget.
    "full_body": {S_MODEL: "full_body", S_MASK_RATE: 0, S_TEMPORAL: 0.6, S_REFINE: 0.0},
}


@dataclass(frozen=True)
class FilterSettings:
    preset: str
    mode: str
    background_image: str
    background_color: tuple[float, float, float, float]  # RGBA 0..1
    blur: int
    model: str
    provider: str
    threshold: float
    softness: float
    temporal: float
    refine: float
    light_wrap: float
    tracking: bool
    match_video: bool
    mask_rate: int
    show_mask: bool
    debug_mask: str

    def engine_key(self) -> tuple:
        """What needs a new engine (session + runner) when it changes."""
        return (self.model, self.provider, self.debug_mask)


def _k(key: str) -> bytes:
    return key.encode()


def set_defaults(settings: int) -> None:
    lib.obs_data_set_default_int(settings, _k(S_VERSION), SETTINGS_VERSION)
    for key, (default, _, _) in FLOATS.items():
        lib.obs_data_set_default_double(settings, _k(key), default)
    for key, (default, _, _) in INTS.items():
        lib.obs_data_set_default_int(settings, _k(key), default)
    for key, default in STRINGS.items():
        lib.obs_data_set_default_string(settings, _k(key), default.encode())
    for key, default in BOOLS.items():
        lib.obs_data_set_default_bool(settings, _k(key), default)
    lib.obs_data_set_default_int(settings, _k(S_BG_COLOR), DEFAULT_COLOR)


def migrate(settings: int) -> None:
    """Bring saved settings up to SETTINGS_VERSION (scene collections outlive plugin versions)."""
    key = _k(S_VERSION)
    # A saved filter without the key predates versioning (version 0); the default does not count.
    version = lib.obs_data_get_int(settings, key) if lib.obs_data_has_user_value(settings, key) else 0
    if version < SETTINGS_VERSION:
        # Version 0 -> 1: no key changed meaning yet; later migrations go here, one step each.
        lib.obs_data_set_int(settings, key, SETTINGS_VERSION)


def _pending_preset(settings: int) -> tuple[str, dict[str, object] | None]:
    """(chosen preset, its values if they have not been written into the settings yet, else None)."""
    preset = _string(settings, S_PRESET, PRESETS)
    return preset, (None if preset == _string(settings, S_APPLIED_PRESET) else PRESET_VALUES.get(preset, {}))


def apply_preset(settings: int) -> bool:
    """Write the chosen preset's values into the settings once, when the preset changes. Called by
    the dialog's preset callback and at creation only: OBS's `update` never writes settings."""
    preset, values = _pending_preset(settings)
    if values is None:
        return False
    for key, value in values.items():
        if isinstance(value, str):
            lib.obs_data_set_string(settings, _k(key), value.encode())
        elif isinstance(value, float):
            lib.obs_data_set_double(settings, _k(key), value)
        else:
            lib.obs_data_set_int(settings, _k(key), value)
    lib.obs_data_set_string(settings, _k(S_APPLIED_PRESET), preset.encode())
    return True


def visible_controls(settings: int) -> dict[str, bool]:
    """Which controls the dialog shows: those the chosen mode uses, and the preset's own controls
    only under "Custom" (a preset sets them; choosing Custom keeps its values to adjust)."""
    mode, custom = _string(settings, S_MODE, MODES), _string(settings, S_PRESET, PRESETS) == "custom"
    return {S_BG_IMAGE: mode == "image", S_BG_COLOR: mode in ("color", "image"), S_BLUR: mode == "blur",
            S_LIGHT_WRAP: mode != "transparent",
            **{key: custom for key in (S_MODEL, S_MASK_RATE, S_TEMPORAL, S_REFINE)}}


def _string(settings: int, key: str, choices: tuple[str, ...] | None = None) -> str:
    raw = lib.obs_data_get_string(settings, _k(key))
    value = raw.decode("utf-8", "replace") if raw else ""
    if choices is not None and value not in choices:
        return STRINGS[key]
    return value


def _float(settings: int, key: str) -> float:
    default, lo, hi = FLOATS[key]
    value = lib.obs_data_get_double(settings, _k(key))
    if value != value:  # NaN
        return default
    return min(max(value, lo), hi)


def _int(settings: int, key: str) -> int:
    default, lo, hi = INTS[key]
    return int(min(max(lib.obs_data_get_int(settings, _k(key)), lo), hi))


def color_rgba(obs_color: int) -> tuple[float, float, float, float]:
    """OBS stores colours as 0xAABBGGRR."""
    c = obs_color & 0xFFFFFFFF
    return ((c & 0xFF) / 255.0, ((c >> 8) & 0xFF) / 255.0, ((c >> 16) & 0xFF) / 255.0, ((c >> 24) & 0xFF) / 255.0)


def read(settings: int) -> FilterSettings:
    """The settings as the filter uses them: typed, clamped, defaults for anything invalid. A preset
    chosen without the dialog (obs-websocket) counts at once, though nothing writes its values."""
    preset, pending = _pending_preset(settings)
    pending = pending or {}
    path = _string(settings, S_BG_IMAGE)

    def pick(key: str, read_value):
        return pending[key] if key in pending else read_value(settings, key)

    return FilterSettings(
        preset=preset,
        mode=_string(settings, S_MODE, MODES),
        background_image=path[:4096],
        background_color=color_rgba(lib.obs_data_get_int(settings, _k(S_BG_COLOR))),
        blur=_int(settings, S_BLUR),
        model=(pick(S_MODEL, _string) or STRINGS[S_MODEL])[:256],
        provider=_string(settings, S_PROVIDER, PROVIDERS),
        threshold=_float(settings, S_THRESHOLD),
        softness=_float(settings, S_SOFTNESS),
        temporal=pick(S_TEMPORAL, _float),
        refine=pick(S_REFINE, _float),
        light_wrap=_float(settings, S_LIGHT_WRAP),
        tracking=bool(lib.obs_data_get_bool(settings, _k(S_TRACKING))),
        match_video=bool(lib.obs_data_get_bool(settings, _k(S_MATCH_VIDEO))),
        mask_rate=pick(S_MASK_RATE, _int),
        show_mask=bool(lib.obs_data_get_bool(settings, _k(S_SHOW_MASK))),
        debug_mask=_string(settings, S_DEBUG_MASK, DEBUG_MASKS),
    )
