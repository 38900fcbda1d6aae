"""The filter's settings: keys, defaults, ranges and presets, defined once, read with clamping.

Settings live in OBS's scene collection (and can be set through obs-websocket), so every value is
checked on the way in: wrong types fall back to the default (and are repaired, see `repair`), numbers
are clamped to their range, unknown choices fall back to the default choice.
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable, Collection
from dataclasses import dataclass

from ..core import framing as F
from ..core import vocabulary as V
from ..core.mask_source import DEFAULT_TEMPORAL
from ..core.model_registry import DEFAULT_MODEL
from ..core.providers import SHORT_NAMES
from .libobs import OBS_DATA_BOOLEAN, OBS_DATA_NUMBER, OBS_DATA_STRING, lib

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
S_MOTION = "carry_masks_by_motion"  # frames without a mask of their own get the newest one moved to them
S_SHOW_MASK = "show_mask"
S_FRAMING = "framing"  # auto-frame: "off" | "follow"
S_FRAMING_ZOOM = "framing_zoom"  # how much of the people: core/framing.py ZOOMS
S_FRAMING_SPEED = "framing_speed"  # how fast the camera follows: core/framing.py SPEEDS
S_FRAMING_MAX_ZOOM = "framing_max_zoom"
# Keep this audio in sync (obs_script/audio_follow.py): the chosen source's key (UUID, or name on OBS
# 29; "" none); the key of the source whose offset Backdrop manages now ("" none), with that source's
# own offset (its base) and the offset Backdrop last set, nanoseconds, to recognise after a restart.
S_AUDIO_SOURCE = "audio_sync_source"
S_AUDIO_MANAGED = "audio_sync_managed"
S_AUDIO_BASE = "audio_sync_base_ns"
S_AUDIO_SET = "audio_sync_set_ns"

# Choices and the dialog's labels for them, in the dialog's order.
MODE_LABELS = {"transparent": "Transparent (for compositing)", "blur": "Blur", "image": "Image", "color": "Colour"}
PRESET_LABELS = {"low_cpu": "Low CPU", "balanced": "Balanced", "quality": "Quality", "full_body": "Full body",
                 "custom": "Custom"}
FRAMING_LABELS = {"off": "Off", "follow": "Follow the people in view"}
MODES = tuple(MODE_LABELS)
PRESETS = tuple(PRESET_LABELS)
PROVIDERS = tuple(SHORT_NAMES)

# name: (default, minimum, maximum)
FLOATS = {
    S_THRESHOLD: (V.THRESHOLD, 0.05, 0.95),
    S_SOFTNESS: (V.SOFTNESS, 0.0, 1.0),
    S_TEMPORAL: (DEFAULT_TEMPORAL, 0.0, 1.0),
    S_REFINE: (0.0, 0.0, 1.0),
    S_LIGHT_WRAP: (V.LIGHT_WRAP, 0.0, 1.0),
    S_FRAMING_MAX_ZOOM: (2.0, *F.MAX_ZOOM_RANGE),
}
INTS = {
    S_BLUR: (V.BLUR_STRENGTH, *V.BLUR_RANGE),
    S_MASK_RATE: (0, 0, 10),
}
STRINGS = {
    S_PRESET: "balanced",
    S_MODE: V.MODE,
    S_BG_IMAGE: "",
    S_MODEL: DEFAULT_MODEL,
    S_PROVIDER: "auto",
    S_FRAMING: "off",
    S_FRAMING_ZOOM: "upper_body",
    S_FRAMING_SPEED: "medium",
    S_AUDIO_SOURCE: "",
    S_AUDIO_MANAGED: "",
}
# Match video to mask is on by default: a mask shown on a newer frame leaves ghosts behind a moving
# person (core/mask_timeline.py); the price is a delay of the mask latency, stated in the status line.
# Carrying masks by motion is on too: between masks (Low CPU, Full body on a slow CPU) it takes the
# mask to the person where they are (core/motion.py), for about a millisecond of CPU a frame.
BOOLS = {S_TRACKING: True, S_MATCH_VIDEO: True, S_MOTION: True, S_SHOW_MASK: False}
AUDIO_OFFSETS = {S_AUDIO_BASE: 0, S_AUDIO_SET: 0}  # nanoseconds, unclamped: whatever OBS allows
DEFAULT_COLOR = 0xFF000000 | V.COLOR_RGB[2] << 16 | V.COLOR_RGB[1] << 8 | V.COLOR_RGB[0]  # OBS: 0xAABBGGRR
Value = str | bool | float | int  # what a setting holds
DEFAULTS: dict[str, Value] = {S_VERSION: SETTINGS_VERSION, S_BG_COLOR: DEFAULT_COLOR, **STRINGS, **BOOLS,
                               **AUDIO_OFFSETS,
                               **{key: spec[0] for key, spec in (FLOATS | INTS).items()}}
# The obs_data type of every key with a default (an int and a double are both NUMBER).
TYPES = {S_VERSION: OBS_DATA_NUMBER, S_BG_COLOR: OBS_DATA_NUMBER, **dict.fromkeys(FLOATS, OBS_DATA_NUMBER),
         **dict.fromkeys(INTS, OBS_DATA_NUMBER), **dict.fromkeys(STRINGS, OBS_DATA_STRING),
         **dict.fromkeys(BOOLS, OBS_DATA_BOOLEAN), **dict.fromkeys(AUDIO_OFFSETS, OBS_DATA_NUMBER)}

PRESET_VALUES: dict[str, dict[str, Value]] = {
    "low_cpu": {S_MODEL: "selfie_landscape", S_MASK_RATE: 3, S_TEMPORAL: 0.7, S_REFINE: 0.0},
    "balanced": {S_MODEL: DEFAULT_MODEL, S_MASK_RATE: 0, S_TEMPORAL: DEFAULT_TEMPORAL, S_REFINE: 0.0},
    "quality": {S_MODEL: DEFAULT_MODEL, S_MASK_RATE: 1, S_TEMPORAL: 0.5, S_REFINE: 0.5},
    # Standing streamers (fitness, dance, VR): the selfie model fused with the pose (core/full_body.py).
    # Edge refinement does not apply to the fused mask; the mask rate adapts to the CPU budget.
    "full_body": {S_MODEL: "full_body", S_MASK_RATE: 0, S_TEMPORAL: DEFAULT_TEMPORAL, S_REFINE: 0.0},
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
    motion: bool = True
    framing: str = "off"
    framing_zoom: str = "upper_body"
    framing_speed: str = "medium"
    framing_max_zoom: float = 2.0
    audio_source: str = ""  # keep this audio in sync: its key, "" none

    def engine_key(self) -> tuple:
        """What needs a new engine (session + runner) when it changes."""
        return (self.model, self.provider)


def _k(key: str) -> bytes:
    return key.encode()


def set_defaults(settings: int) -> None:
    lib.obs_data_set_default_int(settings, _k(S_VERSION), SETTINGS_VERSION)
    for key, (default, _, _) in FLOATS.items():
        lib.obs_data_set_default_double(settings, _k(key), default)
    for key, (default, _, _) in INTS.items():
        lib.obs_data_set_default_int(settings, _k(key), default)
    for key, text in STRINGS.items():
        lib.obs_data_set_default_string(settings, _k(key), text.encode())
    for key, default in BOOLS.items():
        lib.obs_data_set_default_bool(settings, _k(key), default)
    lib.obs_data_set_default_int(settings, _k(S_BG_COLOR), DEFAULT_COLOR)


def wrong_typed(settings: int) -> list[str]:
    """Keys whose item is not of their default's type: an object or an array set through obs-websocket
    or a script, read back from a collection saved with one, or left behind without a user value by
    `obs_data_clear` (obs-websocket's SetSourceFilterSettings with overlay false), which keeps the type."""
    wrong = []
    for key, want in TYPES.items():
        item = ctypes.c_void_p(lib.obs_data_item_byname(settings, _k(key)))
        if not item.value:
            continue
        if lib.obs_data_item_gettype(item) != want:
            wrong.append(key)
        lib.obs_data_item_release(ctypes.byref(item))
    return wrong


def repaired_value(settings: int, key: str) -> Value:
    """What a wrong-typed key reads as, and is set back to: the chosen preset's value for the keys a
    preset sets (a Full body filter stays Full body), else the default."""
    return PRESET_VALUES.get(_string(settings, S_PRESET, PRESETS), {}).get(key, DEFAULTS[key])


def repair(settings: int, keys: Collection[str]) -> None:
    """Give each key a value of its type back through its typed setter, restore the defaults, and
    drop the user value where it is only the default (it is not pinned into the saved collection).

    libobs 29.0.2 (`libobs/obs-data.c`) keeps one `type` per item for the user and the default value:
    an object written over a key with a non-zero default makes `item_default_data_release` release
    the default's bytes as an `obs_data_t *` when the settings are freed, and OBS crashes after the
    filter's `destroy`. The typed setter releases the object and gives the item its type back
    (`obs_data_erase` would take the crashing path itself). On load, `set_item_def` skips a key whose
    saved value has another type, so the default is set again afterwards.
    """
    values = {key: repaired_value(settings, key) for key in keys}  # the preset first: it may be repaired too
    for key, value in values.items():
        if key in STRINGS:
            lib.obs_data_set_string(settings, _k(key), str(value).encode())
        elif key in BOOLS:
            lib.obs_data_set_bool(settings, _k(key), bool(value))
        elif key in FLOATS:
            lib.obs_data_set_double(settings, _k(key), float(value))
        else:
            lib.obs_data_set_int(settings, _k(key), int(value))
    if keys:
        set_defaults(settings)
    for key, value in values.items():
        if value == DEFAULTS[key]:
            lib.obs_data_unset_user_value(settings, _k(key))


class Repairs:
    """One filter's keys found with a value of the wrong type: each logged once (`warn`), named in the
    status line since. Repaired at once where no other thread writes the settings (`now`: create,
    destroy); `update` only finds them (`found`) and queues `repair_settings` to OBS's UI thread."""

    def __init__(self, warn: Callable[[str], None]) -> None:
        self.keys: tuple[str, ...] = ()
        self.warn = warn

    def found(self, settings: int) -> list[str]:
        wrong = wrong_typed(settings)
        new = [key for key in wrong if key not in self.keys]
        if new:
            self.keys += tuple(new)
            self.warn(f"settings of the wrong type set back to their defaults: {', '.join(new)}")
        return wrong

    def now(self, settings: int) -> None:
        wrong = self.found(settings)
        if wrong:
            repair(settings, wrong)


def repair_settings(source: int) -> None:
    """OBS's UI thread, queued by `update` with a reference to the source, which is released here."""
    settings = lib.obs_source_get_settings(source)
    try:
        repair(settings, wrong_typed(settings))
    finally:
        lib.obs_data_release(settings)
        lib.obs_source_release(source)


def migrate(settings: int) -> None:
    """Bring saved settings up to SETTINGS_VERSION (scene collections outlive plugin versions)."""
    key = _k(S_VERSION)
    # A saved filter without the key predates versioning (version 0); the default does not count.
    version = lib.obs_data_get_int(settings, key) if lib.obs_data_has_user_value(settings, key) else 0
    if version < SETTINGS_VERSION:
        # Version 0 -> 1: no key changed meaning yet; later migrations go here, one step each.
        lib.obs_data_set_int(settings, key, SETTINGS_VERSION)


def _pending_preset(settings: int) -> tuple[str, dict[str, Value] | None]:
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
    framing = _string(settings, S_FRAMING, tuple(FRAMING_LABELS)) == "follow"
    return {S_BG_IMAGE: mode == "image", S_BG_COLOR: mode in ("color", "image"), S_BLUR: mode == "blur",
            S_LIGHT_WRAP: mode != "transparent",
            S_AUDIO_SOURCE: bool(lib.obs_data_get_bool(settings, _k(S_MATCH_VIDEO))),  # the delay it matches
            **{key: framing for key in (S_FRAMING_ZOOM, S_FRAMING_SPEED, S_FRAMING_MAX_ZOOM)},
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


def read(settings: int, wrong: Collection[str] = ()) -> FilterSettings:
    """The settings as the filter uses them: typed, clamped, defaults for anything invalid (and for
    the `wrong` keys, of another type). A preset chosen without the dialog (obs-websocket) counts at
    once, though nothing writes its values."""
    preset, pending = _pending_preset(settings)
    pending = pending or {}

    def pick(key: str, read_value):
        if key in pending:
            return pending[key]
        return repaired_value(settings, key) if key in wrong else read_value(settings, key)

    def choice(choices: tuple[str, ...]):
        return lambda data, key: _string(data, key, choices)

    def flag(data: int, key: str) -> bool:
        return bool(lib.obs_data_get_bool(data, _k(key)))

    return FilterSettings(
        preset=preset,  # a wrong type reads as "" there: the default preset
        mode=pick(S_MODE, choice(MODES)),
        background_image=pick(S_BG_IMAGE, _string)[:4096],
        background_color=color_rgba(pick(S_BG_COLOR, lambda data, key: lib.obs_data_get_int(data, _k(key)))),
        blur=pick(S_BLUR, _int),
        model=(pick(S_MODEL, _string) or STRINGS[S_MODEL])[:256],
        provider=pick(S_PROVIDER, choice(PROVIDERS)),
        threshold=pick(S_THRESHOLD, _float),
        softness=pick(S_SOFTNESS, _float),
        temporal=pick(S_TEMPORAL, _float),
        refine=pick(S_REFINE, _float),
        light_wrap=pick(S_LIGHT_WRAP, _float),
        tracking=pick(S_TRACKING, flag),
        match_video=pick(S_MATCH_VIDEO, flag),
        mask_rate=pick(S_MASK_RATE, _int),
        show_mask=pick(S_SHOW_MASK, flag),
        motion=pick(S_MOTION, flag),
        framing=pick(S_FRAMING, choice(tuple(FRAMING_LABELS))),
        framing_zoom=pick(S_FRAMING_ZOOM, choice(tuple(F.ZOOMS))),
        framing_speed=pick(S_FRAMING_SPEED, choice(tuple(F.SPEEDS))),
        framing_max_zoom=pick(S_FRAMING_MAX_ZOOM, _float),
        audio_source=pick(S_AUDIO_SOURCE, _string)[:512],
    )
