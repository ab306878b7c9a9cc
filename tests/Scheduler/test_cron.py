"""Cron jobs: next runs agree with cronsim (zones and DST days included); bad ones refused."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from cronsim import CronSim

from equipment.Log.MemoryLogger import MemoryLogger
from equipment.Scheduler.Clock import FakeClock
from equipment.Scheduler.CronTrigger import CronTrigger
from equipment.Scheduler.Errors import ScheduleValueError
from equipment.Scheduler.Scheduler import Scheduler
from tests.Scheduler.test_dst import travel

UTC = dt.UTC
MADRID = ZoneInfo("Europe/Madrid")

EXPRESSIONS = [
    "*/15 9-17 * * mon-fri",
    "30 2 * * *",
    "30 1 * * *",
    "0 */6 * * *",
    "*/10 * * * *",
    "0 0 1 * *",
    "15 3 * * sun",
    "0 9 1-7 * mon",
    "5 4 L * *",
    "0 12 * * 5L",
    "0 0 29 2 *",
    "59 23 31 12 *",
]
ZONES = ["UTC", "Europe/Madrid", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata"]
STARTS = [
    dt.datetime(2026, 3, 27, 12, 7, 30, tzinfo=UTC),  # before Madrid's spring change
    dt.datetime(2026, 3, 7, 22, 0, tzinfo=UTC),  # before New York's spring change
    dt.datetime(2026, 10, 24, 23, 59, 59, tzinfo=UTC),  # Madrid's fall change day
    dt.datetime(2026, 10, 31, 23, 0, tzinfo=UTC),  # before New York's fall change
    dt.datetime(2026, 4, 4, 12, 0, tzinfo=UTC),  # Lord Howe's half-hour change
]


def zone_of(name: str) -> dt.tzinfo:
    return UTC if name == "UTC" else ZoneInfo(name)


def cronsim_runs(expression: str, zone: dt.tzinfo, start: dt.datetime, count: int) -> list:
    iterator = CronSim(expression, start.astimezone(zone))
    return [next(iterator).astimezone(UTC) for _ in range(count)]


@pytest.mark.parametrize("start", STARTS, ids=lambda s: s.strftime("%m-%d"))
@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize("expression", EXPRESSIONS)
def test_next_runs_agree_with_cronsim(expression, zone, start):
    trigger = CronTrigger(expression, zone_of(zone))
    count = 60 if expression.startswith("*") else 8

    runs = [trigger.first(start)]
    while len(runs) < count:
        runs.append(trigger.next_after(runs[-1]))

    assert runs == cronsim_runs(expression, zone_of(zone), start, count)


@pytest.mark.parametrize("zone", ["Europe/Madrid", "America/New_York"])
@pytest.mark.parametrize("expression", ["30 2 * * *", "*/20 * * * *", "30 1 * * *"])
def test_a_cron_job_in_the_scheduler_runs_exactly_cronsim_times(expression, zone):
    start = dt.datetime(2026, 10, 23, 12, tzinfo=UTC)
    scheduler = Scheduler(log=MemoryLogger(), clock=FakeClock(start))
    scheduler.schedule.cron(expression, zone).do(lambda: None)

    records = travel(scheduler, dt.datetime(2026, 11, 3, 12, tzinfo=UTC))

    expected = cronsim_runs(expression, ZoneInfo(zone), start, len(records) + 1)
    assert [r.scheduled_at for r in records] == expected[:-1]
    assert expected[-1] > dt.datetime(2026, 11, 3, 12, tzinfo=UTC)


def test_a_daily_cron_in_the_spring_gap_runs_once_after_it():
    trigger = CronTrigger("30 2 * * *", MADRID)
    first = trigger.first(dt.datetime(2026, 3, 28, 12, tzinfo=UTC))
    second = trigger.next_after(first)

    assert first.astimezone(MADRID).strftime("%d %H:%M %Z") == "29 03:00 CEST"
    assert second.astimezone(MADRID).strftime("%d %H:%M %Z") == "30 02:30 CEST"


def test_a_daily_cron_in_the_fall_overlap_runs_once_at_the_first_occurrence():
    trigger = CronTrigger("30 2 * * *", MADRID)
    first = trigger.first(dt.datetime(2026, 10, 24, 12, tzinfo=UTC))

    assert first == dt.datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # 02:30 CEST
    assert trigger.next_after(first) == dt.datetime(2026, 10, 26, 1, 30, tzinfo=UTC)
    # even when asked from inside the second pass of the repeated hour
    assert trigger.first_at_or_after(first, dt.datetime(2026, 10, 25, 1, 10, tzinfo=UTC)) == (
        dt.datetime(2026, 10, 26, 1, 30, tzinfo=UTC)
    )


def test_far_behind_the_first_match_at_or_after_a_moment_costs_one_step():
    trigger = CronTrigger("*/15 * * * *", MADRID)
    previous = dt.datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    now = dt.datetime(2026, 3, 5, 10, 7, 12, tzinfo=UTC)

    assert trigger.first_at_or_after(previous, now) == dt.datetime(2026, 3, 5, 10, 15, tzinfo=UTC)
    on_grid = dt.datetime(2026, 3, 5, 10, 15, tzinfo=UTC)
    assert trigger.first_at_or_after(previous, on_grid) == on_grid


@pytest.mark.parametrize(
    "alias, fields",
    [
        ("@hourly", "0 * * * *"),
        ("@daily", "0 0 * * *"),
        ("@midnight", "0 0 * * *"),
        ("@weekly", "0 0 * * 0"),
        ("@monthly", "0 0 1 * *"),
        ("@yearly", "0 0 1 1 *"),
        ("@annually", "0 0 1 1 *"),
    ],
)
def test_aliases_mean_their_five_fields(alias, fields):
    start = dt.datetime(2026, 3, 27, 12, tzinfo=UTC)
    trigger = CronTrigger(alias, MADRID)
    runs = [trigger.first(start)]
    for _ in range(3):
        runs.append(trigger.next_after(runs[-1]))
    assert runs == cronsim_runs(fields, MADRID, start, 4)


@pytest.mark.parametrize(
    "expression, reason",
    [
        ("61 * * * *", "Bad minute"),
        ("* 24 * * *", "Bad hour"),
        ("0 0 32 * *", "Bad day-of-month"),
        ("0 0 * 13 *", "Bad month"),
        ("0 0 * * funday", "Bad day-of-week"),
        ("0 0 31 2 *", "Bad day-of-month"),
        ("*/0 * * * *", "Bad minute"),
        ("* * * *", "expected five fields"),
        ("0 * * * * *", "expected five fields"),
        ("@fortnightly", "unknown alias"),
        ("", "give a cron expression"),
    ],
)
def test_a_malformed_expression_is_refused_at_registration_with_the_reason(expression, reason):
    scheduler = Scheduler(log=MemoryLogger(), clock=FakeClock())
    with pytest.raises(ScheduleValueError) as caught:
        scheduler.schedule.cron(expression)
    assert reason in str(caught.value)
    assert repr(expression) in str(caught.value)
    assert scheduler.schedule.jobs == []


def test_describe_names_the_expression_and_the_zone():
    assert CronTrigger("*/15 9-17 * * mon-fri", MADRID).describe() == (
        "cron */15 9-17 * * mon-fri (Europe/Madrid)"
    )


@pytest.mark.parametrize(
    "expression, period",
    [
        ("*/15 9-17 * * mon-fri", dt.timedelta(minutes=15)),
        ("@hourly", dt.timedelta(hours=1)),
        ("30 2 * * *", dt.timedelta(days=1)),
        ("0 9 * * 1,4", dt.timedelta(days=3)),
        ("@weekly", dt.timedelta(days=7)),
        ("@monthly", dt.timedelta(days=28)),
    ],
)
def test_period_is_the_shortest_gap_between_runs(expression, period):
    assert CronTrigger(expression, MADRID).period() == period


def test_cron_jobs_have_the_extensions_of_every_jobs():
    clock = FakeClock(dt.datetime(2026, 3, 27, 12, tzinfo=UTC))
    scheduler = Scheduler(log=MemoryLogger(), clock=clock, settings={"timezone": "Europe/Madrid"})
    outcomes = []
    job = (
        scheduler.schedule.cron("@daily")
        .name("midnight-report")
        .on_success(lambda record: outcomes.append(record.run_id))
        .until(dt.datetime(2026, 3, 30, 12, tzinfo=UTC))
        .do(lambda: None)
    )

    travel(scheduler, dt.datetime(2026, 4, 5, tzinfo=UTC))

    assert job.id == "midnight-report"
    assert job.describe() == "cron @daily (Europe/Madrid)"
    assert outcomes == [
        "midnight-report@2026-03-27T23:00:00Z",
        "midnight-report@2026-03-28T23:00:00Z",
        "midnight-report@2026-03-29T22:00:00Z",
    ]
    assert scheduler.schedule.jobs == []


def test_a_cron_job_without_a_zone_uses_the_scheduler_zone():
    scheduler = Scheduler(
        log=MemoryLogger(), clock=FakeClock(), settings={"timezone": "America/New_York"}
    )
    job = scheduler.schedule.cron("0 3 * * *").do(lambda: None)
    assert job.next_run_at.astimezone(ZoneInfo("America/New_York")).hour == 3
