"""Occurrences every process names the same: run IDs depend on the job and the stored state.

Two schedulers of one project stand for two processes (or a restart): they share a SQLite
state file, start at different moments, and must agree on every run ID.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from equipment.Log.MemoryLogger import MemoryLogger
from equipment.Scheduler.Clock import FakeClock
from equipment.Scheduler.Scheduler import Scheduler
from equipment.Scheduler.State.MemoryStateStore import MemoryStateStore
from equipment.Scheduler.State.SqliteStateStore import SqliteStateStore
from equipment.Scheduler.Testing import run_until
from equipment.Scheduler.Trigger import CalendarTrigger
from tests.Scheduler import jobs

UTC = dt.UTC
START = dt.datetime(2026, 1, 5, 12, 0, 0, 250_000, tzinfo=UTC)


def process(state, start: dt.datetime, register, log: MemoryLogger | None = None) -> Scheduler:
    """A scheduler process started at `start` on a shared state store."""
    scheduler = Scheduler(
        log=log or MemoryLogger(), clock=FakeClock(start), settings={"timezone": "UTC"}, state=state
    )
    register(scheduler.schedule)
    scheduler.schedule.sync_state()
    return scheduler


def run_ids(scheduler: Scheduler, until: dt.datetime) -> list[str]:
    return [record.run_id for record in run_until(scheduler, until)]


def every_kind(schedule) -> None:
    schedule.every(7).minutes.do(jobs.cleanup)
    schedule.every().day.do(jobs.cleanup)
    schedule.every().monday.do(jobs.cleanup)
    schedule.every(5).to(10).minutes.do(jobs.cleanup)
    schedule.every().hour.at(":30").do(jobs.cleanup)
    schedule.cron("*/15 * * * *").do(jobs.cleanup)


def test_two_processes_started_seconds_apart_name_every_occurrence_the_same(tmp_path: Path):
    state_file = tmp_path / "scheduler.sqlite3"
    first = process(SqliteStateStore(state_file), START, every_kind)
    second = process(SqliteStateStore(state_file), START + dt.timedelta(seconds=13.7), every_kind)
    until = START + dt.timedelta(days=8)

    ids_first = run_ids(first, until)
    ids_second = run_ids(second, until)

    assert ids_first[0] == "cleanup:every-7-minutes@2026-01-05T12:07:00Z"
    assert ids_second == ids_first
    assert len(ids_first) > 2500  # every kind of job, many occurrences
    assert {run_id.split("@")[0] for run_id in ids_first} == {
        "cleanup:every-7-minutes",
        "cleanup:every-day",
        "cleanup:every-monday",
        "cleanup:every-5-to-10-minutes",
        "cleanup:every-hour-at-30-00",
        "cleanup:cron-*/15_*_*_*_*",
    }


def test_a_restart_continues_the_grid_where_the_last_process_left_it(tmp_path: Path):
    state_file = tmp_path / "scheduler.sqlite3"
    before = process(SqliteStateStore(state_file), START, every_kind)
    run_ids(before, START + dt.timedelta(hours=1))
    before.state.close()

    after = process(
        SqliteStateStore(state_file), START + dt.timedelta(hours=1, seconds=3), every_kind
    )

    seven = after.schedule.get_job("cleanup:every-7-minutes")
    steps = (seven.next_run_at - dt.datetime(2026, 1, 5, 12, 0, 0, tzinfo=UTC)) / dt.timedelta(
        minutes=7
    )
    assert steps == int(steps)  # still on the grid anchored at the first registration
    daily = after.schedule.get_job("cleanup:every-day")
    assert daily.next_run_at == dt.datetime(2026, 1, 6, 12, 0, 0, 250_000, tzinfo=UTC)


def test_random_ranges_draw_the_same_in_every_process(tmp_path: Path):
    state = MemoryStateStore()

    def register(schedule) -> None:
        schedule.every(5).to(10).minutes.do(jobs.cleanup)

    first = process(state, START, register)
    second = process(state, START + dt.timedelta(seconds=40), register)
    until = START + dt.timedelta(hours=6)

    first_ids = run_ids(first, until)
    assert run_ids(second, until) == first_ids
    instants = [dt.datetime.fromisoformat(run_id.split("@")[1]) for run_id in first_ids]
    spacings = {b - a for a, b in zip(instants, instants[1:], strict=False)}
    assert len(spacings) > 1
    assert spacings <= {dt.timedelta(minutes=m) for m in range(5, 11)}


def test_a_day_job_without_at_keeps_the_stored_time_of_day():
    state = MemoryStateStore()

    def register(schedule) -> None:
        schedule.every().day.do(jobs.cleanup)

    process(state, START, register)
    later = process(state, START + dt.timedelta(hours=5), register)

    job = later.schedule.get_job("cleanup:every-day")
    assert job.next_run_at == START + dt.timedelta(days=1)
    assert job.describe() == "every day at 12:00:00 (UTC)"


def test_a_changed_definition_under_the_same_name_starts_a_fresh_grid_and_says_so():
    state = MemoryStateStore()
    process(state, START, lambda s: s.every(10).minutes.name("report").do(jobs.cleanup))
    log = MemoryLogger()
    later_start = START + dt.timedelta(minutes=3)

    later = process(
        state, later_start, lambda s: s.every(7).minutes.name("report").do(jobs.cleanup), log
    )

    job = later.schedule.get_job("report")
    assert job.anchor == later_start
    assert job.next_run_at == (later_start + dt.timedelta(minutes=7)).replace(microsecond=0)
    assert log.find("Job report changed its schedule since it last ran")
    assert state.load()["report"].fingerprint == job.fingerprint


def test_an_operators_command_says_its_definition_differs_and_starts_no_grid():
    """`schedule list` from a shell whose settings (or code) differ from the scheduler's:
    nothing starts afresh, since the command runs nothing; the line says what differs."""
    state = MemoryStateStore()
    process(state, START, lambda s: s.every(10).minutes.name("report").do(jobs.cleanup))
    stored = state.load()["report"]
    log = MemoryLogger()
    command = Scheduler(log=log, clock=FakeClock(START), settings={"timezone": "UTC"}, state=state)
    command.schedule.describing = True

    command.schedule.every(7).minutes.name("report").do(jobs.cleanup)

    assert not log.find("changed its schedule since it last ran")
    [line] = log.find("unlike the state a scheduler stored")
    assert line.message.startswith("Job report is defined here as every 7 minutes, unlike")
    assert state.load()["report"] == stored


def test_a_trigger_rebuilt_from_a_stored_instant_answers_as_the_live_one():
    madrid = __import__("zoneinfo").ZoneInfo("Europe/Madrid")
    live = CalendarTrigger(1, "days", madrid).anchored(START)
    stored = live.first(START)

    rebuilt = CalendarTrigger(1, "days", madrid).anchored(START)

    assert rebuilt == live
    chain_live, chain_rebuilt = [stored], [stored]
    for _ in range(120):  # across the spring DST change
        chain_live.append(live.next_after(chain_live[-1]))
        chain_rebuilt.append(rebuilt.next_after(chain_rebuilt[-1]))
    assert chain_live == chain_rebuilt


def test_a_trigger_never_changes_when_asked():
    trigger = CalendarTrigger(1, "days", UTC)
    anchored = trigger.anchored(START)
    anchored.first(START)
    anchored.next_after(START)

    assert trigger.at is None  # asking did not fill anything in
    with pytest.raises(ValueError, match="needs its anchor"):
        trigger.next_after(START)


def test_a_backward_step_marks_the_grid_the_same_way_in_every_process():
    state = MemoryStateStore()

    def register(schedule) -> None:
        schedule.every(10).minutes.do(jobs.cleanup)

    processes = [process(state, START, register), process(state, START, register)]
    for scheduler in processes:
        run_until(scheduler, START + dt.timedelta(minutes=25))
        scheduler.clock.jump(-3600)
    suffixes = {tuple(run_ids(s, s.clock.now() + dt.timedelta(minutes=30))) for s in processes}

    assert len(suffixes) == 1
    assert all(run_id.endswith("~20260105T123000Z") for run_id in suffixes.pop())


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
def test_where_a_deadline_ended_a_job_does_not_move_its_grid(kind, tmp_path):
    """The deadline's row is history (where the job left), not a handled occurrence: a later
    start whose until() window holds that occurrence runs it."""
    from equipment.Scheduler.State.SqliteStateStore import SqliteStateStore

    state = MemoryStateStore() if kind == "memory" else SqliteStateStore(tmp_path / "s.sqlite3")
    window = dt.timedelta(hours=3)

    def register(schedule) -> None:
        schedule.every().hour.until(window).name("report").do(jobs.cleanup)

    first = process(state, START, register)
    ran = run_until(first, START + window + dt.timedelta(minutes=30))
    later = process(state, START + window + dt.timedelta(minutes=30), register)

    assert [(r.scheduled_at.hour, r.outcome) for r in ran] == [
        (13, "success"), (14, "success"), (15, "success"), (16, "skipped")
    ]
    assert state.load()["report"].last_scheduled.hour == 15
    assert later.schedule.get_job("report").next_run_at.hour == 16


@pytest.mark.parametrize("catch_up", [False, True], ids=["skip missed", "catch up"])
def test_a_takeover_counts_nothing_missed_past_the_jobs_own_deadline(catch_up):
    """A standby's until(timedelta) window is its own: taking the lead after it closed, it
    reports what fell due before its deadline, and its first occurrence past it ends the job
    (where it counted every occurrence up to now missed)."""
    state, clock = MemoryStateStore(), FakeClock(START)

    def replica() -> Scheduler:
        scheduler = Scheduler(clock=clock, settings={"timezone": "UTC"}, state=state)
        job = scheduler.schedule.every(1).seconds.until(dt.timedelta(seconds=3))
        if catch_up:  # (nothing can be caught up once the deadline has passed)
            job = job.catch_up(within=dt.timedelta(minutes=5))
        job.name("window").do(jobs.cleanup)
        scheduler.schedule.sync_state()
        return scheduler

    leader, standby = replica(), replica()
    run_until(leader, dt.timedelta(seconds=1, milliseconds=900))  # ran :01, :02; then gone
    clock.set(START + dt.timedelta(seconds=6))

    missed = standby.schedule.take_over()
    [job] = standby.schedule.jobs
    due_at = job.next_run_at
    records = standby.tick()

    assert [(j.missed.first.second, j.missed.last.second, j.missed.count) for j in missed] == [
        (3, 3, 1)  # its deadline: 12:00:03.25
    ]
    assert due_at.second == 4
    assert [(r.scheduled_at.second, r.outcome, r.reason) for r in records] == [
        (4, "skipped", "until() deadline")
    ]
    assert standby.schedule.jobs == []


def test_a_day_job_without_at_follows_the_grid_another_process_anchored_first():
    """`every().day` takes its time of day from its anchor. A process that registered it
    before any was stored, then found another's anchor (the first store wins), kept its
    own time of day: its runs (and run IDs) moved to when it happened to start."""
    state = MemoryStateStore()
    late = Scheduler(clock=FakeClock(START), settings={"timezone": "UTC"}, state=state)
    late.schedule.every().day.name("daily").do(jobs.cleanup)
    earlier = START - dt.timedelta(hours=3)
    process(state, earlier, lambda s: s.every().day.name("daily").do(jobs.cleanup))

    late.schedule.sync_state()  # the earlier process's anchor, 09:00:00.25, is the one stored

    job = late.schedule.get_job("daily")
    # Not 12:00:00.25 today (this process's start, so a run now): the grid's 09:00 tomorrow.
    assert job.next_run_at == dt.datetime(2026, 1, 6, 9, 0, 0, 250_000, tzinfo=UTC)
