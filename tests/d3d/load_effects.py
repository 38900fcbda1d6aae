"""OBS script for the shader check: compiles every .effect file in $BACKDROP_EFFECTS_DIR once, so the
shader_capture.c shim records the per-pass shader strings libobs builds from them."""

import ctypes
import os
from pathlib import Path


def script_load(settings):
    lib = ctypes.CDLL(None)
    lib.gs_effect_create_from_file.restype = ctypes.c_void_p
    lib.gs_effect_create_from_file.argtypes = [ctypes.c_char_p, ctypes.POINTER(ctypes.c_char_p)]
    lib.gs_effect_destroy.argtypes = [ctypes.c_void_p]
    lib.bfree.argtypes = [ctypes.c_void_p]
    for path in sorted(Path(os.environ["BACKDROP_EFFECTS_DIR"]).glob("*.effect")):
        err = ctypes.c_char_p()
        lib.obs_enter_graphics()
        effect = lib.gs_effect_create_from_file(str(path).encode(), ctypes.byref(err))
        if effect:
            lib.gs_effect_destroy(effect)
        lib.obs_leave_graphics()
        message = err.value.decode("utf-8", "replace") if err.value else ""
        print(f"[effect-capture] {path.name}: {'ok' if effect else 'FAILED ' + message}")
    print("[effect-capture] done")
