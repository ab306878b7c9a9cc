"""The wall clock stepping (NTP, VM resume), with FakeClock.jump and Scheduler.tick."""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter

import pytest

from equipment.Log.MemoryLogger import MemoryLogger
from equipment.Scheduler.Clock import FakeClock
from equipment.Scheduler.Scheduler import Scheduler
from equipment.Scheduler.State.MemoryStateStore import MemoryStateStore
from equipment.Scheduler.Testing import run_until
from tests.Scheduler.test_dst import travel

UTC = dt.UTC
START = dt.datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
MINUTE = dt.timedelta(minutes=1)


def scheduler_with_jobs() -> tuple[Scheduler, MemoryLogger, dict[str, list[float]]]:
    """Interval, aligned, daily and cron jobs; each records the monotonic time it ran."""
    log = MemoryLogger()
    scheduler = Scheduler(log=log, clock=FakeClock(START), settings={"timezone": "UTC"})
    ran: dict[str, list[float]] = {}

    def recorder(name: str):
        return lambda: ran.setdefault(name, []).append(scheduler.clock.monotonic())

    schedule = scheduler.schedule
    schedule.every(10).minutes.name("every-10-minutes").do(recorder("every-10-minutes"))
    schedule.every().hour.at(":05").name("hourly-at-05").do(recorder("hourly-at-05"))
    schedule.every().day.at("13:00").name("daily-13").do(recorder("daily-13"))
    schedule.cron("*/15 * * * *").name("cron-15").do(recorder("cron-15"))
    return scheduler, log, ran


def scheduled(records, job_id: str) -> list[dt.datetime]:
    return [r.scheduled_at for r in records if r.job_id == job_id]


def test_a_forward_jump_runs_each_job_at_most_once_then_returns_to_its_grid():
    scheduler, log, _ = scheduler_with_jobs()
    travel(scheduler, START + 30 * MINUTE)
    scheduler.clock.set(START + 31 * MINUTE)

    scheduler.clock.jump(dt.timedelta(hours=2))  # 12:31 -> 14:31
    handled = scheduler.tick()
    caught_up = [r for r in handled if r.outcome != "skipped"]  # (those before: skipped)

    assert {r.reason for r in handled if r.outcome == "skipped"} == {"catch-up policy"}
    assert sorted(r.job_id for r in caught_up) == [
        "cron-15",
        "daily-13",
        "every-10-minutes",
        "hourly-at-05",
    ]
    warnings = log.find("The wall clock jumped forward by 2:00:00", logging.WARNING)
    assert len(warnings) == 1
    assert warnings[0].extra["clock_step_seconds"] == 7200

    later = travel(scheduler, START + dt.timedelta(hours=4, minutes=10))
    at = lambda h, m: dt.datetime(2026, 6, 1, h, m, tzinfo=UTC)  # noqa: E731
    assert scheduled(later, "every-10-minutes")[:3] == [at(14, 40), at(14, 50), at(15, 0)]
    assert scheduled(later, "cron-15")[:2] == [at(14, 45), at(15, 0)]
    assert scheduled(later, "hourly-at-05")[:2] == [at(15, 5), at(16, 5)]
    assert scheduled(later, "daily-13") == []


@pytest.mark.parametrize("hours", [1, 12])
def test_a_backward_jump_runs_no_clock_time_job_twice_and_keeps_interval_spacing(hours):
    scheduler, log, ran = scheduler_with_jobs()
    before = travel(scheduler, START + dt.timedelta(minutes=75))  # up to 13:15
    scheduler.clock.set(START + dt.timedelta(minutes=78))

    scheduler.clock.jump(dt.timedelta(hours=-hours))
    after = scheduler.tick()
    after += travel(scheduler, START + dt.timedelta(hours=14 - hours, minutes=78))

    assert log.find(f"jumped back by {dt.timedelta(hours=hours)}", logging.WARNING)
    for job_id in ("daily-13", "cron-15"):
        instants = Counter(scheduled(before + after, job_id))
        assert [when for when, count in instants.items() if count > 1] == [], job_id
    # interval jobs keep firing at their spacing in real time, through the step
    times = ran["every-10-minutes"]
    spacing = {b - a for a, b in zip(times, times[1:], strict=False)}
    assert spacing == {600.0}
    assert len(ran["every-10-minutes"]) == (14 * 60 + 78) // 10
    hourly = ran["hourly-at-05"]
    assert {b - a for a, b in zip(hourly, hourly[1:], strict=False)} == {3600.0}
    assert {r.scheduled_at.minute for r in after if r.job_id == "hourly-at-05"} == {5}
    # no run ID is used twice, although the interval job's instants repeat after the step
    run_ids = Counter(r.run_id for r in before + after)
    assert [run_id for run_id, count in run_ids.items() if count > 1] == []
    first_after = next(r for r in after if r.job_id == "every-10-minutes")
    # The new grid's epoch is derived from where the step found the job (its next run then,
    # 13:20), so every process that sees the same step names these runs the same.
    stamp = f"{first_after.scheduled_at:%Y-%m-%dT%H:%M:%S}Z"
    assert first_after.run_id == f"every-10-minutes@{stamp}~20260601T132000Z"


def test_after_a_backward_jump_clock_time_jobs_wait_for_their_next_time():
    scheduler, _, _ = scheduler_with_jobs()
    travel(scheduler, START + dt.timedelta(minutes=75))
    scheduler.clock.jump(dt.timedelta(hours=-1))  # 13:15 -> 12:15

    records = travel(scheduler, START + dt.timedelta(hours=2))  # wall 14:00

    assert scheduled(records, "daily-13") == []
    assert scheduled(records, "cron-15") == [
        dt.datetime(2026, 6, 1, 13, 30, tzinfo=UTC),
        dt.datetime(2026, 6, 1, 13, 45, tzinfo=UTC),
        dt.datetime(2026, 6, 1, 14, 0, tzinfo=UTC),
    ]


def test_small_differences_are_not_reported_as_jumps():
    scheduler, log, _ = scheduler_with_jobs()
    scheduler.tick()
    scheduler.clock.jump(0.5)
    scheduler.tick()
    assert log.find("jumped") == []


@pytest.mark.parametrize(
    ("zone", "instant", "expected"),
    [
        # 01:40Z on 2026-10-25 is 02:40 CET, the second pass of Madrid's repeated hour
        (
            "Europe/Madrid",
            dt.datetime(2026, 10, 25, 1, 40, tzinfo=UTC),
            dt.datetime(2026, 10, 25, 2, 5, tzinfo=UTC),
        ),
        ("Australia/Lord_Howe", dt.datetime(2026, 4, 4, 15, 10, tzinfo=UTC), None),
        (
            "UTC",
            dt.datetime(2026, 6, 1, 12, 40, tzinfo=UTC),
            dt.datetime(2026, 6, 1, 13, 5, tzinfo=UTC),
        ),
    ],
)
def test_realign_never_moves_a_run_earlier(zone, instant, expected):
    from zoneinfo import ZoneInfo

    from equipment.Scheduler.Trigger import AlignedTrigger

    tz = dt.UTC if zone == "UTC" else ZoneInfo(zone)
    trigger = AlignedTrigger(1, "hours", tz, at=dt.time(0, 5))
    realigned = trigger.realign(instant)

    assert instant <= realigned < instant + dt.timedelta(hours=1)
    assert realigned.astimezone(tz).minute == 5
    if expected is not None:
        assert realigned == expected


def register_on(scheduler: Scheduler) -> Scheduler:
    """The jobs of `scheduler_with_jobs`, doing nothing."""
    schedule = scheduler.schedule
    schedule.every(10).minutes.name("every-10-minutes").do(lambda: None)
    schedule.every().hour.at(":05").name("hourly-at-05").do(lambda: None)
    schedule.every().day.at("13:00").name("daily-13").do(lambda: None)
    schedule.cron("*/15 * * * *").name("cron-15").do(lambda: None)
    return scheduler


def restarted_behind(hours: float) -> tuple[Scheduler, MemoryLogger]:
    """A scheduler that ran for an hour on a clock ahead by `hours`, and the next, started
    on its state 10 minutes later by a clock that is right (NTP set it back while the
    scheduler was down, or a replica on a host whose clock is right took over)."""
    state = MemoryStateStore()
    ahead = dt.timedelta(hours=hours)
    first = Scheduler(clock=FakeClock(START + ahead), settings={"timezone": "UTC"}, state=state)
    run_until(register_on(first), START + ahead + dt.timedelta(hours=1))
    log = MemoryLogger()
    back = FakeClock(START + dt.timedelta(hours=1, minutes=10))
    second = Scheduler(log=log, clock=back, settings={"timezone": "UTC"}, state=state)
    return register_on(second), log


@pytest.mark.parametrize("hours", [12, 24 * 400])
def test_a_restart_on_a_clock_behind_the_state_keeps_interval_spacing(hours):
    """As after a backward step in a running process: interval jobs are moved back with
    the clock (by whole periods, with an epoch suffix on their run IDs), clock-time jobs
    keep their next time; each job that was ahead says so. Before, an every-10-minutes
    job went silent for as long as the clock had been ahead (a year, here)."""
    scheduler, log = restarted_behind(hours)
    records = run_until(scheduler, dt.timedelta(hours=1))

    tens = scheduled(records, "every-10-minutes")
    # one interval after the start (13:10), not once the clock is past the state's
    assert tens == [START + dt.timedelta(hours=1, minutes=20 + 10 * n) for n in range(5)]
    # Moved back by the whole hours the state is ahead (10:55 of them), not 11: its last
    # run may have been just before the start, so the next is one to two hours away.
    hourly = scheduler.schedule.get_job("hourly-at-05")
    assert scheduled(records, "hourly-at-05") == []
    assert hourly.next_run_at == START + dt.timedelta(hours=3, minutes=5)
    moved = [r.run_id for r in records if r.job_id == "every-10-minutes"]
    assert all("~" in run_id for run_id in moved)  # apart from the IDs already used
    assert hourly.epoch  # its own grid, apart from the IDs already used
    assert not scheduled(records, "daily-13") and not scheduled(records, "cron-15")
    lines = log.find("ahead of this clock", logging.WARNING)
    assert sorted(line.extra["job_id"] for line in lines) == [
        "cron-15",
        "daily-13",
        "every-10-minutes",
        "hourly-at-05",
    ]


def taken_over_at(offset: dt.timedelta) -> tuple[list, MemoryLogger]:
    """A scheduler ran its jobs until 12:10:01; the next starts on its state with its
    clock at 12:00 + `offset` and runs for 11 minutes: its records and its log."""
    state = MemoryStateStore()
    first = Scheduler(clock=FakeClock(START), settings={"timezone": "UTC"}, state=state)
    run_until(register_on(first), START + dt.timedelta(minutes=10, seconds=1))
    log = MemoryLogger()
    clock = FakeClock(START + offset)
    second = Scheduler(log=log, clock=clock, settings={"timezone": "UTC"}, state=state)
    return run_until(register_on(second), dt.timedelta(minutes=11)), log


def test_a_state_a_second_ahead_of_the_clock_is_no_clock_set_back():
    """A leader claims the coming second's occurrences ahead, and replicas' clocks differ
    a little: the grid goes on as it is."""
    records, log = taken_over_at(dt.timedelta(minutes=9, seconds=59))

    assert [r.run_id for r in records if r.job_id == "every-10-minutes"] == [
        "every-10-minutes@2026-06-01T12:20:00Z"
    ]
    assert not log.find("ahead of this clock")


def test_a_state_less_than_an_interval_ahead_does_not_run_its_last_occurrence_again():
    """A replica whose clock is 5 s behind the leader's takes over (or a restart after NTP
    set the clock back 5 s): the every-10-minutes job's last occurrence, which the leader
    ran, is 5 s ahead of this clock. Moving the grid back a whole interval ran that same
    instant again, 5 s after the leader had (under a new epoch, so no run ID caught it)."""
    records, log = taken_over_at(dt.timedelta(minutes=9, seconds=55))

    assert [r.run_id for r in records if r.job_id == "every-10-minutes"] == [
        "every-10-minutes@2026-06-01T12:20:00Z"
    ]
    line = log.find("ahead of this clock", logging.WARNING)
    assert [entry.extra["job_id"] for entry in line] == ["every-10-minutes"]
    assert "keeps its next run" in line[0].message
