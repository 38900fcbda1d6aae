"""Filter settings read through real libobs obs_data: wrong types, out-of-range numbers and unknown
choices become safe values; presets and migration write what they should."""

from __future__ import annotations

import importlib
import importlib.util
import math

import pytest

from tests.conftest import REPO


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
    assert s.threshold == 0.5 and s.mask_rate == 0 and not s.match_video


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
    lib.obs_data_set_string(data, b"debug_mask", b"anything")
    s = fs.read(data)
    assert s.threshold == 0.95 and s.softness == fs.FLOATS["edge_softness"][0]
    assert 0.0 <= s.temporal <= 1.0
    assert s.blur == 1 and s.mask_rate == 10
    assert s.mode == "transparent" and s.provider == "auto" and s.debug_mask == ""
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
    lib = fs.lib
    filt = importlib.import_module(fs.__name__.rsplit(".", 1)[0] + ".backdrop_filter")
    callback = lib.obs_property_set_modified_callback.argtypes[1](filt.properties_modified)
    props = filt.get_properties(None, callback)
    try:
        lib.obs_data_set_string(data, b"mode", mode.encode())
        lib.obs_data_set_string(data, b"preset", preset.encode())
        assert filt.properties_modified(props, None, data) is True
        for key in shown:
            assert lib.obs_property_visible(lib.obs_properties_get(props, key.encode())), key
        for key in hidden:
            assert not lib.obs_property_visible(lib.obs_properties_get(props, key.encode())), key
    finally:
        lib.obs_properties_destroy(props)
