"""History lines: missed occurrences are derived only where heartbeats give evidence."""

from __future__ import annotations

import datetime as dt

from equipment.Scheduler.Clock import FakeClock
from equipment.Scheduler.History import timeline
from equipment.Scheduler.Scheduler import Scheduler
from equipment.Scheduler.State.StateStore import ProcessInfo

START = dt.datetime(2026, 1, 5, 12, 0, tzinfo=dt.UTC)


def hourly(now: dt.datetime) -> Scheduler:
    scheduler = Scheduler(clock=FakeClock(now), settings={"timezone": "UTC"})
    scheduler.schedule.every().hour.name("hourly").do(lambda: None)
    return scheduler


def test_no_evidence_derives_nothing() -> None:
    scheduler = hourly(START)
    job = scheduler.schedule.get_job("hourly")

    assert timeline(job, scheduler.state, START + dt.timedelta(days=2), 30) == []


def test_missed_runs_lie_between_heartbeat_spans_and_inside_retention() -> None:
    scheduler = hourly(START)
    job = scheduler.schedule.get_job("hourly")
    state = scheduler.state
    first = ProcessInfo("h", 1, START, START)
    state.heartbeat(first)
    first.heartbeat_at = START + dt.timedelta(hours=2, minutes=30)
    state.heartbeat(first)
    later = START + dt.timedelta(hours=6, minutes=30)
    state.heartbeat(ProcessInfo("h", 2, later, later))
    now = later + dt.timedelta(minutes=10)

    lines = timeline(job, state, now, max_sleep=30)
    old = timeline(job, state, START + dt.timedelta(days=40), 30, history_days=30)

    assert [line.entry.scheduled_at.hour for line in lines] == [18, 17, 16, 15]
    assert {line.entry.outcome for line in lines} == {"missed"}
    assert all(line.entry.scheduled_at >= START + dt.timedelta(days=10) for line in old)
