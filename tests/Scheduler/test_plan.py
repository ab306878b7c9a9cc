"""plan(): the runs a scheduler would make, without running anything."""

from __future__ import annotations

import datetime as dt
import itertools
from zoneinfo import ZoneInfo

import pytest

from equipment.Log.MemoryLogger import MemoryLogger
from equipment.Scheduler.Clock import FakeClock
from equipment.Scheduler.Errors import ScheduleValueError
from equipment.Scheduler.Plan import (
    COUNT_CAP,
    count_runs,
    expect_daily,
    iter_plan,
    local_days,
    plan,
    runs_of,
    window,
)
from equipment.Scheduler.Scheduler import Scheduler
from tests.Scheduler.test_dst import travel

UTC = dt.UTC
MADRID = ZoneInfo("Europe/Madrid")
FIVE_EAST = dt.timezone(dt.timedelta(hours=5))  # 0001-01-01 00:00 here is before UTC's first
START = dt.datetime(2026, 3, 27, 12, tzinfo=UTC)


def report() -> None:
    pass


class Reports(Scheduler):
    def run(self) -> None:
        self.schedule.every().day.at("03:00").name("report").do(report)
        self.schedule.every().day.at("02:30").name("gap-report").do(report)
        self.schedule.every(4).hours.name("sync").do(report)
        self.schedule.cron("*/30 1-3 * * *", "America/New_York").name("ny").do(report)
        super().run()


def reports(start: dt.datetime = START) -> Reports:
    return Reports(
        log=MemoryLogger(), clock=FakeClock(start), settings={"timezone": "Europe/Madrid"}
    )


def test_plan_collects_the_jobs_and_lists_their_runs_in_order():
    scheduler = reports()

    runs = plan(scheduler, hours=48)

    assert {run.job_id for run in runs} == {"report", "gap-report", "sync", "ny"}
    assert [run.scheduled_at for run in runs] == sorted(run.scheduled_at for run in runs)
    assert all(START <= run.scheduled_at < START + dt.timedelta(hours=48) for run in runs)
    assert scheduler.clock.now() == START  # nothing ran, no time passed


def test_plan_shows_dst_as_it_will_happen():
    runs = plan(reports(), START, START + dt.timedelta(days=3))

    gap = [run.local_text() for run in runs_of(runs, "gap-report")]
    assert gap == [
        "2026-03-28 02:30:00 CET",
        "2026-03-29 03:00:00 CEST",
        "2026-03-30 02:30:00 CEST",
    ]
    first = runs_of(runs, "report")[0]
    assert (first.zone, first.utc_text()) == ("Europe/Madrid", "2026-03-28T02:00:00Z")
    assert first.run_id == "report@2026-03-28T02:00:00Z"
    assert first.description == "every day at 03:00:00 (Europe/Madrid)"


def test_plan_is_what_the_scheduler_then_does():
    planned = plan(reports(), START, START + dt.timedelta(days=4))

    scheduler = reports()
    scheduler.collect()
    done = travel(scheduler, START + dt.timedelta(days=4) - dt.timedelta(microseconds=1))

    assert [(r.job_id, r.scheduled_at) for r in planned] == [
        (r.job_id, r.scheduled_at) for r in done
    ]


def test_plan_leaves_the_real_jobs_untouched_and_draws_what_the_loop_draws():
    scheduler = Scheduler(log=MemoryLogger(), clock=FakeClock(START))
    scheduler.schedule.every(5).to(10).minutes.do(report)
    job = scheduler.schedule.jobs[0]
    next_run, trigger = job.next_run_at, job.trigger

    runs = plan(scheduler, hours=6)

    assert job.next_run_at == next_run
    assert job.trigger == trigger
    spacings = {b.scheduled_at - a.scheduled_at for a, b in zip(runs, runs[1:], strict=False)}
    assert spacings <= {dt.timedelta(minutes=m) for m in range(5, 11)}
    assert len(spacings) > 1  # real draws, not one fixed spacing
    done = travel(scheduler, START + dt.timedelta(hours=6) - dt.timedelta(microseconds=1))
    assert [r.scheduled_at for r in done] == [r.scheduled_at for r in runs]


def test_my_report_runs_at_three_madrid_time_every_day_next_march():
    runs = plan(
        reports(dt.datetime(2027, 1, 15, tzinfo=UTC)),
        dt.datetime(2027, 3, 1),  # naive: the scheduler's zone
        dt.datetime(2027, 4, 1),
    )

    assert expect_daily(runs, "report", dt.time(3), dt.date(2027, 3, 1), dt.date(2027, 3, 31)) == []
    assert expect_daily(
        runs, "gap-report", dt.time(2, 30), dt.date(2027, 3, 1), dt.date(2027, 3, 31)
    ) == ["2027-03-28: 03:00:00 (expected 02:30:00)"]
    assert len(local_days(runs, "report")) == 31


def test_expect_daily_reports_missing_and_extra_runs():
    runs = plan(reports(), START, START + dt.timedelta(days=2))
    problems = expect_daily(runs, "sync", dt.time(3), dt.date(2026, 3, 28), dt.date(2026, 3, 28))
    assert problems == [
        "2026-03-28: 01:00:00, 05:00:00, 09:00:00, 13:00:00, 17:00:00, 21:00:00 (expected 03:00:00)"
    ]
    assert expect_daily(runs, "nope", dt.time(3), dt.date(2026, 3, 28), dt.date(2026, 3, 28)) == [
        "2026-03-28: no run (expected 03:00:00)"
    ]


def test_a_start_in_the_future_continues_the_job_grid():
    scheduler = Scheduler(log=MemoryLogger(), clock=FakeClock(START))
    scheduler.schedule.every(7).minutes.do(report)
    start = START + dt.timedelta(days=100, seconds=5)

    runs = plan(scheduler, start, start + dt.timedelta(hours=1))

    offsets = {(run.scheduled_at - START) % dt.timedelta(minutes=7) for run in runs}
    assert offsets == {dt.timedelta()}
    assert runs[0].scheduled_at >= start


def test_until_ends_the_plan():
    scheduler = Scheduler(log=MemoryLogger(), clock=FakeClock(START))
    scheduler.schedule.every().hour.until(START + dt.timedelta(hours=3)).do(report)

    runs = plan(scheduler, hours=24)

    assert [run.scheduled_at - START for run in runs] == [dt.timedelta(hours=h) for h in (1, 2, 3)]


def test_plan_takes_a_list_of_jobs():
    scheduler = reports()
    jobs = scheduler.collect()
    assert plan(jobs, hours=30) == plan(scheduler, hours=30)


def test_a_window_ending_before_it_starts_is_refused():
    with pytest.raises(ScheduleValueError, match="before it starts"):
        plan(reports(), START, START - dt.timedelta(hours=1))


def test_a_window_with_too_many_runs_is_refused():
    scheduler = Scheduler(log=MemoryLogger(), clock=FakeClock(START))
    scheduler.schedule.every().second.do(report)
    with pytest.raises(ScheduleValueError, match="more than 1000 runs"):
        plan(scheduler, hours=1, limit=1000)


def every_second() -> Scheduler:
    scheduler = Scheduler(log=MemoryLogger(), clock=FakeClock(START))
    scheduler.schedule.every().second.name("tick").do(report)
    return scheduler


def test_iter_plan_is_plan_lazily():
    scheduler = reports()
    end = START + dt.timedelta(days=5)

    assert list(iter_plan(scheduler, START, end)) == plan(scheduler, START, end)


def test_iter_plan_walks_an_enormous_window_in_bounded_memory():
    runs = iter_plan(every_second(), hours=366 * 24)  # 31.6 million runs: none built yet

    first = list(itertools.islice(runs, 3))
    assert [run.scheduled_at - START for run in first] == [
        dt.timedelta(seconds=s) for s in (1, 2, 3)
    ]


def test_iter_plan_checks_the_window_at_once():
    with pytest.raises(ScheduleValueError, match="before it starts"):
        iter_plan(reports(), START, START - dt.timedelta(hours=1))


@pytest.mark.parametrize("days", [1, 3, 40])
def test_count_runs_agrees_with_plan_for_every_kind_of_job(days):
    scheduler = reports()
    scheduler.schedule.every().hour.at(":15").name("aligned").do(report)
    scheduler.schedule.every(5).to(10).minutes.name("random").do(report)
    scheduler.schedule.every(7).minutes.until(START + dt.timedelta(hours=30)).name("ends").do(
        report
    )
    end = START + dt.timedelta(days=days)
    runs = plan(scheduler, START, end)

    for job in scheduler.schedule.jobs:
        count = count_runs(job, START, end)
        mine = runs_of(runs, job.id)
        assert (count.runs, count.first, count.last) == (len(mine), mine[0], mine[-1]), job.id
        assert count.complete
        assert count.drawn == (job.id == "random")


def test_count_runs_of_a_fixed_interval_takes_no_time_for_a_year():
    job = every_second().schedule.jobs[0]
    end = START + dt.timedelta(days=366)

    count = count_runs(job, START, end)

    # Counted, not stepped: stepping stops at COUNT_CAP runs, far below a year of seconds.
    assert count.complete and count.runs > COUNT_CAP
    assert count.runs == 366 * 24 * 3600 - 1  # START + 1 s ... end - 1 s
    assert count.first.scheduled_at == START + dt.timedelta(seconds=1)
    assert count.last.scheduled_at == end - dt.timedelta(seconds=1)  # [start, end)


def test_count_runs_stops_at_its_cap_for_stepped_triggers():
    scheduler = Scheduler(log=MemoryLogger(), clock=FakeClock(START))
    job = scheduler.schedule.cron("* * * * *").name("minutely").do(report)

    count = count_runs(job, START, START + dt.timedelta(days=1), cap=100)

    assert (count.runs, count.complete, count.last) == (100, False, None)
    assert count.first.scheduled_at == START + dt.timedelta(minutes=1)


def test_count_runs_of_a_job_outside_the_window_is_zero():
    scheduler = Scheduler(log=MemoryLogger(), clock=FakeClock(START))
    job = scheduler.schedule.every().hour.until(START + dt.timedelta(hours=2)).do(report)
    later = START + dt.timedelta(days=1)

    count = count_runs(job, later, later + dt.timedelta(hours=1))

    assert (count.runs, count.first, count.last, count.complete) == (0, None, None, True)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"hours": float("nan")}, "hours must be a finite number above 0"),
        ({"hours": float("inf")}, "hours must be a finite number above 0"),
        ({"hours": 0}, "hours must be a finite number above 0"),
        ({"hours": "24"}, "hours must be a number"),
        ({"hours": 1e12}, "past the year 9999"),
        ({"start": dt.datetime(9999, 12, 31, 23, 30)}, "past the year 9999"),
        ({"start": dt.datetime(1, 1, 1, tzinfo=FIVE_EAST)}, "outside the range of times"),
        ({"start": "2026-03-29"}, "start must be a datetime"),
    ],
)
def test_a_window_out_of_range_is_refused_in_one_line(kwargs, message):
    with pytest.raises(ScheduleValueError, match=message):
        window(reports(), **kwargs)
