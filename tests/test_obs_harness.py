"""The real-OBS harness itself: a failed start leaves nothing running."""

from __future__ import annotations

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
