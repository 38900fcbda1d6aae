"""Settings of the wrong type never crash OBS, in real OBS 29.

libobs 29.0.2 keeps one type per settings item for the user and the default value, so an object or
an array set over a key with a non-zero default makes OBS release the default's bytes as a pointer
when the filter goes (SIGSEGV right after "[backdrop] filter 'Backdrop' destroyed", on every exit).
Backdrop repairs such values wherever they can arrive: in `update`, at create and in `destroy`.
"""

from __future__ import annotations

import json

import pytest

from tests.obs_harness import KIND, SOURCE, ObsInstance, filter_entry, leak_count

pytestmark = pytest.mark.obs
STATUS_EVERY_HALF_SECOND = {"BACKDROP_STATUS_LOG_S": "0.5"}
DEFAULTS: dict[str, object] = {}  # the filter's defaults, as OBS reports them


def _non_zero_defaults(inst: ObsInstance) -> dict[str, object]:
    defaults = inst.call("GetSourceFilterDefaultSettings", {"filterKind": KIND})["defaultFilterSettings"]
    DEFAULTS.update(defaults)
    return {key: value for key, value in defaults.items() if value}


def _alpha(inst: ObsInstance) -> tuple[float, float]:
    """(mean alpha over the astronaut, highest alpha in the top corners), 0..1."""
    img = inst.screenshot()[..., 3] / 255.0
    return float(img[250:350, 200:300].mean()), float(max(img[:40, :40].max(), img[:40, -40:].max()))


def _wait_cut_out(inst: ObsInstance, timeout: float = 30.0) -> tuple[float, float]:
    return inst.poll(lambda: _alpha(inst), lambda pc: pc[0] >= 0.8 and pc[1] <= 0.1,
                     "a cut-out (person's alpha >= 0.8, corners' <= 0.1)", timeout, interval=0.3)


def _wait_settings(inst: ObsInstance, expected: dict, timeout: float = 10.0) -> None:
    def as_expected(settings: dict) -> bool:
        return {key: settings.get(key, DEFAULTS.get(key)) for key in expected} == expected  # a default: no user value

    inst.poll(lambda: inst.call("GetSourceFilter", {"sourceName": SOURCE, "filterName": "Backdrop"})["filterSettings"],
              as_expected, f"settings {expected}", timeout, interval=0.2)


def _saved_settings(inst: ObsInstance) -> dict:
    saved = json.loads(inst.collection_path().read_text())
    camera = next(s for s in saved["sources"] if s["name"] == SOURCE)
    return next(f for f in camera["filters"] if f["id"] == KIND)["settings"]


def test_objects_and_arrays_over_every_non_zero_default_are_repaired_and_obs_exits_with_0(obs_baseline_leaks):
    with ObsInstance(filters=[filter_entry("Backdrop")], env=STATUS_EVERY_HALF_SECOND) as inst:
        inst.wait_log("engine ready", timeout=60)
        keys = sorted(_non_zero_defaults(inst))
        assert {"threshold", "blur_strength", "preset", "person_tracking", "background_color"} <= set(keys)
        inst.set_filter({key: ({} if i % 2 else []) for i, key in enumerate(keys)})
        status = inst.wait_status("settings of the wrong type set back to their defaults")
        assert all(key in status for key in keys), status
        person, corners = _wait_cut_out(inst)  # the defaults again: the person is still cut out
        _wait_settings(inst, {key: DEFAULTS[key] for key in keys})  # repaired on OBS's UI thread
        # The other way round, and OBS closes with them in place (no wait for the next update).
        inst.set_filter({key: ([] if i % 2 else {}) for i, key in enumerate(keys)})
    log = inst.log_text()
    assert log.count("'Backdrop': settings of the wrong type set back") == 1, "each key is logged once"
    assert "filter 'Backdrop' destroyed" in log
    assert inst.exit_code == 0  # the harness asserts it too; SIGSEGV (-11) before the repair
    assert leak_count(log) == obs_baseline_leaks()  # no reference held by a queued repair, no object kept
    print(f"alpha over the person {person:.2f}, top corners {corners:.2f}; repaired: {', '.join(keys)}")


def test_a_collection_saved_with_wrong_types_loads_repaired(obs_baseline_leaks):
    settings = {"threshold": {"a": 1}, "edge_softness": [1, 2], "blur_strength": {}, "mode": [],
                "person_tracking": {}, "light_wrap": 0.25}
    with ObsInstance(filters=[filter_entry("Backdrop", settings)], env=STATUS_EVERY_HALF_SECOND) as inst:
        status = inst.wait_status("set back to their defaults", timeout=60)
        _non_zero_defaults(inst)
        for key in ("threshold", "edge_softness", "blur_strength", "mode", "person_tracking"):
            assert key in status
        _wait_cut_out(inst)
        _wait_settings(inst, {"threshold": 0.5, "mode": "transparent", "light_wrap": 0.25})  # the rest is kept
    assert leak_count(inst.log_text()) == obs_baseline_leaks()
    saved = _saved_settings(inst)
    assert saved["light_wrap"] == 0.25  # the user's own value is kept
    for key in ("threshold", "edge_softness", "blur_strength", "mode", "person_tracking"):
        assert key not in saved, saved  # back to the default, which is not saved
