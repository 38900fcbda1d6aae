"""Fault injection for tests, read once from the environment at start-up; inert when unset.

BACKDROP_TEST_FAULTS is a comma-separated list of:
    fake=NAME[+NAME...]   pretend these execution providers are installed (they run on the CPU)
    fail_create=NAME      creating a session on NAME raises
    fail_run=NAME@N       NAME's session raises on every run after N good ones
    delay_ms=N            every inference takes N ms longer (a slow GPU or a loaded machine)
    effect=PATH           the OBS filter compiles this effect file instead of its own (a broken one)
Names are ONNX Runtime provider names, e.g. CUDAExecutionProvider.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

ENV = "BACKDROP_TEST_FAULTS"


class InjectedFault(RuntimeError):
    """A failure produced by BACKDROP_TEST_FAULTS, never by real use."""


@dataclass(frozen=True)
class Faults:
    fake: frozenset[str] = frozenset()
    fail_create: frozenset[str] = frozenset()
    fail_run: dict[str, int] = field(default_factory=dict)
    delay_ms: float = 0.0
    effect: str = ""


def parse(spec: str) -> Faults:
    fake: set[str] = set()
    fail_create: set[str] = set()
    fail_run: dict[str, int] = {}
    delay, effect = 0.0, ""
    for item in filter(None, (s.strip() for s in spec.split(","))):
        key, _, value = item.partition("=")
        if key == "fake":
            fake.update(filter(None, value.split("+")))
        elif key == "fail_create":
            fail_create.add(value)
        elif key == "fail_run":
            name, _, n = value.partition("@")
            fail_run[name] = int(n or 0)
        elif key == "delay_ms":
            delay = float(value)
        elif key == "effect":
            effect = value
        else:
            raise ValueError(f"{ENV}: unknown item {item!r}")
    return Faults(frozenset(fake), frozenset(fail_create), fail_run, delay, effect)


FAULTS = parse(os.environ.get(ENV, ""))
