"""One session per model per process, also across a script reload (OBS re-imports Backdrop's
modules while live filters keep the objects they made before)."""

from __future__ import annotations

import importlib.util

from tests.conftest import REPO


def _fresh_entry():
    spec = importlib.util.spec_from_file_location("backdrop_obs_entry", REPO / "obs_script" / "backdrop_obs.py")
    entry = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(entry)
    return entry


def test_a_reloaded_backdrop_shares_the_sessions_of_the_one_before():
    entry = _fresh_entry()
    before = entry._import_private("core.segmenter").Segmenter("selfie_general", "cpu", 1)
    entry._purge_private()  # what script_load does on a reload
    reloaded = _fresh_entry()._import_private("core.segmenter")
    assert reloaded.__name__ == "_backdrop_app.core.segmenter" and reloaded.Segmenter is not type(before)
    after = reloaded.Segmenter("selfie_general", "cpu", 1)
    assert after.session is before.session  # the live filter's session, not a second copy
