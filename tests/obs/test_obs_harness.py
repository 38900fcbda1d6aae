"""The real-OBS harness itself: a failed start leaves nothing running; an unclean exit fails the test."""

from __future__ import annotations

import signal

import pytest

from tests.obs_harness import ObsInstance

pytestmark = pytest.mark.obs


def test_a_failed_start_stops_the_obs_and_xvfb_it_started(monkeypatch):
    def no_client(self, timeout):
        raise ImportError("No module named 'obsws_python'")  # what left an OBS at 114% CPU for 20 minutes

    monkeypatch.setattr(ObsInstance, "_connect", no_client)
    inst = ObsInstance()
    with pytest.raises(ImportError), inst:
        pytest.fail("the with block must not run")
    assert inst.obs is not None and inst.obs.poll() is not None  # OBS was started, and is gone
    assert inst.xvfb is not None and inst.xvfb.poll() is not None


def test_an_obs_that_does_not_exit_with_code_0_fails_the_test():
    inst = ObsInstance(scripts=[]).start()
    inst.obs.send_signal(signal.SIGKILL)  # what a crash looks like from outside: no clean exit
    inst.obs.wait(30)
    with pytest.raises(AssertionError, match="OBS exited with -9, expected 0"):
        inst.stop()

    expected = ObsInstance(scripts=[], expect_exit=-9).start()  # a test that expects another exit says so
    expected.obs.send_signal(signal.SIGKILL)
    expected.obs.wait(30)
    assert expected.stop() == -9


def test_requests_right_after_start_and_after_a_collection_switch_find_obs_ready():
    """obs-websocket 5.3+ (OBS 30.2.3, 32.2.2) answers 207 "not ready" while OBS loads or switches collections:
    start() and switch_collections() return only once OBS takes requests on the loaded collection, so the
    first request after each succeeds (on OBS 32.2.2 CreateSourceFilter failed in 3 of 6 smoke runs before)."""
    from tests.obs_harness import OTHER_COLLECTION, SOURCE, switch_collections

    with ObsInstance(scripts=[]) as inst:
        assert inst.loaded_collection() == "backdrop_test"
        inst.call("CreateSourceFilter", {"sourceName": SOURCE, "filterName": "Sharpen",
                                         "filterKind": "sharpness_filter", "filterSettings": {}})
        switch_collections(inst, 1)
        assert inst.loaded_collection() == OTHER_COLLECTION
        filters = inst.call("GetSourceFilterList", {"sourceName": SOURCE})["filters"]
        assert [f["filterName"] for f in filters] == []  # the other collection's source, not the first one's
    assert inst.exit_code == 0
