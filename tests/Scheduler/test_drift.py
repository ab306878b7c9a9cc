import datetime as dt
import logging

from equipment.Scheduler.Testing import run_until
from tests.Scheduler.conftest import START


def test_a_one_second_job_taking_300ms_runs_3600_times_in_an_hour(scheduler, clock):
    scheduler.schedule.every(1).seconds.name("tick").do(lambda: clock.advance(0.3))

    # An hour of runs, 12:00:01 to 13:00:00: run_until's window is half-open, as plan's is.
    records = run_until(scheduler, dt.timedelta(hours=1, seconds=1))

    assert len(records) == 3600
    assert [r.scheduled_at for r in records[:3]] == [
        START + dt.timedelta(seconds=k) for k in (1, 2, 3)
    ]
    assert records[-1].scheduled_at == START + dt.timedelta(hours=1)
    assert max(r.lateness for r in records) == 0.0  # every run starts on its grid point


def test_an_overrun_is_followed_by_one_run_at_the_next_grid_point_and_a_warning(
    scheduler, clock, log
):
    scheduler.schedule.every(1).seconds.name("slow").do(lambda: clock.advance(1.5))

    records = run_until(scheduler, dt.timedelta(seconds=10))

    runs = [r for r in records if r.outcome != "skipped"]
    starts = [(r.started_at - START).total_seconds() for r in runs]
    assert starts == [1, 3, 5, 7, 9]  # 1 → ends 2.5 → next grid point 3, no burst
    skipped = [(r.scheduled_at - START).total_seconds() for r in records if r not in runs]
    assert skipped == [2, 4, 6, 8, 10]  # each recorded (catch-up policy): history shows it
    warning = log.find("longer than its interval", level=logging.WARNING)[0]
    assert warning.message.startswith("Job slow took 1.500 s, longer than its interval of 1.000 s")


def test_a_manual_run_longer_than_the_interval_is_no_overrun(scheduler, clock, log):
    """`equipment schedule run` is off the grid: no occurrence waits for it."""
    job = scheduler.schedule.every(1).seconds.name("slow").do(lambda: clock.advance(1.5))

    record = scheduler.schedule.dispatcher.run_now(job)

    assert record.succeeded and record.duration == 1.5
    assert not log.find("longer than its interval")


def test_a_job_pinned_to_clock_times_starts_on_the_second(scheduler, clock):
    clock.set(START + dt.timedelta(seconds=17.4))
    scheduler.schedule.every().minute.at(":00").name("pinned").do(lambda: clock.advance(0.2))

    records = run_until(scheduler, dt.timedelta(minutes=5))

    assert [r.started_at.second for r in records] == [0] * 5
    assert [r.started_at.microsecond for r in records] == [0] * 5


def test_an_interval_grid_starts_on_a_whole_second_within_one_interval(scheduler, clock):
    clock.set(START + dt.timedelta(seconds=0.4))
    job = scheduler.schedule.every(10).seconds.name("poll").do(lambda: None)

    assert job.next_run_at == START + dt.timedelta(seconds=10)
    records = run_until(scheduler, dt.timedelta(seconds=25))
    assert [r.run_id for r in records] == ["poll@2026-01-05T12:00:10Z", "poll@2026-01-05T12:00:20Z"]


def test_occurrences_a_busy_loop_skips_are_counted_and_the_newest_recorded(
    scheduler, clock, log
):
    scheduler.schedule.every(10).seconds.name("slow").do(lambda: clock.advance(5))
    scheduler.schedule.every(1).seconds.name("tick").do(lambda: None)

    records = run_until(scheduler, dt.timedelta(seconds=11))

    ticks = [(r.scheduled_at - START).total_seconds() for r in records if r.job_id == "tick"]
    skipped = [r for r in records if r.job_id == "tick" and r.outcome == "skipped"]
    assert ticks == [*range(1, 10), 12, 13, 14, 15]  # 10 to 14 skipped (newest 3 kept), 15 ran
    assert [r.reason for r in skipped] == ["catch-up policy"] * 3
    [line] = log.find("before the loop could run them")
    assert line.message.startswith("Job tick: 5 occurrence(s) from 2026-")


def test_a_cron_job_late_by_a_week_is_not_walked_through_the_week(scheduler, clock, log):
    """Counting a cron grid's skipped occurrences means stepping through each: the line
    names the stretch instead, and the rows are the newest three."""
    job = scheduler.schedule.cron("* * * * *").name("minutely").do(lambda: None)
    scheduler.tick()
    stepped = []
    next_after = job.trigger.next_after
    object.__setattr__(job.trigger, "next_after", lambda at: stepped.append(at) or next_after(at))
    clock.advance(dt.timedelta(days=7))

    handled = scheduler.tick()

    assert [r.outcome for r in handled] == ["skipped"] * 3 + ["success"]
    [line] = log.find("before the loop could run them")
    assert line.message.startswith("Job minutely: the occurrences from ")
    assert len(stepped) < 100  # not the week's 10,080 minutes
