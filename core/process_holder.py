"""The one process-wide holder (`sys._backdrop`) for what must outlive a script reload. OBS re-runs
a script on Scripts -> Reload and on scene-collection switches, and Backdrop's modules are imported
afresh each time (obs_script/backdrop_obs.py) while live filters keep the objects they made, so what
both generations must share lives on the `sys` module, by name: the filter type's registration
(obs_script/registration.py), the thread launcher (obs_script/launcher.py) and the shared ONNX Runtime
sessions (core/session.py).

A Backdrop from before this holder, still in the process (updated, then the script reloaded), kept
each in its own `sys._backdrop_<name>`: one found there is taken over, so the filter type is not
registered twice (libobs refuses a second `backdrop_filter`) and the sessions are not loaded twice.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, TypeVar

HOLDER = "_backdrop"
T = TypeVar("T")


def _holder() -> dict[str, Any]:
    return vars(sys).setdefault(HOLDER, {})  # setdefault: one holder even when two threads ask first


def get(name: str) -> Any | None:
    """What the process holds under `name`; None: nothing yet."""
    h = _holder()
    if name not in h:
        older = getattr(sys, f"_backdrop_{name}", None)  # an older Backdrop's own holder
        if older is not None:
            h.setdefault(name, older)
    return h.get(name)


def put(name: str, value: Any) -> None:
    _holder()[name] = value


def held(name: str, make: Callable[[], T]) -> T:
    """What the process holds under `name`, made by `make` the first time."""
    value = get(name)
    if value is None:
        value = _holder().setdefault(name, make())
    return value
