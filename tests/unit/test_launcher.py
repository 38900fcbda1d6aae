"""The launcher starts the filter's threads (obs_script/launcher.py): none of them, nor the threads
they start (the mask worker, ONNX Runtime's), may take OBS's SIGINT, whose handler closes OBS's
window on the thread it interrupts."""

from __future__ import annotations

import signal
import threading

import pytest

from tests.conftest import import_as_in_obs

pytestmark = pytest.mark.only_on("linux", "macos", reason="POSIX signal masks (signal.pthread_sigmask); Windows has "
                                 "none, and OBS there has no SIGINT handler")


def test_threads_started_by_the_launcher_and_their_children_block_sigint():
    launcher = import_as_in_obs("obs_script.launcher")
    masks: dict[str, set] = {}

    def child() -> None:
        masks["child"] = signal.pthread_sigmask(signal.SIG_BLOCK, set())

    def loader() -> None:
        masks["loader"] = signal.pthread_sigmask(signal.SIG_BLOCK, set())
        t = threading.Thread(target=child)
        t.start()
        t.join()

    thread = threading.Thread(target=loader)
    launcher.launch(thread)
    assert launcher.join(thread, 10.0)
    assert signal.SIGINT in masks["loader"] and signal.SIGINT in masks["child"]
    assert signal.SIGINT not in signal.pthread_sigmask(signal.SIG_BLOCK, set())  # the caller's mask is back
