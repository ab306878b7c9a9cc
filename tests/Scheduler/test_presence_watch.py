"""While a job runs past a heartbeat interval, heartbeats go on and name the run."""

from __future__ import annotations

import datetime as dt

from equipment.Log.MemoryLogger import MemoryLogger
from equipment.Scheduler.Clock import FakeClock
from equipment.Scheduler.Presence import HEARTBEAT_INTERVAL, Presence
from equipment.Scheduler.RunRecord import RunRecord
from equipment.Scheduler.State.MemoryStateStore import MemoryStateStore

START = dt.datetime(2026, 1, 5, 12, 0, tzinfo=dt.UTC)


def test_a_long_run_is_named_in_the_heartbeat_and_cleared_after() -> None:
    clock, state = FakeClock(START), MemoryStateStore()
    presence = Presence(state, clock, MemoryLogger(), max_sleep=30, leader=lambda: False)
    presence.announce()
    run = RunRecord("slow", "slow@x", START, started_at=START)

    presence.beat_during(run)  # too early: the loop's own beat is fresh
    assert state.processes()[0].running_job is None
    clock.advance(HEARTBEAT_INTERVAL)
    presence.beat_during(run)
    (during,) = state.processes()
    clock.advance(1)
    presence.beat()  # the loop is back: the run is over
    (after,) = state.processes()

    assert (during.running_job, during.running_since, during.leader) == ("slow", START, False)
    assert during.heartbeat_at == START + HEARTBEAT_INTERVAL
    assert after.running_job is None


def test_a_clean_stop_ends_the_span_at_the_stop() -> None:
    clock, state = FakeClock(START), MemoryStateStore()
    presence = Presence(state, clock, MemoryLogger(), max_sleep=30)
    presence.announce()
    clock.advance(5)

    presence.leave()

    assert state.processes() == []
    assert state.spans()[0].last_beat == START + dt.timedelta(seconds=5)


def test_while_a_run_goes_on_each_look_also_calls_the_long_run_hook() -> None:
    clock, state = FakeClock(START), MemoryStateStore()
    presence = Presence(state, clock, MemoryLogger(), max_sleep=30)
    presence.announce()
    run = RunRecord("slow", "slow@x", START, started_at=START)
    calls = []

    assert presence.look(lambda: None, lambda: calls.append("collect")) is False
    assert presence.look(lambda: run, lambda: calls.append("collect")) is True

    assert calls == ["collect"]  # the loop collects garbage there during a long job
