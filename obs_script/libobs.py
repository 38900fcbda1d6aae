"""ctypes declarations of the libobs API Backdrop uses, in one place to compare with the headers.

Why ctypes and not obspython: `_obspython` keeps the GIL while it calls into libobs, so a blocking
call (obs_enter_graphics) made through it from a callback deadlocks against the graphics thread.
Calls through a `ctypes.CDLL` handle release the GIL. Every function returning a pointer has
`restype = c_void_p` (the default c_int would truncate 64-bit pointers).

Struct layout: `obs/obs-source.h` of OBS 29.0 (400 bytes on x86-64). libobs accepts a smaller
`size` from older plugins, and newer OBS versions only append fields, so this layout registers on
OBS 29 to 32.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys
from ctypes import (
    CFUNCTYPE,
    POINTER,
    Structure,
    c_bool,
    c_char_p,
    c_double,
    c_float,
    c_int,
    c_int64,
    c_size_t,
    c_uint8,
    c_uint32,
    c_uint64,
    c_void_p,
)
from pathlib import PureWindowsPath

# obs-source.h
OBS_SOURCE_TYPE_FILTER = 1
OBS_SOURCE_VIDEO = 1 << 0
OBS_SOURCE_AUDIO = 1 << 1
# util/base.h
LOG_ERROR, LOG_WARNING, LOG_INFO, LOG_DEBUG = 100, 200, 300, 400
# graphics/graphics.h
GS_R8, GS_RGBA, GS_RGBA16F, GS_RG16F = 2, 3, 9, 11
GS_ZS_NONE = 0
GS_DYNAMIC = 1 << 1
GS_CLEAR_COLOR = 1 << 0
GS_BLEND_ZERO, GS_BLEND_ONE = 0, 1
# obs.h
OBS_EFFECT_DEFAULT = 0
GS_CS_SRGB, GS_CS_SRGB_16F = 0, 1  # enum gs_color_space: the SDR ones; 709 extended / scRGB are HDR
# obs-properties.h
OBS_COMBO_TYPE_LIST = 2
OBS_COMBO_FORMAT_INT, OBS_COMBO_FORMAT_STRING = 1, 3
OBS_TEXT_INFO = 3  # OBS_TEXT_DEFAULT, PASSWORD, MULTILINE, INFO
OBS_PATH_FILE = 0
# obs-data.h enum obs_data_type (NULL, STRING, NUMBER, BOOLEAN, OBJECT, ARRAY)
OBS_DATA_STRING, OBS_DATA_NUMBER, OBS_DATA_BOOLEAN = 1, 2, 3
# obs.h enum obs_task_type
OBS_TASK_UI = 0

# Callback types, in obs_source_info order.
GET_NAME = CFUNCTYPE(c_void_p, c_void_p)  # returns const char*; a c_void_p so ctypes does not copy
CREATE = CFUNCTYPE(c_void_p, c_void_p, c_void_p)
DESTROY = CFUNCTYPE(None, c_void_p)
GET_SIZE = CFUNCTYPE(c_uint32, c_void_p)
GET_DEFAULTS = CFUNCTYPE(None, c_void_p)
GET_PROPERTIES = CFUNCTYPE(c_void_p, c_void_p)
UPDATE = CFUNCTYPE(None, c_void_p, c_void_p)
DATA_ONLY = CFUNCTYPE(None, c_void_p)
VIDEO_TICK = CFUNCTYPE(None, c_void_p, c_float)
VIDEO_RENDER = CFUNCTYPE(None, c_void_p, c_void_p)
FILTER_REMOVE = CFUNCTYPE(None, c_void_p, c_void_p)
PROPERTY_MODIFIED = CFUNCTYPE(c_bool, c_void_p, c_void_p, c_void_p)  # (props, property, settings)
TASK = CFUNCTYPE(None, c_void_p)  # obs.h obs_task_t, for obs_queue_task
ENUM_SOURCE = CFUNCTYPE(c_bool, c_void_p, c_void_p)  # obs_enum_sources' enum_proc: (param, source)


class obs_source_info(Structure):  # noqa: N801 - the C name, so it can be compared with the header
    _fields_ = [
        ("id", c_char_p),
        ("type", c_int),
        ("output_flags", c_uint32),
        ("get_name", GET_NAME),
        ("create", CREATE),
        ("destroy", DESTROY),
        ("get_width", GET_SIZE),
        ("get_height", GET_SIZE),
        ("get_defaults", GET_DEFAULTS),
        ("get_properties", GET_PROPERTIES),
        ("update", UPDATE),
        ("activate", DATA_ONLY),
        ("deactivate", DATA_ONLY),
        ("show", DATA_ONLY),
        ("hide", DATA_ONLY),
        ("video_tick", VIDEO_TICK),
        ("video_render", VIDEO_RENDER),
        ("filter_video", c_void_p),
        ("filter_audio", c_void_p),
        ("enum_active_sources", c_void_p),
        ("save", c_void_p),
        ("load", c_void_p),
        ("mouse_click", c_void_p),
        ("mouse_move", c_void_p),
        ("mouse_wheel", c_void_p),
        ("focus", c_void_p),
        ("key_click", c_void_p),
        ("filter_remove", FILTER_REMOVE),
        ("type_data", c_void_p),
        ("free_type_data", c_void_p),
        ("audio_render", c_void_p),
        ("enum_all_sources", c_void_p),
        ("transition_start", c_void_p),
        ("transition_stop", c_void_p),
        ("get_defaults2", c_void_p),
        ("get_properties2", c_void_p),
        ("audio_mix", c_void_p),
        ("icon_type", c_int),
        ("media_play_pause", c_void_p),
        ("media_restart", c_void_p),
        ("media_stop", c_void_p),
        ("media_next", c_void_p),
        ("media_previous", c_void_p),
        ("media_get_duration", c_void_p),
        ("media_get_time", c_void_p),
        ("media_set_time", c_void_p),
        ("media_get_state", c_void_p),
        ("version", c_uint32),
        ("unversioned_id", c_char_p),
        ("missing_files", c_void_p),
        ("video_get_color_space", c_void_p),
    ]


class vec2(Structure):  # noqa: N801
    _fields_ = [("x", c_float), ("y", c_float)]


class vec4(Structure):  # noqa: N801
    # gs_clear reads it with SSE: callers must pass a 16-byte-aligned instance (see aligned_vec4).
    _fields_ = [("x", c_float), ("y", c_float), ("z", c_float), ("w", c_float)]


def aligned_vec4(x: float, y: float, z: float, w: float) -> tuple[ctypes.Array, int]:
    """A vec4 at a 16-byte-aligned address: (owner buffer, address)."""
    buf = ctypes.create_string_buffer(32)
    addr = (ctypes.addressof(buf) + 15) & ~15
    v = vec4.from_address(addr)
    v.x, v.y, v.z, v.w = x, y, z, w
    return buf, addr


def libobs_candidates(platform: str = sys.platform) -> list[str | None]:
    """Names to try for the libobs of the running OBS, best first (None: the process's own symbols).

    Inside OBS the library is already loaded, so the process's global symbols come first. The file
    names are the fallbacks: Windows `obs.dll`; macOS the framework through OBS's rpath; Linux
    `libobs.so.0` up to 29.0 and `libobs.so.<major>` from 29.1 (SOVERSION in libobs/CMakeLists.txt,
    tags 29.0.2 and 29.1.0). Never a path relative to the working directory.
    """
    override = os.environ.get("BACKDROP_LIBOBS")
    if override:
        return [override]
    if platform == "win32":
        return ["obs.dll"]  # LoadLibrary returns the module OBS already loaded
    if platform == "darwin":
        return [None, "@rpath/libobs.framework/Versions/A/libobs",
                "@executable_path/../Frameworks/libobs.framework/libobs"]
    found = ctypes.util.find_library("obs")
    return [None, *([found] if found else []), *(f"libobs.so.{major}" for major in range(40, 28, -1)), "libobs.so.0"]


def _load() -> ctypes.CDLL:
    tried = []
    for name in libobs_candidates():
        try:
            cdll = ctypes.CDLL(name)
        except OSError as exc:
            tried.append(f"{name}: {exc}")
            continue
        if hasattr(cdll, "obs_register_source_s"):
            return cdll
        tried.append(f"{name or 'this process'}: no libobs symbols")
    raise OSError("libobs not found (" + "; ".join(tried) + ")")


lib = _load()

# name: (restype, argtypes)
_SIGNATURES: dict[str, tuple[object, list]] = {
    "obs_register_source_s": (None, [POINTER(obs_source_info), c_size_t]),
    "obs_get_version_string": (c_char_p, []),
    "obs_get_lagged_frames": (c_uint32, []),  # GetStats' renderSkippedFrames
    "obs_get_total_frames": (c_uint32, []),
    # variadic: declared with its fixed arguments only and never given a variadic one (arm64 macOS
    # passes variadic arguments on the stack; CPython's ctypes docs, "Calling variadic functions")
    "blog": (None, [c_int, c_char_p]),
    # graphics context
    "obs_enter_graphics": (None, []),
    "obs_leave_graphics": (None, []),
    "obs_get_base_effect": (c_void_p, [c_int]),
    # filters and sources
    "obs_filter_get_target": (c_void_p, [c_void_p]),
    "obs_source_get_base_width": (c_uint32, [c_void_p]),
    "obs_source_get_base_height": (c_uint32, [c_void_p]),
    "obs_source_get_color_space": (c_int, [c_void_p, c_size_t, c_void_p]),
    "obs_source_skip_video_filter": (None, [c_void_p]),
    "obs_source_video_render": (None, [c_void_p]),
    "obs_source_get_name": (c_char_p, [c_void_p]),
    "obs_source_get_ref": (c_void_p, [c_void_p]),  # NULL once the source is being destroyed
    "obs_source_release": (None, [c_void_p]),
    "obs_source_get_settings": (c_void_p, [c_void_p]),  # a new reference: obs_data_release it
    "obs_queue_task": (None, [c_int, TASK, c_void_p, c_bool]),
    "obs_get_frame_interval_ns": (c_uint64, []),
    "obs_source_enabled": (c_bool, [c_void_p]),
    # audio sync (obs_script/audio_source.py)
    "obs_initialized": (c_bool, []),  # libobs outside OBS (the unit tests) has no sources to list
    "obs_enum_sources": (None, [ENUM_SOURCE, c_void_p]),
    "obs_source_get_output_flags": (c_uint32, [c_void_p]),
    "obs_get_source_by_name": (c_void_p, [c_char_p]),  # a new reference: obs_source_release it
    "obs_source_get_sync_offset": (c_int64, [c_void_p]),
    "obs_source_set_sync_offset": (None, [c_void_p, c_int64]),
    # settings
    "obs_data_get_int": (c_int64, [c_void_p, c_char_p]),
    "obs_data_get_bool": (c_bool, [c_void_p, c_char_p]),
    "obs_data_get_double": (c_double, [c_void_p, c_char_p]),
    "obs_data_get_string": (c_char_p, [c_void_p, c_char_p]),
    "obs_data_has_user_value": (c_bool, [c_void_p, c_char_p]),
    "obs_data_set_int": (None, [c_void_p, c_char_p, c_int64]),
    "obs_data_set_double": (None, [c_void_p, c_char_p, c_double]),
    "obs_data_set_string": (None, [c_void_p, c_char_p, c_char_p]),
    "obs_data_set_bool": (None, [c_void_p, c_char_p, c_bool]),
    "obs_data_unset_user_value": (None, [c_void_p, c_char_p]),
    "obs_data_item_byname": (c_void_p, [c_void_p, c_char_p]),  # a new reference: obs_data_item_release it
    "obs_data_item_release": (None, [POINTER(c_void_p)]),
    "obs_data_item_gettype": (c_int, [c_void_p]),
    "obs_data_set_default_int": (None, [c_void_p, c_char_p, c_int64]),
    "obs_data_set_default_bool": (None, [c_void_p, c_char_p, c_bool]),
    "obs_data_set_default_double": (None, [c_void_p, c_char_p, c_double]),
    "obs_data_set_default_string": (None, [c_void_p, c_char_p, c_char_p]),
    "obs_data_release": (None, [c_void_p]),
    "obs_data_create": (c_void_p, []),
    # properties
    "obs_properties_create": (c_void_p, []),
    "obs_properties_destroy": (None, [c_void_p]),
    "obs_properties_add_bool": (c_void_p, [c_void_p, c_char_p, c_char_p]),
    "obs_properties_add_int_slider": (c_void_p, [c_void_p, c_char_p, c_char_p, c_int, c_int, c_int]),
    "obs_properties_add_float_slider": (c_void_p, [c_void_p, c_char_p, c_char_p, c_double, c_double,
                                                   c_double]),
    "obs_properties_add_list": (c_void_p, [c_void_p, c_char_p, c_char_p, c_int, c_int]),
    "obs_properties_add_text": (c_void_p, [c_void_p, c_char_p, c_char_p, c_int]),
    "obs_properties_add_path": (c_void_p, [c_void_p, c_char_p, c_char_p, c_int, c_char_p, c_char_p]),
    "obs_properties_add_color": (c_void_p, [c_void_p, c_char_p, c_char_p]),
    "obs_property_set_modified_callback": (None, [c_void_p, PROPERTY_MODIFIED]),
    "obs_property_list_add_string": (c_size_t, [c_void_p, c_char_p, c_char_p]),
    "obs_property_list_add_int": (c_size_t, [c_void_p, c_char_p, c_int64]),
    "obs_property_set_long_description": (None, [c_void_p, c_char_p]),
    "obs_property_set_visible": (None, [c_void_p, c_bool]),
    "obs_property_visible": (c_bool, [c_void_p]),
    "obs_properties_get": (c_void_p, [c_void_p, c_char_p]),
    # rendering
    "gs_texrender_create": (c_void_p, [c_int, c_int]),
    "gs_texrender_destroy": (None, [c_void_p]),
    "gs_texrender_reset": (None, [c_void_p]),
    "gs_texrender_begin": (c_bool, [c_void_p, c_uint32, c_uint32]),
    "gs_texrender_end": (None, [c_void_p]),
    "gs_texrender_get_texture": (c_void_p, [c_void_p]),
    "gs_ortho": (None, [c_float] * 6),
    "gs_clear": (None, [c_uint32, c_void_p, c_float, c_uint8]),
    "gs_blend_state_push": (None, []),
    "gs_blend_state_pop": (None, []),
    "gs_blend_function": (None, [c_int, c_int]),
    "gs_effect_create_from_file": (c_void_p, [c_char_p, POINTER(c_void_p)]),  # error: bmalloc'd, bfree it
    "bfree": (None, [c_void_p]),
    "gs_effect_destroy": (None, [c_void_p]),
    "gs_effect_get_param_by_name": (c_void_p, [c_void_p, c_char_p]),
    "gs_effect_set_texture": (None, [c_void_p, c_void_p]),
    "gs_effect_set_float": (None, [c_void_p, c_float]),
    "gs_effect_set_int": (None, [c_void_p, c_int]),
    "gs_effect_set_vec2": (None, [c_void_p, POINTER(vec2)]),
    "gs_effect_set_vec4": (None, [c_void_p, POINTER(vec4)]),
    "gs_effect_loop": (c_bool, [c_void_p, c_char_p]),
    "gs_draw_sprite": (None, [c_void_p, c_uint32, c_uint32, c_uint32]),
    "gs_texture_create": (c_void_p, [c_uint32, c_uint32, c_int, c_uint32, c_void_p, c_uint32]),
    "gs_texture_destroy": (None, [c_void_p]),
    "gs_texture_set_image": (None, [c_void_p, c_void_p, c_uint32, c_bool]),
    "gs_stagesurface_create": (c_void_p, [c_uint32, c_uint32, c_int]),
    "gs_stagesurface_destroy": (None, [c_void_p]),
    "gs_stage_texture": (None, [c_void_p, c_void_p]),
    "gs_stagesurface_map": (c_bool, [c_void_p, POINTER(c_void_p), POINTER(c_uint32)]),
    "gs_stagesurface_unmap": (None, [c_void_p]),
}

# Functions some supported OBS versions lack: declared where the running libobs has them (callers check
# `hasattr(lib, name)`). Source UUIDs came with OBS 30.0 (libobs/obs.h: absent at 29.0.2, present at
# 30.2.3 and 32.2.2).
OPTIONAL_SIGNATURES: dict[str, tuple[object, list]] = {
    "obs_source_get_uuid": (c_char_p, [c_void_p]),
    "obs_get_source_by_uuid": (c_void_p, [c_char_p]),  # a new reference: obs_source_release it
}

for _name, (_res, _args) in _SIGNATURES.items():
    _fn = getattr(lib, _name)
    _fn.restype = _res
    _fn.argtypes = _args
for _name, (_res, _args) in OPTIONAL_SIGNATURES.items():
    _fn = getattr(lib, _name, None)
    if _fn is not None:
        _fn.restype = _res
        _fn.argtypes = _args


_VERBATIM = "\\\\?\\"  # the \\?\ prefix: Win32 takes the rest verbatim


def libobs_path(path: str | os.PathLike[str], platform: str = sys.platform) -> bytes:
    r"""A file path as libobs wants it: UTF-8, and on Windows with `/` between folders.

    libobs resolves an effect's `#include` beside the including file only after its last `/`
    (libobs/util/cf-lexer.c `insert_path`, `strrchr(file, '/')`, 29.0.0-32.2.2); with backslashes the
    include is opened relative to OBS's working directory and the effect does not compile. Windows
    takes `/` as a separator except after the `\\?\` prefix `Path.resolve()` may add (Microsoft,
    "Naming Files, Paths, and Namespaces"), so the prefix goes: `\\?\C:\x` -> `C:/x`,
    `\\?\UNC\server\share` -> `//server/share`. libobs opens files from UTF-8 (`os_fopen`,
    libobs/util/platform.c). On Linux and macOS a backslash is part of a file name and stays.
    """
    text = os.fspath(path)
    if platform != "win32" and not isinstance(path, PureWindowsPath):
        return text.encode("utf-8")
    if text.startswith(_VERBATIM + "UNC\\"):
        text = "\\\\" + text[len(_VERBATIM + "UNC\\"):]
    elif text.startswith(_VERBATIM):
        text = text[len(_VERBATIM):]
    return text.replace("\\", "/").encode("utf-8")


def effect_from_file(path: str | os.PathLike[str]) -> tuple[int | None, str]:
    """Compile an .effect file (graphics thread): (effect, "") or (None, why, for the status line;
    also logged). The effect parser's errors come back here; the renderer's compiler writes its own
    to OBS's log. Every effect Backdrop loads goes through here, so here its path is made libobs's."""
    error = ctypes.c_void_p()
    effect = lib.gs_effect_create_from_file(libobs_path(path), ctypes.byref(error))
    message = ctypes.string_at(error.value).decode("utf-8", "replace").strip() if error.value else ""
    if error.value:
        lib.bfree(error)
    if effect:
        return effect, ""
    detail = ": " + " ".join(message.split()) if message else " (the compiler's errors are in OBS's log above)"
    name = libobs_path(path).decode("utf-8").rsplit("/", 1)[-1]
    why = f"the effect {name} does not compile on this renderer{detail}"
    log(LOG_ERROR, why)
    return None, why


def log(level: int, message: str) -> None:
    """Write `[backdrop] message` into OBS's log (through libobs, so it never takes the GIL twice)."""
    lib.blog(level, ("[backdrop] " + message).replace("%", "%%").encode("utf-8", "replace"))
