"""The filter's properties dialog (its type-level callbacks `get_defaults`, `get_properties` and
`properties_modified`): the controls, their lists of choices, and which are shown for the chosen
mode and preset. obs_script/backdrop_filter.py hands them to registration.py with the filter.
"""

from __future__ import annotations

from typing import Protocol

from ..core.framing import SPEED_LABELS, ZOOM_LABELS
from ..core.model_registry import DEFAULT_MODEL
from . import filter_settings as fs
from .libobs import (
    OBS_COMBO_FORMAT_INT,
    OBS_COMBO_FORMAT_STRING,
    OBS_COMBO_TYPE_LIST,
    OBS_PATH_FILE,
    OBS_TEXT_INFO,
    lib,
)


class BackdropFilter(Protocol):
    """What the dialog reads of the filter (obs_script/backdrop_filter.py)."""

    def status_text(self) -> str: ...


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
    match = lib.obs_properties_add_bool(p, fs.S_MATCH_VIDEO.encode(), b"Match video to mask (delays video)")
    lib.obs_property_set_modified_callback(match, modified_callback)  # shows or hides the audio list
    audio = _choice_list(p, fs.S_AUDIO_SOURCE, b"Keep this audio in sync", dict(_audio_choices()))
    lib.obs_property_set_long_description(audio, b"Backdrop sets this source's Sync Offset to your own offset plus "
                                                 b"the video delay, in every scene, and gives your offset back when "
                                                 b"unchosen. One source per filter.")
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


def _audio_choices() -> list[tuple[str, str]]:
    """None, then every source with audio (by UUID where OBS has them, else by name)."""
    try:
        from .audio_source import audio_sources

        return [("", "None"), *audio_sources()]
    except Exception:
        return [("", "None")]


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
