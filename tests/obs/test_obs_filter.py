"""Backdrop's filter in real OBS 29 (Xvfb, obs-websocket): registration, rendering path, lifetime."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from core.preprocess import resize_to_model
from core.tools.media_io import read_rgb
from tests.obs_harness import (
    KIND,
    PHOTO,
    SCRIPT,
    ObsInstance,
    filter_entry,
    leak_count,
    pattern_settings,
    switch_collections,
)

pytestmark = pytest.mark.obs

SPLIT = pattern_settings("split")


def _assert_split(img: np.ndarray, reference: np.ndarray) -> None:
    """Left half transparent, right half the untouched source (a margin around the seam)."""
    w = img.shape[1]
    assert img[:, : w // 2 - 8, 3].max() == 0
    right = img[:, w // 2 + 8 :]
    assert right[..., 3].min() == 255
    diff = np.abs(right[..., :3].astype(int) - reference[:, w // 2 + 8 :, :3].astype(int)).max()
    assert diff <= 1, diff


def _clean_exit(inst: ObsInstance, baseline_leaks: int) -> None:
    """Exit code 0, no more leaks than OBS alone reports for the same actions, no Python errors."""
    code = inst.stop()
    log = inst.log_text()
    assert code == 0, f"OBS exit code {code}\n{inst.log_tail()}"
    assert leak_count(log) == baseline_leaks, f"leaks {leak_count(log)} vs {baseline_leaks} without Backdrop"
    assert "unreleased" not in log.lower()
    assert "Traceback" not in log, log[log.find("Traceback") - 200:][:2000]


def test_filter_renders_in_obs_and_exits_cleanly(obs_baseline_leaks):
    inst = ObsInstance().start()
    try:
        log = inst.wait_log("[backdrop] registered filter 'backdrop_filter'")
        assert "Loaded python script: backdrop_obs.py" in log
        defaults = inst.call("GetSourceFilterDefaultSettings", {"filterKind": KIND})["defaultFilterSettings"]
        assert defaults["settings_version"] == 1

        reference = inst.screenshot()
        inst.add_filter(settings=pattern_settings("opaque"))
        inst.wait_log("engine ready for 'Backdrop'")
        inst.wait_masks(3)
        opaque = inst.screenshot()
        # Opaque mask: the source comes out unchanged, pixel for pixel.
        assert np.abs(opaque.astype(int) - reference.astype(int)).max() <= 1

        # The model-sized readback is the real frame: its mean matches the CPU's resize of the photo.
        log = inst.wait_log("readback #1")
        r, g, b = map(float, re.search(r"readback #1 256x256 mean RGB ([\d.]+) ([\d.]+) ([\d.]+)", log).groups())
        cpu = resize_to_model(read_rgb(PHOTO), 256, 256).reshape(-1, 3).mean(0)
        assert np.allclose([r, g, b], cpu, atol=2.0), ([r, g, b], cpu)

        # SetSourceFilterSettings reaches update(): the test pattern cuts the left half away.
        inst.set_filter(SPLIT)
        inst.wait_log("model=test_split")
        inst.wait_masks(3)
        _assert_split(inst.screenshot(), reference)

        stats = inst.measured_stats()
        assert stats["activeFps"] > 20, stats
    finally:
        inst.stop()
    _clean_exit(inst, obs_baseline_leaks())


def test_saved_collection_restores_the_filter_after_restart(obs_baseline_leaks):
    inst = ObsInstance().start()
    try:
        reference = inst.screenshot()
        inst.add_filter(settings=SPLIT)
    finally:
        inst.stop()
    saved = json.loads(inst.collection_path().read_text())
    camera = next(s for s in saved["sources"] if s["name"] == "Camera")
    assert camera["filters"][0]["id"] == KIND
    assert camera["filters"][0]["settings"]["settings_version"] == 1
    assert camera["filters"][0]["settings"]["model"] == "test_split"
    inst.start()
    try:
        inst.wait_log("filter 'Backdrop' created", count=2)
        inst.wait_masks(3)
        _assert_split(inst.screenshot(), reference)
    finally:
        inst.stop()
    _clean_exit(inst, obs_baseline_leaks())


def test_twenty_collection_switches_reload_the_script_and_keep_filters_working(obs_baseline_leaks):
    inst = ObsInstance(filters=[filter_entry("Backdrop", SPLIT)]).start()
    try:
        inst.wait_log("filter 'Backdrop' created")
        inst.call("SetSourceFilterEnabled", {"sourceName": "Camera", "filterName": "Backdrop",
                                             "filterEnabled": False})
        inst.rendered_frames(3)
        reference = inst.screenshot()
        inst.call("SetSourceFilterEnabled", {"sourceName": "Camera", "filterName": "Backdrop",
                                             "filterEnabled": True})
        switch_collections(inst, 20, check=lambda: _assert_split(inst.screenshot(), reference))
        log = inst.log_text()
        assert log.count("[backdrop] registered filter") == 1  # registered once per process
        assert log.count("Loaded python script: backdrop_obs.py") >= 21
        assert log.count("filter 'Backdrop' created") == log.count("filter 'Backdrop' destroyed") + 1
    finally:
        inst.stop()
    _clean_exit(inst, obs_baseline_leaks(20))


def test_foreign_core_and_models_modules_do_not_shadow_ours(tmp_path, obs_baseline_leaks):
    squatter = tmp_path / "squatter_script.py"
    squatter.write_text(
        "import sys, types\n"
        "for name in ('core', 'models', 'installer', 'obs_script', 'core.model_registry'):\n"
        "    sys.modules[name] = types.ModuleType(name)\n"
        "def script_description():\n    return 'occupies common module names'\n"
    )
    inst = ObsInstance(scripts=[squatter, SCRIPT], filters=[filter_entry("Backdrop", SPLIT)])
    inst.start()
    try:
        log = inst.wait_log("[backdrop] engine")
        line = next(x for x in log.splitlines() if "[backdrop] engine" in x)
        assert str(SCRIPT.parent.parent / "core") in line and "selfie_general" in line, line
        inst.wait_masks(3)
        assert inst.screenshot()[:, :200, 3].max() == 0  # the filter works
    finally:
        inst.stop()
    _clean_exit(inst, obs_baseline_leaks())


MODULES_PROBE = '''
import sys

import obspython as obs


def _report():
    ours = sorted(m for m in sys.modules if m.startswith("_backdrop_app."))
    tests = [m for m in ours if m.startswith("_backdrop_app.tests")]
    print(f"modules probe: {len(ours)} of Backdrop's, from tests/: {tests}")


def script_load(settings):
    obs.timer_add(_report, 500)


def script_unload():
    obs.timer_remove(_report)
'''


@pytest.mark.parametrize("plugin", [False, True], ids=["as users run it", "with the test plug-in"])
def test_no_module_of_the_tests_is_imported_unless_the_harness_asks(tmp_path, plugin):
    probe = tmp_path / "modules_probe.py"
    probe.write_text(MODULES_PROBE)
    with ObsInstance(scripts=[SCRIPT, probe], filters=[filter_entry("Backdrop")], test_plugin=plugin,
                     env={"BACKDROP_STATUS_LOG_S": "0.5"}) as inst:
        inst.wait_record(lambda r: r.get("preset") == "balanced" and r["mask_fps"] >= 1, "masks from the model",
                         timeout=60)
        seen = inst.log_text().count("modules probe:")
        line = inst.wait_log("modules probe:", count=seen + 1).split("modules probe:")[-1].splitlines()[0]
        started_with = [k for k in inst.extra_env if k.startswith("BACKDROP_TEST")]
    count, tests = re.match(r" (\d+) of Backdrop's, from tests/: (\[.*\])", line).groups()
    assert int(count) >= 20, line  # the filter, the engine and the mask path are loaded
    if plugin:
        assert "'_backdrop_app.tests.obs_plugin'" in tests, line  # the probe sees them when they are there
    else:
        assert started_with == [] and tests == "[]", line
