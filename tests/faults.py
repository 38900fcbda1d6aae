"""Fault injection for tests: `install` replaces the product's session factory (core/session.py
FACTORY) with one that fails, slows down or stands in for providers as BACKDROP_TEST_FAULTS says.
Inside OBS the test plug-in (tests/obs_plugin.py) installs it; elsewhere the test does.

BACKDROP_TEST_FAULTS is a comma-separated list of:
    fake=NAME[+NAME...]   pretend these execution providers are installed (they run on the CPU)
    fail_create=NAME      creating a session on NAME raises
    fail_run=NAME@N       NAME's session raises on every run after N good ones
    delay_ms=N            every inference takes N ms longer (a slow GPU or a loaded machine)
    late=N@MS             every Nth inference takes MS ms longer (a mask now and then later than the
                          frame ring waits: another program taking the CPU for a moment)
    effect=PATH           the OBS filter compiles this effect file instead of its own (a broken one)
    crop_effect=PATH      the same for the effect that draws the pose's crops
Names are ONNX Runtime provider names, e.g. CUDAExecutionProvider.
"""

from __future__ import annotations

import os
import time
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
    late: tuple[int, float] = (0, 0.0)  # (every Nth run, ms longer)
    effect: str = ""
    crop_effect: str = ""


def parse(spec: str) -> Faults:
    fake: set[str] = set()
    fail_create: set[str] = set()
    fail_run: dict[str, int] = {}
    delay, effect, crop_effect = 0.0, "", ""
    late = (0, 0.0)
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
        elif key == "late":
            every, _, ms = value.partition("@")
            late = (int(every), float(ms))
        elif key == "effect":
            effect = value
        elif key == "crop_effect":
            crop_effect = value
        else:
            raise ValueError(f"{ENV}: unknown item {item!r}")
    return Faults(frozenset(fake), frozenset(fail_create), fail_run, delay, late, effect, crop_effect)


class _FaultySession:
    """A provider session that fails after N runs and/or runs slower, as FAULTS says."""

    def __init__(self, inner, fail_after: int | None, delay_ms: float, late: tuple[int, float] = (0, 0.0)) -> None:
        self.inner, self.card, self.provider = inner, inner.card, inner.provider
        self.fail_after, self.delay_ms, self.late, self.runs = fail_after, delay_ms, late, 0

    def run(self, tensor):
        if self.fail_after is not None and self.runs >= self.fail_after:
            raise InjectedFault(f"injected run failure on {self.provider} after {self.runs} runs")
        if self.delay_ms:
            time.sleep(self.delay_ms / 1000.0)
        if self.late[0] and self.runs % self.late[0] == self.late[0] - 1:
            time.sleep(self.late[1] / 1000.0)
        out = self.inner.run(tensor)
        self.runs += 1
        return out


def install(session, spec: str | None = None) -> Faults:
    """Parse `spec` (default: BACKDROP_TEST_FAULTS) and give `session` (the core/session.py module,
    as the caller imported it) a factory with those faults: fake providers run on the CPU under
    their own name. Before any session is made: sessions are shared and outlive the factory."""
    f = parse(os.environ.get(ENV, "") if spec is None else spec)
    session.FACTORY = faulty_session_factory(session, f)
    return f


def faulty_session_factory(session, f: Faults):
    CPU = session.CPU

    class FaultySessionFactory(session.SessionFactory):
        def available(self, ort) -> list[str]:
            return sorted(set(super().available(ort)) | f.fake)

        def open(self, card, data, provider, threads, available, runs_as=None):
            if provider in f.fail_create:
                raise InjectedFault(f"injected failure creating a {provider} session")
            inner = super().open(card, data, provider, threads, available, CPU if provider in f.fake else runs_as)
            if provider in f.fail_run or f.delay_ms or f.late[0]:
                return _FaultySession(inner, f.fail_run.get(provider), f.delay_ms, f.late)
            return inner

    return FaultySessionFactory()
