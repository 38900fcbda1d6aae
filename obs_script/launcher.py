"""Starting threads from OBS's graphics thread without waiting there.

`Thread.start()` returns only once the new thread runs, and on a busy machine the new thread first
waits for a core and the GIL: 1 to 28 ms measured in `update` (a model change, a picture) on 2
cores. So the filter hands its threads to one launcher thread, which starts them. The launcher lives
in the process-wide holder (core/process_holder.py), like the filter registration, so script reloads
do not leave one idle launcher each.

The launcher, and so every thread it starts and those threads start (a new thread inherits its
creator's signal mask), blocks SIGINT: OBS closes its window from inside its SIGINT handler
(`ctrlc_handler`, UI/obs-app.cpp 29.0.2), on whichever thread the signal lands. On one of ours
holding the GIL, the close then waits for libobs's destroy queue, whose Python tasks wait for the
GIL: OBS hung at exit (seen once, on a loader thread in pthread_create, Ctrl+C just after a filter
was created).
"""

from __future__ import annotations

import os
import queue
import signal
import sys
import threading
import time
import types

from ..core import process_holder


def _holder() -> types.SimpleNamespace:
    return process_holder.held("launcher", lambda: types.SimpleNamespace(queue=queue.SimpleQueue(), thread=None,
                                                                          lock=threading.Lock()))


def _run(pending: queue.SimpleQueue) -> None:
    while True:
        thread = pending.get()
        try:
            thread.start()
        except Exception:  # noqa: BLE001 - e.g. no more threads: never started, never waited for
            thread.launch_failed = True


def launch(thread: threading.Thread) -> None:
    """Start `thread` soon, from the launcher (the first call starts the launcher itself, and waits
    for it once: a filter's creation, not its graphics thread)."""
    h = _holder()
    with h.lock:
        if h.thread is None or not h.thread.is_alive():
            h.thread = threading.Thread(target=_run, args=(h.queue,), name="backdrop-launch", daemon=True)
            _start_without_sigint(h.thread)
    h.queue.put(thread)


def _start_without_sigint(thread: threading.Thread) -> None:
    """Start `thread` with SIGINT blocked in it from its first instruction (no pthread_sigmask on Windows,
    where OBS installs no such handler)."""
    if not hasattr(signal, "pthread_sigmask"):
        thread.start()
        return
    old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        thread.start()
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def join(thread: threading.Thread, timeout: float) -> bool:
    """Wait for a launched thread to start and finish; True when it has finished."""
    deadline = time.monotonic() + timeout
    while thread.ident is None and running(thread) and time.monotonic() < deadline:
        time.sleep(0.005)
    if thread.ident is None:
        return False
    thread.join(max(0.0, deadline - time.monotonic()))
    return not thread.is_alive()


def running(thread: threading.Thread) -> bool:
    """Launched and not finished yet (a thread still waiting for the launcher counts)."""
    return (thread.ident is None and not getattr(thread, "launch_failed", False)) or thread.is_alive()


def lower_priority() -> None:
    """Let the calling thread yield the cores to OBS's: for work that can wait a few milliseconds
    (decoding a picture), which on 2 cores otherwise delayed OBS's graphics thread by 5-10 ms a frame
    while it ran. Linux's nice is per thread (setpriority(2)) and inherited by threads it starts, and
    cannot be raised again without privileges: never call it on a thread that starts the mask worker.
    Windows has SetThreadPriority; elsewhere nothing changes."""
    try:
        if sys.platform.startswith("linux"):
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)
        elif sys.platform == "win32":
            import ctypes

            kernel32 = ctypes.WinDLL("kernel32")  # our own handle: windll.kernel32's declarations are shared
            kernel32.GetCurrentThread.restype = ctypes.c_void_p
            kernel32.SetThreadPriority.argtypes = [ctypes.c_void_p, ctypes.c_int]
            kernel32.SetThreadPriority(kernel32.GetCurrentThread(), -1)  # THREAD_PRIORITY_BELOW_NORMAL
    except (OSError, AttributeError):
        pass
