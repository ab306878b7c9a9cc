"""DST, proven by time travel: one run per day in the gap and the overlap, exact intervals.

2026 transitions used here (all on Sundays):
Europe/Madrid    spring 03-29 02:00 CET -> 03:00 CEST (01:00Z); fall 10-25 03:00 CEST -> 02:00 CET
America/New_York spring 03-08 02:00 EST -> 03:00 EDT (07:00Z); fall 11-01 02:00 EDT -> 01:00 EST
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from zoneinfo import ZoneInfo

import pytest

from equipment.Log.MemoryLogger import MemoryLogger
from equipment.Scheduler.Clock import FakeClock
from equipment.Scheduler.Errors import ScheduleValueError
from equipment.Scheduler.RunRecord import RunRecord
from equipment.Scheduler.Scheduler import Scheduler
from equipment.Scheduler.Testing import run_until

UTC = dt.UTC
MADRID = ZoneInfo("Europe/Madrid")
NEW_YORK = ZoneInfo("America/New_York")
HOUR = dt.timedelta(hours=1)

MADRID_SPRING = dt.date(2026, 3, 29)
MADRID_FALL = dt.date(2026, 10, 25)
NY_SPRING = dt.date(2026, 3, 8)
NY_FALL = dt.date(2026, 11, 1)


def make(start: dt.datetime, timezone: str = "UTC") -> Scheduler:
    return Scheduler(log=MemoryLogger(), clock=FakeClock(start), settings={"timezone": timezone})


def travel(scheduler: Scheduler, until: dt.datetime) -> list[RunRecord]:
    """Tick at each due instant up to `until`; every job here takes no time."""
    clock = scheduler.clock
    records: list[RunRecord] = []
    while True:
        records += scheduler.tick()
        due = scheduler.schedule.next_run_at()
        if due is None or due > until:
            break
        clock.set(max(due, clock.now()))
    return records


def noon_before(day: dt.date, days: int = 3) -> dt.datetime:
    return dt.datetime.combine(day - dt.timedelta(days=days), dt.time(12), tzinfo=UTC)


def local_days(records: list[RunRecord], zone: ZoneInfo) -> dict[dt.date, list[str]]:
    days: dict[dt.date, list[str]] = {}
    for record in records:
        local = record.scheduled_at.astimezone(zone)
        days.setdefault(local.date(), []).append(f"{local:%H:%M %Z}")
    return days


def gaps(records: list[RunRecord]) -> set[dt.timedelta]:
    times = [r.scheduled_at for r in records]
    return {later - earlier for earlier, later in zip(times, times[1:], strict=False)}


# -- daily jobs --------------------------------------------------------------------------------

DAILY_CASES = [
    # zone, transition day, at, expected on that day, expected the days around it
    ("Europe/Madrid", MADRID_SPRING, "02:30", "03:00 CEST", ("02:30 CET", "02:30 CEST")),
    ("Europe/Madrid", MADRID_FALL, "02:30", "02:30 CEST", ("02:30 CEST", "02:30 CET")),
    ("America/New_York", NY_SPRING, "02:30", "03:00 EDT", ("02:30 EST", "02:30 EDT")),
    ("America/New_York", NY_FALL, "01:30", "01:30 EDT", ("01:30 EDT", "01:30 EST")),
]


@pytest.mark.parametrize("where", ["per-job zone", "scheduler zone"])
@pytest.mark.parametrize("zone, day, at, on_day, around", DAILY_CASES)
def test_a_daily_job_runs_once_every_day_across_a_change(where, zone, day, at, on_day, around):
    if where == "per-job zone":
        scheduler = make(noon_before(day))
        scheduler.schedule.every().day.at(at, zone).do(lambda: None)
    else:
        scheduler = make(noon_before(day), timezone=zone)
        scheduler.schedule.every().day.at(at).do(lambda: None)

    records = travel(scheduler, noon_before(day, days=-3))

    days = local_days(records, ZoneInfo(zone))
    before, after = around
    assert days == {
        day - dt.timedelta(days=2): [before],
        day - dt.timedelta(days=1): [before],
        day: [on_day],
        day + dt.timedelta(days=1): [after],
        day + dt.timedelta(days=2): [after],
        day + dt.timedelta(days=3): [after],
    }


def test_the_gap_resolves_to_the_first_instant_after_it():
    scheduler = make(noon_before(MADRID_SPRING))
    scheduler.schedule.every().day.at("02:30", "Europe/Madrid").do(lambda: None)

    records = travel(scheduler, dt.datetime(2026, 3, 29, 12, tzinfo=UTC))

    assert records[-1].scheduled_at == dt.datetime(2026, 3, 29, 1, 0, tzinfo=UTC)


def test_the_overlap_resolves_to_the_first_occurrence_and_never_the_second():
    scheduler = make(noon_before(NY_FALL))
    scheduler.schedule.every().day.at("01:30", "America/New_York").do(lambda: None)

    records = travel(scheduler, dt.datetime(2026, 11, 1, 12, tzinfo=UTC))

    on_the_day = [r.scheduled_at for r in records if r.scheduled_at.date() == NY_FALL]
    assert on_the_day == [dt.datetime(2026, 11, 1, 5, 30, tzinfo=UTC)]  # 01:30 EDT


def test_schedule_122_bug_two_runs_the_day_after_spring_forward_does_not_happen():
    scheduler = make(noon_before(MADRID_SPRING, days=1))
    scheduler.schedule.every().day.at("02:30", "Europe/Madrid").do(lambda: None)

    records = travel(scheduler, dt.datetime(2026, 3, 31, 12, tzinfo=UTC))

    stamps = [r.scheduled_at.astimezone(MADRID).strftime("%m-%d %H:%M") for r in records]
    assert stamps == ["03-29 03:00", "03-30 02:30", "03-31 02:30"]


# -- weekly jobs (the 2026 changes all fall on Sundays) ---------------------------------------


@pytest.mark.parametrize(
    "zone, day, at, on_day",
    [
        ("Europe/Madrid", MADRID_SPRING, "02:30", "03:00 CEST"),
        ("Europe/Madrid", MADRID_FALL, "02:30", "02:30 CEST"),
        ("America/New_York", NY_SPRING, "02:30", "03:00 EDT"),
        ("America/New_York", NY_FALL, "01:30", "01:30 EDT"),
    ],
)
def test_a_weekly_job_on_the_change_day_runs_once_then_keeps_its_time(zone, day, at, on_day):
    scheduler = make(noon_before(day, days=8), timezone=zone)
    scheduler.schedule.every().sunday.at(at).do(lambda: None)

    records = travel(scheduler, noon_before(day, days=-8))

    days = local_days(records, ZoneInfo(zone))
    assert sorted(days) == [day - dt.timedelta(days=7), day, day + dt.timedelta(days=7)]
    assert days[day] == [on_day]
    assert [t[:5] for t in days[day + dt.timedelta(days=7)]] == [at]


# -- hourly and interval jobs: elapsed time -----------------------------------------------------

TRANSITIONS = [
    ("Europe/Madrid", MADRID_SPRING),
    ("Europe/Madrid", MADRID_FALL),
    ("America/New_York", NY_SPRING),
    ("America/New_York", NY_FALL),
]


@pytest.mark.parametrize("zone, day", TRANSITIONS)
@pytest.mark.parametrize(
    "build, spacing",
    [
        (lambda s: s.every(10).minutes, dt.timedelta(minutes=10)),
        (lambda s: s.every().hour, HOUR),
        (lambda s: s.every(4).hours, 4 * HOUR),
        (lambda s: s.every().hour.at(":15"), HOUR),
    ],
    ids=["every-10-minutes", "every-hour", "every-4-hours", "hourly-at-15"],
)
def test_elapsed_jobs_keep_exact_spacing_across_a_change(zone, day, build, spacing):
    scheduler = make(noon_before(day, days=1), timezone=zone)
    build(scheduler.schedule).do(lambda: None)

    records = travel(scheduler, noon_before(day, days=-1))

    assert gaps(records) == {spacing}  # never silent for an extra hour, never 3h or 5h
    assert len(records) == (48 * HOUR) // spacing


@pytest.mark.parametrize(
    "zone, day, runs_that_day",
    [
        ("Europe/Madrid", MADRID_SPRING, 23),
        ("Europe/Madrid", MADRID_FALL, 25),
        ("America/New_York", NY_SPRING, 23),
        ("America/New_York", NY_FALL, 25),
    ],
)
def test_hourly_at_minute_keeps_its_minute_and_skips_no_hour(zone, day, runs_that_day):
    scheduler = make(noon_before(day), timezone=zone)
    scheduler.schedule.every().hour.at(":15").do(lambda: None)

    records = travel(scheduler, noon_before(day, days=-2))

    local = [r.scheduled_at.astimezone(ZoneInfo(zone)) for r in records]
    assert {moment.minute for moment in local} == {15}
    assert Counter(moment.date() for moment in local)[day] == runs_that_day
    assert len({r.scheduled_at for r in records}) == len(records)  # no instant twice


def test_every_hour_runs_in_both_repeated_hours_of_fall_back():
    scheduler = make(dt.datetime(2026, 10, 24, 22, 0, tzinfo=UTC), timezone="Europe/Madrid")
    scheduler.schedule.every().hour.do(lambda: None)

    records = travel(scheduler, dt.datetime(2026, 10, 25, 3, 0, tzinfo=UTC))

    local = [f"{r.scheduled_at.astimezone(MADRID):%H:%M %Z}" for r in records]
    assert local == ["01:00 CEST", "02:00 CEST", "02:00 CET", "03:00 CET", "04:00 CET"]


# -- idle_seconds -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "now, at, expected_hours",
    [
        (dt.datetime(2026, 3, 28, 23, 0, tzinfo=UTC), "04:00", 3),  # 00:00 CET -> 04:00 CEST
        (dt.datetime(2026, 10, 24, 22, 0, tzinfo=UTC), "04:00", 5),  # 00:00 CEST -> 04:00 CET
        # schedule 1.2.2 answers 4 hours in both cases: the wall-clock difference
    ],
)
def test_idle_seconds_are_real_seconds_across_a_change(now, at, expected_hours):
    scheduler = make(now, timezone="Europe/Madrid")
    scheduler.schedule.every().day.at(at).do(lambda: None)

    assert scheduler.schedule.idle_seconds == expected_hours * 3600


def test_the_loop_sleeps_real_time_across_spring_forward():
    start = dt.datetime(2026, 3, 28, 23, 0, tzinfo=UTC)  # 00:00 CET
    scheduler = Scheduler(
        log=MemoryLogger(),
        clock=FakeClock(start),
        settings={"timezone": "Europe/Madrid", "max_sleep": 3600 * 24},
    )
    ran = []

    def report() -> None:
        ran.append(scheduler.clock.now())
        scheduler.should_exit = True

    scheduler.schedule.every().day.at("04:00").do(report)
    scheduler.run()

    assert ran == [dt.datetime(2026, 3, 29, 2, 0, tzinfo=UTC)]
    assert scheduler.clock.sleeps == [3 * 3600]  # 4 wall hours, 3 real ones


# -- until() ------------------------------------------------------------------------------------


def test_until_accepts_an_aware_datetime():
    scheduler = make(dt.datetime(2026, 3, 28, 12, tzinfo=UTC), timezone="Europe/Madrid")
    deadline = dt.datetime(2026, 3, 30, 3, 0, tzinfo=MADRID)
    scheduler.schedule.every().day.at("02:30").until(deadline).do(lambda: None)

    records = travel(scheduler, dt.datetime(2026, 4, 5, tzinfo=UTC))

    assert [
        (f"{r.scheduled_at.astimezone(MADRID):%m-%d %H:%M}", r.outcome, r.reason)
        for r in records
    ] == [
        ("03-29 03:00", "success", None),
        ("03-30 02:30", "success", None),
        ("03-31 02:30", "skipped", "until() deadline"),  # where it left: history says so
    ]
    assert scheduler.schedule.jobs == []


def test_until_reads_a_naive_datetime_in_the_scheduler_zone():
    scheduler = make(dt.datetime(2026, 3, 28, 12, tzinfo=UTC), timezone="Europe/Madrid")
    job = scheduler.schedule.every().hour.until(dt.datetime(2026, 3, 29, 3, 30)).do(print)

    assert job.deadline == dt.datetime(2026, 3, 29, 1, 30, tzinfo=UTC)  # 03:30 CEST


@pytest.mark.parametrize(
    "build",
    [
        lambda every: every().day.at("03:00", "Asia/Tokyo").until("2026-03-30 03:00"),
        lambda every: every().day.until("2026-03-30 03:00").at("03:00", "Asia/Tokyo"),
        lambda every: every().day.at("03:00", "Asia/Tokyo").until(dt.datetime(2026, 3, 30, 3)),
    ],
    ids=["at-then-until", "until-then-at", "naive-datetime"],
)
def test_until_reads_the_scheduler_zone_whatever_the_job_zone_and_the_order(build):
    """A naive deadline is a wall time in the scheduler's zone (here Madrid), as the docs
    say: a job zone given by `.at(..., tz)` before `.until()` does not move it."""
    scheduler = make(dt.datetime(2026, 3, 28, 12, tzinfo=UTC), timezone="Europe/Madrid")
    job = build(scheduler.schedule.every).do(print)

    assert job.deadline == dt.datetime(2026, 3, 30, 1, 0, tzinfo=UTC)  # 03:00 CEST


def test_a_job_past_its_until_deadline_is_left_out_and_the_others_go_on():
    """A restart after a deadline (code that ran for days meets it): a warning line names
    the job, the deadline in its zone and why, and the scheduler starts as usual."""
    scheduler = make(dt.datetime(2026, 3, 28, 12, tzinfo=UTC), timezone="Europe/Madrid")
    scheduler.schedule.every().hour.until(dt.datetime(2026, 3, 28, 11, tzinfo=UTC)).name(
        "promo"
    ).do(print)
    scheduler.schedule.every().hour.name("report").do(print)

    assert [job.id for job in scheduler.schedule.jobs] == ["report"]
    [line] = scheduler.log.find("not registered")
    assert line.message == (
        "Job promo not registered: its until() deadline, 2026-03-28 12:00:00 CET "
        "(2026-03-28T11:00:00Z), has passed; it has no run left"
    )


def test_a_job_whose_until_deadline_comes_before_its_first_run_is_left_out():
    scheduler = make(dt.datetime(2026, 3, 28, 12, tzinfo=UTC), timezone="Europe/Madrid")
    scheduler.schedule.every().day.at("02:30").until("2026-03-29 01:00").name("dawn").do(print)

    assert scheduler.schedule.jobs == []
    [line] = scheduler.log.find("not registered")
    assert "its until() deadline, 2026-03-29 01:00:00 CET" in line.message
    assert line.message.endswith(
        "comes before its first run, 2026-03-29 03:00:00 CEST (2026-03-29T01:00:00Z); "
        "it has no run left"
    )


def test_a_negative_until_span_is_refused():
    scheduler = make(dt.datetime(2026, 3, 28, 12, tzinfo=UTC))
    with pytest.raises(ScheduleValueError, match="a negative span, so the job would never"):
        scheduler.schedule.every().hour.until(dt.timedelta(minutes=-1))


# -- long jobs ----------------------------------------------------------------------------------


def test_a_long_job_ending_after_midnight_does_not_skip_the_next_day():
    scheduler = make(dt.datetime(2026, 3, 27, 12, tzinfo=UTC), timezone="Europe/Madrid")
    clock = scheduler.clock

    def nightly() -> None:
        clock.advance(dt.timedelta(minutes=90))  # 23:30 -> 01:00 the next day

    scheduler.schedule.every().day.at("23:30").do(nightly)
    records = travel(scheduler, dt.datetime(2026, 3, 31, 12, tzinfo=UTC))

    assert [f"{r.scheduled_at.astimezone(MADRID):%m-%d %H:%M %Z}" for r in records] == [
        "03-27 23:30 CET",
        "03-28 23:30 CET",
        "03-29 23:30 CEST",
        "03-30 23:30 CEST",
    ]


def test_a_gap_that_crosses_midnight_skips_no_day():
    """America/Nuuk jumps from Saturday 23:00 to Sunday 00:00 (2027-03-27): Saturday's 23:30
    runs at the first instant after the gap, and Sunday's 23:30 still runs."""
    nuuk = ZoneInfo("America/Nuuk")
    clock = FakeClock(dt.datetime(2027, 3, 25, tzinfo=dt.UTC))
    scheduler = Scheduler(clock=clock, settings={"timezone": "America/Nuuk"})
    scheduler.schedule.every().day.at("23:30").name("late").do(lambda: None)

    runs = run_until(scheduler, dt.timedelta(days=6))

    local = [r.scheduled_at.astimezone(nuuk).strftime("%d %H:%M") for r in runs]
    assert local == ["24 23:30", "25 23:30", "26 23:30", "28 00:00", "28 23:30", "29 23:30"]


def test_an_hourly_mark_stays_on_the_wall_clock_where_offsets_change_by_half_an_hour():
    """Australia/Lord_Howe falls back 30 minutes (02:00 +11 -> 01:30 +10:30) on 2026-04-05."""
    lord_howe = ZoneInfo("Australia/Lord_Howe")
    clock = FakeClock(dt.datetime(2026, 4, 4, 11, 0, tzinfo=dt.UTC))  # 22:00 local
    scheduler = Scheduler(clock=clock, settings={"timezone": "Australia/Lord_Howe"})
    scheduler.schedule.every().hour.at(":05").name("hourly").do(lambda: None)

    runs = run_until(scheduler, dt.timedelta(hours=8))

    local = [r.scheduled_at.astimezone(lord_howe) for r in runs]
    assert {moment.minute for moment in local} == {5}
    assert len({r.run_id for r in runs}) == len(runs)
