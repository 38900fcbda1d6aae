"""The one process-wide holder (core/process_holder.py): one object per name across reloads, and what
an older Backdrop kept in its own `sys._backdrop_<name>` taken over."""

from __future__ import annotations

import sys

import pytest

from core import process_holder


@pytest.fixture
def name():
    yield "test_holder_entry"
    process_holder._holder().pop("test_holder_entry", None)
    vars(sys).pop("_backdrop_test_holder_entry", None)


def test_one_object_per_name(name):
    first = process_holder.held(name, object)
    assert process_holder.held(name, object) is first
    assert process_holder.get(name) is first


def test_an_older_backdrops_own_holder_is_taken_over(name):
    older = object()
    setattr(sys, f"_backdrop_{name}", older)
    assert process_holder.get(name) is older
    assert process_holder.held(name, object) is older


def test_the_registration_launcher_and_sessions_share_the_one_holder():
    from core import session

    assert process_holder.get("session_pool") == (session._pool, session._pool_lock)
    assert not [k for k in vars(sys) if k.startswith("_backdrop_") and k != "_backdrop_tests"]
