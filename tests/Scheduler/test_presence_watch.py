"""While a job runs past a heartbeat interval, heartbeats go on and name the run."""

from __future__ import annotations

import datetime as dt

from equipment.Log.MemoryLogger import MemoryLogger
from equipment.Scheduler.Clock import FakeClock
from equipment.Scheduler.Presence import HEARTBEAT_INTERVAL, Presence
from equipment.Scheduler.RunRecord import RunRecord
from equipment.Scheduler.State.MemoryStateStore import MemoryStateStore
from equipment.Scheduler.State.StateStore import ProcessInfo

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


def test_a_heartbeat_promises_the_next_for_when_the_loop_will_have_woken() -> None:
    clock, state = FakeClock(START), MemoryStateStore()
    presence = Presence(state, clock, MemoryLogger(), max_sleep=30)
    presence.announce()
    hour = dt.timedelta(hours=1)

    presence.beat(START + hour)  # the loop sleeps an hour, until its next job
    (idle,) = state.processes()
    clock.advance(5)
    presence.beat(START + hour)  # a pass that changes nothing: nothing to write
    clock.advance(1)
    presence.beat(START + 2 * hour)  # the loop will sleep longer: a new promise
    (later,) = state.processes()

    assert idle.next_beat_by == START + hour + HEARTBEAT_INTERVAL
    assert state.processes()[0].heartbeat_at == START + dt.timedelta(seconds=6)
    assert later.next_beat_by == START + 2 * hour + HEARTBEAT_INTERVAL
    # Meanwhile the process is not late, however old its heartbeat: it said so.
    assert later.is_alive(START + 2 * hour, presence.stale_after)
    assert not later.is_alive(START + 2 * hour + HEARTBEAT_INTERVAL + dt.timedelta(minutes=2),
                              presence.stale_after)


def test_a_busy_loop_writes_its_heartbeat_once_an_interval() -> None:
    clock, state = FakeClock(START), MemoryStateStore()
    presence = Presence(state, clock, MemoryLogger(), max_sleep=30)
    presence.announce()
    written = []
    for _ in range(30):  # a job every second
        clock.advance(1)
        presence.beat(clock.now() + dt.timedelta(seconds=1))
        written.append(state.processes()[0].heartbeat_at)

    assert len(set(written)) == 3  # at 1 s, then an interval later, twice


def test_the_watch_thread_looks_shortly_before_the_promise_falls_due() -> None:
    clock, state = FakeClock(START), MemoryStateStore()
    presence = Presence(state, clock, MemoryLogger(), max_sleep=30)
    presence.announce()
    presence.beat(START + dt.timedelta(hours=1))

    # An idle loop sleeps an hour; so does its watch thread, waking half an interval before
    # the promise: a job started at the hour and still running then gets its beat in time.
    expected = dt.timedelta(hours=1) + HEARTBEAT_INTERVAL / 2
    assert presence.until_look() == expected.total_seconds()
    clock.advance(dt.timedelta(hours=2))  # past the promise: never less than half an interval
    assert presence.until_look() == HEARTBEAT_INTERVAL.total_seconds() / 2


def test_a_long_run_started_just_after_a_beat_is_beaten_for_before_the_promise() -> None:
    clock, state = FakeClock(START), MemoryStateStore()
    presence = Presence(state, clock, MemoryLogger(), max_sleep=30)
    presence.announce()  # promises the first pass's beat within an interval
    run = RunRecord("catch-up", "catch-up@x", START, started_at=START)

    clock.advance(6)  # the last beat is 6 s old, but the promise falls due in 4 s
    presence.beat_during(run)

    (beaten,) = state.processes()
    assert beaten.running_job == "catch-up"
    assert beaten.next_beat_by > START + dt.timedelta(seconds=10)


def test_a_record_with_this_process_pid_on_this_host_is_a_dead_ones() -> None:
    # A restarted container's scheduler is pid 1 again: the record its predecessor left,
    # promising a beat an hour away, is not "another scheduler running".
    clock, state, log = FakeClock(START), MemoryStateStore(), MemoryLogger()
    presence = Presence(state, clock, log, max_sleep=30)
    me = ProcessInfo.this_process(START)
    before = ProcessInfo(me.host, me.pid, START - dt.timedelta(hours=1), START,
                         next_beat_by=START + dt.timedelta(hours=1))
    state.heartbeat(before)

    presence.announce()

    assert before.process_id not in [p.process_id for p in state.processes()]
    assert not log.find("Another scheduler")


def test_health_knows_a_scheduler_on_this_host_is_gone_whatever_it_promised() -> None:
    import subprocess
    import sys

    from equipment.Scheduler import Health

    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    state = MemoryStateStore()
    me = ProcessInfo.this_process(START)
    state.heartbeat(ProcessInfo(me.host, int(gone.stdout), START, START,
                                next_beat_by=START + dt.timedelta(hours=1)))

    report = Health.check(state, START + dt.timedelta(minutes=5), max_age=90)

    assert report.ok is False  # an idle scheduler's promise, but its pid is dead


def test_a_pid_from_another_pid_namespace_is_not_read_as_one_of_ours() -> None:
    # A health sidecar in a Kubernetes pod shares the host name with the scheduler, not its
    # pids: the scheduler's pid means nothing here, so its heartbeat alone decides.
    from equipment.Scheduler import Health

    state = MemoryStateStore()
    me = ProcessInfo.this_process(START)
    elsewhere = ProcessInfo(me.host, me.pid + 7919, START, START, pid_namespace="pid:[1]",
                            next_beat_by=START + dt.timedelta(hours=1))
    state.heartbeat(elsewhere)

    assert elsewhere.is_alive(START + dt.timedelta(minutes=5), dt.timedelta(seconds=90))
    assert Health.check(state, START + dt.timedelta(minutes=5), max_age=90).ok
