"""An OBS script for measurements only: writes OBS's mixed audio output (track 1, the first plane of
its native float planar format) to the file BACKDROP_AUDIO_TAP names, each packet as a header
(uint64 timestamp ns, uint32 frames) and its float32 samples. Loaded beside Backdrop by
tools/measure/audio_sync_glitch.py; never part of the product. The file name is unique on purpose
(OBS runs a module of the same name instead of a script)."""

import ctypes
import os
import struct

MAX_AV_PLANES = 8


class audio_data(ctypes.Structure):  # noqa: N801 - libobs/media-io/audio-io.h
    _fields_ = [("data", ctypes.c_void_p * MAX_AV_PLANES), ("frames", ctypes.c_uint32),
                ("timestamp", ctypes.c_uint64)]


CALLBACK = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_size_t, ctypes.POINTER(audio_data))
_state = {}


def _on_audio(_param, _mix, data):
    try:
        d = data.contents
        out = _state.get("file")
        if out is not None and d.data[0]:
            out.write(struct.pack("<QI", d.timestamp, d.frames) + ctypes.string_at(d.data[0], d.frames * 4))
    except Exception:  # noqa: BLE001 - nothing may escape into libobs
        pass


def script_description():
    return "Backdrop measurement: OBS's audio output to a file"


def script_load(settings):
    path = os.environ.get("BACKDROP_AUDIO_TAP")
    if not path:
        return
    lib = ctypes.CDLL(None)
    lib.obs_add_raw_audio_callback.argtypes = [ctypes.c_size_t, ctypes.c_void_p, CALLBACK, ctypes.c_void_p]
    lib.obs_remove_raw_audio_callback.argtypes = [ctypes.c_size_t, CALLBACK, ctypes.c_void_p]
    _state.update(lib=lib, file=open(path, "wb", buffering=1 << 16), cb=CALLBACK(_on_audio))  # noqa: SIM115
    lib.obs_add_raw_audio_callback(0, None, _state["cb"], None)


def script_unload():
    if "cb" in _state:
        _state["lib"].obs_remove_raw_audio_callback(0, _state["cb"], None)
        _state.pop("file").close()
