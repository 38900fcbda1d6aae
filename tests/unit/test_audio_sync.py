"""The audio-sync rule (obs_script/audio_sync.py): the user's own offset is never lost or stacked."""

from __future__ import annotations

from obs_script.audio_sync import Ledger, Remembered, SteadyDelay, delay_ns

MS = 1_000_000


def test_the_source_gets_the_users_offset_plus_the_video_delay():
    ledger = Ledger()
    assert ledger.follow("mic", 1, 67 * MS, current=20 * MS) == 87 * MS
    assert ledger.follow("mic", 1, 67 * MS, current=87 * MS) is None  # nothing changed: nothing set
    assert ledger.remembered("mic") == Remembered(20 * MS, 87 * MS)


def test_a_delay_change_moves_the_offset_once():
    ledger = Ledger()
    ledger.follow("mic", 1, 67 * MS, current=0)
    assert ledger.follow("mic", 1, 100 * MS, current=67 * MS) == 100 * MS
    assert ledger.follow("mic", 1, 100 * MS, current=100 * MS) is None


def test_unchoosing_restores_the_users_offset():
    ledger = Ledger()
    ledger.follow("mic", 1, 67 * MS, current=-30 * MS)
    assert ledger.release("mic", 1, current=37 * MS) == -30 * MS
    assert ledger.sources == {}
    assert ledger.release("mic", 1, current=-30 * MS) is None  # released twice: nothing to do


def test_a_hand_edit_becomes_the_new_base():
    ledger = Ledger()
    ledger.follow("mic", 1, 67 * MS, current=0)
    assert ledger.follow("mic", 1, 67 * MS, current=200 * MS) == 267 * MS  # the user typed 200 ms
    assert ledger.release("mic", 1, current=267 * MS) == 200 * MS


def test_after_a_restart_our_own_addition_is_recognised_and_not_stacked():
    ledger = Ledger()  # a new process; the collection saved base + delay
    assert ledger.follow("mic", 1, 67 * MS, current=87 * MS, remembered=Remembered(20 * MS, 87 * MS)) is None
    assert ledger.remembered("mic") == Remembered(20 * MS, 87 * MS)
    assert ledger.release("mic", 1, current=87 * MS) == 20 * MS


def test_after_a_restart_an_offset_changed_while_obs_was_closed_is_the_base():
    ledger = Ledger()
    assert ledger.follow("mic", 1, 67 * MS, current=5 * MS, remembered=Remembered(20 * MS, 87 * MS)) == 72 * MS


def test_two_filters_on_one_source_the_larger_delay_wins_and_removing_one_leaves_the_other():
    ledger = Ledger()
    ledger.follow("mic", 1, 67 * MS, current=10 * MS)
    assert ledger.follow("mic", 2, 133 * MS, current=77 * MS) == 143 * MS
    assert ledger.follow("mic", 1, 67 * MS, current=143 * MS) is None
    assert ledger.release("mic", 2, current=143 * MS) == 77 * MS
    assert ledger.release("mic", 1, current=77 * MS) == 10 * MS


def test_unloading_the_script_gives_every_base_back():
    ledger = Ledger()
    ledger.follow("mic", 1, 67 * MS, current=10 * MS)
    ledger.follow("desktop", 2, 33 * MS, current=0)
    assert ledger.release_all() == {"mic": 10 * MS, "desktop": 0}
    assert ledger.sources == {}


def test_the_delay_is_whole_milliseconds_of_the_frame_interval():
    assert delay_ns(2, 33_333_333) == 67 * MS
    assert delay_ns(4, 33_333_333) == 133 * MS
    assert delay_ns(0, 33_333_333) == 0


def test_the_audio_follows_a_longer_delay_at_once_and_a_shorter_one_only_once_it_holds():
    steady = SteadyDelay()
    assert steady.update(67 * MS, 0.0) == 67 * MS
    assert steady.update(133 * MS, 1.0) == 133 * MS  # at once: sound must not run ahead of the picture
    assert steady.update(100 * MS, 2.0) == 133 * MS  # a dip...
    assert steady.update(133 * MS, 3.0) == 133 * MS  # ...that comes back costs no change
    assert steady.update(100 * MS, 4.0) == 133 * MS
    assert steady.update(100 * MS, 4.0 + SteadyDelay.HOLD_S - 0.1) == 133 * MS
    assert steady.update(100 * MS, 4.0 + SteadyDelay.HOLD_S) == 100 * MS  # held: it falls, once
