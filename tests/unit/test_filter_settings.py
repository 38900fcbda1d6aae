"""Filter settings read through real libobs obs_data: wrong types, out-of-range numbers and unknown
choices become safe values; presets and migration write what they should."""

from __future__ import annotations

import importlib
import importlib.util
import math

import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.only_on("linux", reason="real libobs obs_data: Debian's libobs0 (OBS's obs.dll and "
                                 "libobs.framework do not load outside OBS)")


@pytest.fixture(scope="module")
def fs():
    """obs_script.filter_settings, imported the way OBS imports it (private package name)."""
    spec = importlib.util.spec_from_file_location("backdrop_obs_entry", REPO / "obs_script" / "backdrop_obs.py")
    entry = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(entry)
    return entry._import_private("obs_script.filter_settings")


@pytest.fixture
def data(fs):
    lib = fs.lib
    d = lib.obs_data_create()
    fs.set_defaults(d)
    yield d
    lib.obs_data_release(d)


def test_defaults_give_a_transparent_cutout_with_tracking(fs, data):
    s = fs.read(data)
    assert (s.mode, s.model, s.provider, s.preset, s.tracking) == ("transparent", "selfie_general", "auto",
                                                                     "balanced", True)
    assert s.threshold == 0.5 and s.mask_rate == 0 and s.match_video


def test_bad_values_are_clamped_or_replaced(fs, data):
    lib = fs.lib
    fs.apply_preset(data)  # as at creation: what follows is the user's
    lib.obs_data_set_double(data, b"threshold", 7.5)
    lib.obs_data_set_double(data, b"edge_softness", math.nan)
    lib.obs_data_set_string(data, b"temporal_smoothing", b"lots")  # wrong type
    lib.obs_data_set_int(data, b"blur_strength", -40)
    lib.obs_data_set_int(data, b"mask_every_n_frames", 10**9)
    lib.obs_data_set_string(data, b"mode", b"\xe2\x9d\xa4 hearts")
    lib.obs_data_set_string(data, b"provider", b"quantum")
    lib.obs_data_set_string(data, b"model", b"m" * 100_000)
    s = fs.read(data)
    assert s.threshold == 0.95 and s.softness == fs.FLOATS["edge_softness"][0]
    assert 0.0 <= s.temporal <= 1.0
    assert s.blur == 1 and s.mask_rate == 10
    assert s.mode == "transparent" and s.provider == "auto"
    assert len(s.model) == 256


def test_choosing_a_preset_writes_its_values_once(fs, data):
    lib = fs.lib
    lib.obs_data_set_string(data, b"preset", b"low_cpu")
    assert fs.apply_preset(data) is True
    s = fs.read(data)
    assert s.model == "selfie_landscape" and s.mask_rate == 3 and s.temporal == 0.7
    lib.obs_data_set_double(data, b"temporal_smoothing", 0.2)  # the user adjusts after choosing
    assert fs.apply_preset(data) is False
    assert fs.read(data).temporal == 0.2


def test_a_preset_set_without_the_dialog_counts_without_writing_settings(fs, data):
    """obs-websocket sets `preset` and OBS calls update(): the filter must run the preset, and
    update() must not write into the settings it was handed."""
    lib = fs.lib
    lib.obs_data_set_string(data, b"preset", b"quality")
    s = fs.read(data)
    assert s.preset == "quality" and s.mask_rate == 1 and s.refine == 0.5 and s.temporal == 0.5
    assert not lib.obs_data_has_user_value(data, b"mask_every_n_frames")
    assert not lib.obs_data_has_user_value(data, b"applied_preset")


def test_old_saved_settings_are_migrated(fs, data):
    lib = fs.lib
    assert not lib.obs_data_has_user_value(data, b"settings_version")
    fs.migrate(data)
    assert lib.obs_data_get_int(data, b"settings_version") == fs.SETTINGS_VERSION


@pytest.mark.parametrize("mode, preset, shown, hidden", [
    ("blur", "balanced", {"blur_strength", "light_wrap"}, {"background_image", "background_color", "model"}),
    ("image", "custom", {"background_image", "background_color", "model", "mask_every_n_frames"},
     {"blur_strength"}),
    ("transparent", "quality", {"threshold"}, {"light_wrap", "blur_strength", "background_image",
                                               "temporal_smoothing"}),
])
def test_the_dialog_shows_only_what_the_mode_and_preset_use(fs, data, mode, preset, shown, hidden):
    """The real libobs properties, through the filter's own modified callback (which OBS also calls
    when the dialog opens)."""
    _dialog(fs, data, {"mode": mode, "preset": preset}, shown, hidden)


@pytest.mark.parametrize("framing, shown, hidden", [
    ("off", {"framing"}, {"framing_zoom", "framing_speed", "framing_max_zoom"}),
    ("follow", {"framing", "framing_zoom", "framing_speed", "framing_max_zoom"}, set()),
])
def test_the_dialog_shows_the_framing_controls_only_when_framing_is_on(fs, data, framing, shown, hidden):
    _dialog(fs, data, {"framing": framing}, shown, hidden)


@pytest.mark.parametrize("match", [True, False])
def test_the_dialog_shows_keep_this_audio_in_sync_only_with_match_video_on(fs, data, match):
    """The audio it keeps in sync follows the video delay, which only Match video to mask makes."""
    fs.lib.obs_data_set_bool(data, b"match_video_to_mask", match)
    _dialog(fs, data, {}, {"audio_sync_source"} if match else set(), set() if match else {"audio_sync_source"})
    assert fs.read(data).audio_source == ""  # none by default


def test_framing_settings_are_read_with_their_choices_and_range(fs, data):
    lib = fs.lib
    assert (fs.read(data).framing, fs.read(data).framing_zoom, fs.read(data).framing_speed) == \
        ("off", "upper_body", "medium")
    lib.obs_data_set_string(data, b"framing", b"zoom-zoom")
    lib.obs_data_set_string(data, b"framing_zoom", b"head_shoulders")
    lib.obs_data_set_double(data, b"framing_max_zoom", 99.0)
    s = fs.read(data)
    assert (s.framing, s.framing_zoom, s.framing_max_zoom) == ("off", "head_shoulders", 4.0)


def _dialog(fs, data, strings: dict[str, str], shown: set[str], hidden: set[str]) -> None:
    lib = fs.lib
    filt = importlib.import_module(fs.__name__.rsplit(".", 1)[0] + ".backdrop_filter")
    callback = lib.obs_property_set_modified_callback.argtypes[1](filt.properties_modified)
    props = filt.get_properties(None, callback)
    try:
        for key, value in strings.items():
            lib.obs_data_set_string(data, key.encode(), value.encode())
        assert filt.properties_modified(props, None, data) is True
        for key in shown:
            assert lib.obs_property_visible(lib.obs_properties_get(props, key.encode())), key
        for key in hidden:
            assert not lib.obs_property_visible(lib.obs_properties_get(props, key.encode())), key
    finally:
        lib.obs_properties_destroy(props)


def _set_object(lib, data: int, key: str, array: bool = False) -> None:
    """What obs-websocket's SetSourceFilterSettings does with a {} or [] value."""
    import ctypes

    make, put, release = (("obs_data_array_create", "obs_data_set_array", "obs_data_array_release") if array
                          else ("obs_data_create", "obs_data_set_obj", "obs_data_release"))
    getattr(lib, make).restype = ctypes.c_void_p
    getattr(lib, put).argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_void_p]
    getattr(lib, release).argtypes = [ctypes.c_void_p]
    obj = getattr(lib, make)()
    getattr(lib, put)(data, key.encode(), obj)
    getattr(lib, release)(obj)


def test_objects_and_arrays_are_found_read_as_defaults_and_repaired(fs, data):
    lib = fs.lib
    lib.obs_data_set_double(data, b"light_wrap", 0.25)  # the user's own value, to keep
    _set_object(lib, data, "threshold")
    _set_object(lib, data, "blur_strength", array=True)
    _set_object(lib, data, "person_tracking")
    lib.obs_data_set_string(data, b"edge_softness", b"soft")  # a string where a number belongs
    wrong = fs.wrong_typed(data)
    assert sorted(wrong) == ["blur_strength", "edge_softness", "person_tracking", "threshold"]
    s = fs.read(data, wrong)
    assert (s.threshold, s.blur, s.tracking, s.softness, s.light_wrap) == (0.5, 16, True, 0.3, 0.25)

    fs.repair(data, wrong)
    assert fs.wrong_typed(data) == []
    assert fs.read(data) == s
    assert lib.obs_data_get_double(data, b"light_wrap") == 0.25
    assert not lib.obs_data_has_user_value(data, b"threshold")  # the default, not pinned into the collection


def test_a_repaired_key_that_a_preset_sets_keeps_the_presets_value(fs, data):
    lib = fs.lib
    lib.obs_data_set_string(data, b"preset", b"full_body")
    fs.apply_preset(data)
    _set_object(fs.lib, data, "model")
    _set_object(fs.lib, data, "mask_every_n_frames", array=True)
    wrong = fs.wrong_typed(data)
    assert fs.read(data, wrong).model == "full_body"
    fs.repair(data, wrong)
    assert fs.read(data).model == "full_body" and lib.obs_data_get_string(data, b"model") == b"full_body"


CRASH = """
import ctypes, importlib.util, sys
spec = importlib.util.spec_from_file_location("backdrop_obs_entry", sys.argv[1])
entry = importlib.util.module_from_spec(spec)
spec.loader.exec_module(entry)
fs = entry._import_private("obs_script.filter_settings")
lib = fs.lib
lib.obs_data_create.restype = ctypes.c_void_p
lib.obs_data_set_obj.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_void_p]
data = lib.obs_data_create()
fs.set_defaults(data)
obj = lib.obs_data_create()
lib.obs_data_set_obj(data, b"threshold", obj)  # over the default 0.5
lib.obs_data_release(obj)
if sys.argv[2] == "clear":  # obs-websocket's overlay=false: the user value goes, the item's type stays
    lib.obs_data_clear.argtypes = [ctypes.c_void_p]
    lib.obs_data_clear(data)
if sys.argv[3] == "repair":
    fs.repair(data, fs.wrong_typed(data))
lib.obs_data_release(data)  # libobs releases the default's bytes (0.5) as an obs_data_t *
print("released")
"""


@pytest.mark.parametrize("clear, repair, exit_code", [("keep", "none", -11), ("keep", "repair", 0),
                                                       ("clear", "none", -11), ("clear", "repair", 0)])
def test_an_object_over_a_non_zero_default_crashes_libobs_unless_repaired(clear, repair, exit_code):
    """The libobs 29.0.2 bug (obs-data.c, item_default_data_release) in one process, and the repair,
    also once obs_data_clear has dropped the user value (clear_item keeps the item's type)."""
    import subprocess
    import sys

    run = subprocess.run([sys.executable, "-c", CRASH, str(REPO / "obs_script" / "backdrop_obs.py"), clear,
                          repair], capture_output=True, text=True, timeout=60)
    assert run.returncode == exit_code, run.stderr[-2000:]
