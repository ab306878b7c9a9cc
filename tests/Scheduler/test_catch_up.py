"""Occurrences missed while no scheduler ran, and a late job in a running one.

A "downtime" is a scheduler that ran, stopped, and a new one started later on the same
state store: what the stopped one last handled is what the new one continues from.
"""

from __future__ import annotations

import datetime as dt
import logging
import re

import pytest

from equipment.Log.MemoryLogger import MemoryLogger
from equipment.Scheduler.Clock import FakeClock
from equipment.Scheduler.Errors import ScheduleValueError
from equipment.Scheduler.History import LAST_STOPPING
from equipment.Scheduler.Occurrences import CATCH_UP_LIMIT
from equipment.Scheduler.Scheduler import Scheduler
from equipment.Scheduler.State.MemoryStateStore import MemoryStateStore
from equipment.Scheduler.State.StateStore import ProcessInfo
from equipment.Scheduler.Testing import run_until
from tests.Scheduler import jobs

UTC = dt.UTC
START = dt.datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
HOUR = dt.timedelta(hours=1)


def start(state, when, register, settings=None, log=None) -> Scheduler:
    scheduler = Scheduler(
        log=log or MemoryLogger(),
        clock=FakeClock(when),
        settings={"timezone": "UTC", **(settings or {})},
        state=state,
    )
    register(scheduler.schedule)
    return scheduler


def downtime(register, hours: float, settings=None):
    """Run an hour, stop, start again `hours` later; the new scheduler and its log."""
    state = MemoryStateStore()
    first = start(state, START, register, settings)
    run_until(first, START + HOUR)
    log = MemoryLogger()
    back = START + HOUR + dt.timedelta(hours=hours)
    return start(state, back, register, settings, log), log


def runs_at_start(scheduler: Scheduler) -> list[str]:
    """What the restarted scheduler runs in its first pass (before any regular occurrence)."""
    scheduler.should_exit = True
    scheduler.run()
    return [record.extra["run_id"] for record in scheduler.log.find("started", logging.INFO)]


def every_ten_minutes(schedule, **catch_up) -> None:
    job = schedule.every(10).minutes
    if catch_up:
        job = job.catch_up(**catch_up)
    job.do(jobs.cleanup)


def test_without_catch_up_missed_occurrences_are_skipped_and_reported_once():
    """Back at 16:00 sharp: 16:00 is due, not missed; 13:00 to 15:50 are missed."""
    scheduler, log = downtime(every_ten_minutes, hours=3)

    assert runs_at_start(scheduler) == ["cleanup:every-10-minutes@2026-01-05T16:00:00Z"]
    job = scheduler.schedule.jobs[0]
    assert job.next_run_at == START + dt.timedelta(hours=4, minutes=10)  # strictly after now
    [line] = log.find("missed")
    assert line.message == (
        "Job cleanup:every-10-minutes missed 18 occurrence(s), from 2026-01-05 13:00:00 UTC "
        "(2026-01-05T13:00:00Z) to 2026-01-05 15:50:00 UTC (2026-01-05T15:50:00Z): skipped "
        "(.catch_up(within=...) runs them after downtime). Its last recorded occurrence is "
        "2026-01-05 12:50:00 UTC (2026-01-05T12:50:00Z)"
    )


def test_the_start_line_says_what_the_state_shows_not_that_no_scheduler_ran():
    """An occurrence that fell due while the last scheduler was stopping was not missed
    "while no scheduler ran": the line names the last recorded occurrence and the last
    heartbeat on record (a goodbye: that scheduler stopped then)."""
    state = MemoryStateStore()
    first = start(state, START, every_ten_minutes)
    run_until(first, START + HOUR)  # ran 12:10 to 12:50; 13:00 fell due during its stop
    stopped = START + HOUR + dt.timedelta(seconds=20)
    state.heartbeat(ProcessInfo("h", 1, START, START))
    state.heartbeat(ProcessInfo("h", 1, START, stopped, next_beat_by=stopped))  # goodbye
    log = MemoryLogger()
    back = start(state, START + HOUR + dt.timedelta(minutes=5), every_ten_minutes, log=log)
    back.should_exit = True
    back.run()

    [line] = log.find("missed")
    assert "while no scheduler ran" not in line.message
    assert line.message == (
        "Job cleanup:every-10-minutes missed 1 occurrence(s), from 2026-01-05 13:00:00 UTC "
        "(2026-01-05T13:00:00Z) to 2026-01-05 13:00:00 UTC (2026-01-05T13:00:00Z): skipped "
        "(.catch_up(within=...) runs them after downtime). Its last recorded occurrence is "
        "2026-01-05 12:50:00 UTC (2026-01-05T12:50:00Z); the last heartbeat on record is "
        "h:1:20260105T120000's, at 2026-01-05 13:00:20 UTC (2026-01-05T13:00:20Z), as it "
        "stopped"
    )
    [row] = [row for row in state.history("cleanup:every-10-minutes") if row.outcome == "missed"]
    assert (row.scheduled_at, row.reason) == (START + HOUR, LAST_STOPPING)


def restart_across(occurrence: dt.datetime, goodbye: bool) -> tuple[Scheduler, MemoryLogger]:
    """A scheduler that ran up to just before `occurrence` and stopped 0.4 s before it
    (with a goodbye or killed), and the next, started 0.4 s after it."""
    state = MemoryStateStore()
    run_until(start(state, START, every_ten_minutes), occurrence - dt.timedelta(seconds=0.4))
    last = occurrence - dt.timedelta(seconds=0.4)
    state.heartbeat(ProcessInfo("h", 1, START, last, next_beat_by=last if goodbye else None))
    log = MemoryLogger()
    return start(state, occurrence + dt.timedelta(seconds=0.4), every_ten_minutes, log=log), log


def test_a_restart_across_an_occurrence_after_a_clean_stop_runs_it_late():
    """A deploy: the old scheduler stopped cleanly just before 13:00, the new one started
    just after. Every run the old one began is recorded, so 13:00 ran nowhere: it runs."""
    scheduler, log = restart_across(START + HOUR, goodbye=True)

    assert runs_at_start(scheduler) == ["cleanup:every-10-minutes@2026-01-05T13:00:00Z"]
    assert log.find("missed") == []


def test_a_restart_across_an_occurrence_after_a_crash_counts_it_missed():
    """Killed just before 13:00, with no goodbye: what it began may not be recorded, so
    13:00 is missed (at most once), as after any downtime."""
    scheduler, log = restart_across(START + HOUR, goodbye=False)

    assert runs_at_start(scheduler) == []
    [line] = log.find("missed")
    assert "missed 1 occurrence(s), from 2026-01-05 13:00:00 UTC" in line.message
    [row] = scheduler.state.history("cleanup:every-10-minutes", limit=1)
    assert row.outcome == "missed"  # and not for "no scheduler was running":
    assert row.reason.startswith("the scheduler running then died without a stop")


def restart_after_a_long_stop(register, gap: float) -> Scheduler:
    """A scheduler that ran up to 12:59:50, whose stop began then and took 12 s (a job it
    was finishing held it), and the next one, started `gap` seconds after its goodbye."""
    state = MemoryStateStore()
    began = START + HOUR - dt.timedelta(seconds=10)
    run_until(start(state, START, register), began)
    bye = began + dt.timedelta(seconds=12)
    state.heartbeat(ProcessInfo("h", 1, START, START))  # its span: 12:00 to its goodbye
    state.heartbeat(ProcessInfo("h", 1, START, bye, next_beat_by=bye, stopping_since=began))
    return start(state, bye + dt.timedelta(seconds=gap), register, log=MemoryLogger())


def test_a_restart_right_after_a_long_stop_runs_what_fell_due_during_the_stop():
    """A deploy whose SIGTERM came while a job ran: the old scheduler started nothing more
    and said goodbye 12 s later, once that job ended. 13:00 fell due during its stop, 2.4
    s before the new one started: it ran nowhere, so it runs now, late."""
    scheduler = restart_after_a_long_stop(every_ten_minutes, gap=0.4)

    assert runs_at_start(scheduler) == ["cleanup:every-10-minutes@2026-01-05T13:00:00Z"]
    assert scheduler.log.find("missed") == []


def test_a_supervisors_restart_seconds_after_a_stop_runs_what_fell_due_in_between():
    """Stopped at 12:59:58, started again 7 s later (a systemd restart, a new container):
    13:00 ran nowhere, and runs, 5 s late."""
    state = MemoryStateStore()
    bye = START + HOUR - dt.timedelta(seconds=2)
    run_until(start(state, START, every_ten_minutes), bye)
    state.heartbeat(ProcessInfo("h", 1, START, bye, next_beat_by=bye, stopping_since=bye))
    back = start(state, bye + dt.timedelta(seconds=7), every_ten_minutes)

    assert runs_at_start(back) == ["cleanup:every-10-minutes@2026-01-05T13:00:00Z"]


def test_after_a_long_stop_only_the_latest_occurrence_runs_and_the_rest_are_missed():
    def every_second(schedule) -> None:
        schedule.every().second.name("tick").do(jobs.cleanup)

    scheduler = restart_after_a_long_stop(every_second, gap=0.4)

    assert runs_at_start(scheduler) == ["tick@2026-01-05T13:00:02Z"]  # the goodbye's second
    [line] = scheduler.log.find("missed")
    assert "missed 12 occurrence(s), from 2026-01-05 12:59:50 UTC" in line.message
    rows = scheduler.state.history("tick", limit=4)
    assert [(r.scheduled_at.second, r.outcome) for r in rows][:2] == [(2, "success"), (1, "missed")]
    assert rows[1].reason == LAST_STOPPING


def test_a_start_long_after_a_stop_misses_what_fell_due_during_that_stop():
    """Not a restart but a downtime (30 s after the goodbye): the catch-up rule decides."""
    scheduler = restart_after_a_long_stop(every_ten_minutes, gap=30)

    assert runs_at_start(scheduler) == []
    assert scheduler.log.find("missed 1 occurrence(s), from 2026-01-05 13:00:00 UTC")


def test_a_goodbye_says_when_the_stop_began_though_a_job_held_it_longer():
    state = MemoryStateStore()
    scheduler = start(state, START, lambda schedule: None)

    def long_job() -> None:
        scheduler.stop()  # a SIGTERM arrives as it runs; it takes 7 s more
        scheduler.clock.advance(7)

    scheduler.schedule.every(10).seconds.name("long").do(long_job)
    scheduler.run()

    [span] = state.spans()
    assert span.stopped
    assert (span.stop_began, span.last_beat) == (
        START + dt.timedelta(seconds=10), START + dt.timedelta(seconds=17)
    )


def test_the_start_line_names_a_last_heartbeat_without_a_stop_and_a_job_never_handled():
    state = MemoryStateStore()
    first = start(state, START, lambda s: s.every().hour.do(jobs.cleanup))
    first.schedule.sync_state()  # anchored at 12:00; its first run, 13:00, never came
    state.heartbeat(ProcessInfo("h", 1, START, START + dt.timedelta(minutes=30)))  # killed
    log = MemoryLogger()
    back = start(state, START + 3 * HOUR, lambda s: s.every().hour.do(jobs.cleanup), log=log)
    back.should_exit = True
    back.run()

    [line] = log.find("missed")
    assert line.message.endswith(
        "No occurrence of it is recorded since its registration at 2026-01-05 12:00:00 UTC "
        "(2026-01-05T12:00:00Z); the last heartbeat on record is h:1:20260105T120000's, at "
        "2026-01-05 12:30:00 UTC (2026-01-05T12:30:00Z), with no stop recorded"
    )


def test_what_a_start_reports_missed_is_stored_and_not_reported_again_by_the_next():
    """The start-up line and history agree, and a second start soon after (before the job
    ran again) does not count the same occurrences missed a second time."""
    scheduler, log = downtime(every_ten_minutes, hours=3)
    scheduler.should_exit = True
    scheduler.run()
    state = scheduler.state

    rows = [row for row in state.history("cleanup:every-10-minutes") if row.outcome == "missed"]
    assert [row.scheduled_at for row in rows] == [
        START + dt.timedelta(hours=3, minutes=50), START + dt.timedelta(hours=3, minutes=40),
        START + dt.timedelta(hours=3, minutes=30),
    ]
    assert {row.reason for row in rows} == {"no scheduler was running"}
    from equipment.Scheduler.History import timeline

    job = scheduler.schedule.jobs[0]
    lines = timeline(job, state, START + dt.timedelta(hours=4, minutes=2), max_sleep=30)
    missed = sum(line.count for line in lines if line.entry.outcome == "missed")
    assert missed == 18  # as the line said: the stored rows are not counted again
    again = MemoryLogger()
    second = start(state, START + dt.timedelta(hours=4, minutes=5), every_ten_minutes, log=again)
    second.should_exit = True
    second.run()
    assert again.find("missed") == []


def test_catch_up_runs_the_latest_missed_occurrence_once_at_start():
    scheduler, log = downtime(
        lambda s: every_ten_minutes(s, within=dt.timedelta(hours=6)), hours=3.05
    )

    ran = runs_at_start(scheduler)

    assert ran == ["cleanup:every-10-minutes@2026-01-05T16:00:00Z"]
    assert scheduler.schedule.jobs[0].next_run_at == START + dt.timedelta(hours=4, minutes=10)
    assert "): the latest runs now (catch-up). " in log.find("missed 19 occurrence(s)")[0].message


def test_back_on_an_occurrence_the_latest_missed_one_is_caught_up_then_the_due_one_runs():
    """Back at 16:00 sharp: 15:50 is the latest missed (caught up), 16:00 is due."""
    scheduler, log = downtime(lambda s: every_ten_minutes(s, within=dt.timedelta(hours=6)), hours=3)

    ran = [record.run_id for _ in range(2) for record in scheduler.tick()]

    assert ran == [
        "cleanup:every-10-minutes@2026-01-05T15:50:00Z",
        "cleanup:every-10-minutes@2026-01-05T16:00:00Z",
    ]
    assert scheduler.schedule.jobs[0].next_run_at == START + dt.timedelta(hours=4, minutes=10)


def test_catch_up_outside_its_window_skips():
    back_at_five_past = 3 + 5 / 60  # the last missed occurrence (16:00) is 5 minutes old
    scheduler, _ = downtime(
        lambda s: every_ten_minutes(s, within=dt.timedelta(minutes=4)), hours=back_at_five_past
    )

    assert runs_at_start(scheduler) == []


def test_catch_up_all_runs_each_missed_occurrence_in_the_window_oldest_first():
    scheduler, _ = downtime(
        lambda s: every_ten_minutes(s, within=dt.timedelta(minutes=35), all=True), hours=3
    )

    ran = []
    for _ in range(5):
        ran += [record.run_id for record in scheduler.tick()]

    assert ran == [
        "cleanup:every-10-minutes@2026-01-05T15:30:00Z",
        "cleanup:every-10-minutes@2026-01-05T15:40:00Z",
        "cleanup:every-10-minutes@2026-01-05T15:50:00Z",
        "cleanup:every-10-minutes@2026-01-05T16:00:00Z",
    ]


def test_catch_up_all_is_bounded():
    scheduler, log = downtime(
        lambda s: (
            s.every(1).minutes.catch_up(within=dt.timedelta(days=1), all=True).do(jobs.cleanup)
        ),
        hours=20,
    )
    job = scheduler.schedule.jobs[0]

    assert len(job.backlog) == CATCH_UP_LIMIT + 1  # and, last, the one due now
    assert list(job.backlog)[-2:] == [
        START + dt.timedelta(hours=21, minutes=-1), START + dt.timedelta(hours=21)
    ]
    scheduler.should_exit = True
    scheduler.run()
    assert log.find(f"the latest {CATCH_UP_LIMIT} run now, oldest first")


def test_the_scheduler_wide_default_applies_to_jobs_without_their_own_rule():
    settings = {"catch_up_within": "21600"}
    scheduler, _ = downtime(every_ten_minutes, hours=3.05, settings=settings)

    assert runs_at_start(scheduler) == ["cleanup:every-10-minutes@2026-01-05T16:00:00Z"]


def test_a_stalled_loop_runs_the_latest_due_occurrence_once_then_continues_after_now(
    scheduler, clock
):
    scheduler.schedule.every(5).seconds.do(jobs.cleanup)
    scheduler.tick()
    clock.advance(3 * 3600)  # the loop was blocked for three hours

    ran = scheduler.tick()
    clock.advance(1)
    ran += scheduler.tick()

    runs = [record for record in ran if record.outcome != "skipped"]
    skipped = [record for record in ran if record.outcome == "skipped"]
    assert [record.scheduled_at for record in runs] == [START + dt.timedelta(hours=3)]
    assert scheduler.schedule.jobs[0].next_run_at == START + dt.timedelta(hours=3, seconds=5)
    # The newest three of those it skipped are recorded (history shows them; a line counts
    # all 2,159).
    assert [record.scheduled_at.second for record in skipped] == [45, 50, 55]
    assert {record.reason for record in skipped} == {"catch-up policy"}


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"within": dt.timedelta(hours=-1)}, "catch_up(within=...) needs a timedelta"),
        ({"within": 3600}, "catch_up(within=...) needs a timedelta"),
        ({"within": dt.timedelta(hours=1), "all": "yes"}, "catch_up(all=...) must be True"),
    ],
)
def test_bad_catch_up_values_name_the_job(scheduler, arguments, message):
    with pytest.raises(ScheduleValueError, match=re.escape(f"job nightly: {message}")):
        scheduler.schedule.every().day.name("nightly").catch_up(**arguments)


def five_hour_window(schedule) -> None:
    schedule.every(10).minutes.catch_up(within=HOUR).until(HOUR * 5).do(jobs.cleanup)


def test_a_restart_inside_the_earlier_timedelta_window_is_a_downtime_like_any_other():
    """`until(timedelta(hours=5))` counts from registration; the first scheduler's window,
    stored, was still open (until 17:00) when the next started at 16:03: what fell due since
    it stopped was due in it, missed, and caught up by the job's rule."""
    scheduler, log = downtime(five_hour_window, hours=3.05)

    assert runs_at_start(scheduler) == ["cleanup:every-10-minutes@2026-01-05T16:00:00Z"]
    [line] = log.find("missed")
    assert "missed 19 occurrence(s), from 2026-01-05 13:00:00 UTC" in line.message


def test_a_timedelta_window_with_no_earlier_one_stored_misses_nothing_before_it():
    """The job had no until() when it last ran (or the state is an older version's): no
    window end is stored, so what fell due before this one opened is not this window's,
    neither reported missed nor run."""
    state = MemoryStateStore()
    run_until(start(state, START, every_ten_minutes), START + HOUR)
    log = MemoryLogger()
    scheduler = start(state, START + HOUR * 4.05, five_hour_window, log=log)

    assert runs_at_start(scheduler) == []
    assert not log.find("missed")
    job = scheduler.schedule.jobs[0]
    assert job.next_run_at == START + dt.timedelta(hours=4, minutes=10)  # on its grid


def test_a_start_reports_what_an_earlier_window_missed_up_to_its_stored_end_only():
    """The first scheduler's window (12:00 to 12:30) was stored with its jobs: the next
    start, hours later, reports the occurrences that window missed (none can run: it has
    closed) and stores where the job left it, so nothing after it counts as missed."""
    from equipment.Scheduler.History import timeline

    def window(schedule) -> None:
        schedule.every(10).minutes.catch_up(within=HOUR * 6).until(HOUR / 2).do(jobs.cleanup)

    state = MemoryStateStore()
    run_until(start(state, START, window), START + dt.timedelta(minutes=15))  # ran 12:10
    log = MemoryLogger()
    back = start(state, START + 3 * HOUR + dt.timedelta(minutes=3), window, log=log)

    assert runs_at_start(back) == []
    [line] = log.find("missed")
    assert line.message.startswith(
        "Job cleanup:every-10-minutes missed 2 occurrence(s), from 2026-01-05 12:20:00 UTC "
        "(2026-01-05T12:20:00Z) to 2026-01-05 12:30:00 UTC (2026-01-05T12:30:00Z): skipped "
        "(the until() window they fell in closed at 2026-01-05 12:30:00 UTC "
        "(2026-01-05T12:30:00Z)). Its last recorded occurrence is 2026-01-05 12:10:00 UTC"
    )
    job = back.schedule.jobs[0]
    assert job.next_run_at == START + dt.timedelta(hours=3, minutes=10)  # its own window's
    lines = timeline(job, state, START + 3 * HOUR + dt.timedelta(minutes=5), max_sleep=30)
    assert [(line.entry.scheduled_at.minute, line.entry.outcome) for line in lines] == [
        (40, "skipped"), (30, "missed"), (20, "missed"), (10, "success")
    ]


def test_a_time_of_day_until_is_the_same_deadline_all_day_so_misses_are_reported():
    def today(schedule) -> None:
        schedule.every(10).minutes.catch_up(within=HOUR).until("23:00").do(jobs.cleanup)

    scheduler, log = downtime(today, hours=3.05)

    assert runs_at_start(scheduler) == ["cleanup:every-10-minutes@2026-01-05T16:00:00Z"]
    [line] = log.find("missed")
    assert "missed 19 occurrence(s), from 2026-01-05 13:00:00 UTC" in line.message


def test_an_until_date_keeps_what_was_missed_before_it():
    def dated(schedule) -> None:
        schedule.every(10).minutes.until("2026-01-05 23:00").do(jobs.cleanup)

    scheduler, log = downtime(dated, hours=3)
    scheduler.should_exit = True
    scheduler.run()

    [line] = log.find("missed")
    assert "missed 18 occurrence(s), from 2026-01-05 13:00:00 UTC" in line.message


def test_a_backward_clock_step_moves_the_catch_up_still_to_run_with_the_grid():
    scheduler, log = downtime(
        lambda s: every_ten_minutes(s, within=dt.timedelta(minutes=35), all=True), hours=3
    )
    scheduler.tick()  # 15:30 runs; 15:40, 15:50 and 16:00 are still to catch up
    scheduler.clock.jump(dt.timedelta(minutes=-30))  # 16:00 -> 15:30

    ran = [record for record in scheduler.tick() if record.outcome == "success"]

    assert [record.scheduled_at.strftime("%H:%M") for record in ran] == ["15:10"]
    assert not log.find("before the loop could run them")  # no phantom occurrences


class RecordsFail(MemoryStateStore):
    """Heartbeats are written; run records are refused while `failing`."""

    failing = False

    def record(self, records):
        if self.failing:
            raise OSError("disk I/O error")
        return super().record(records)


def test_a_stop_whose_last_records_were_not_stored_is_no_clean_stop_and_runs_nothing_twice():
    """The 13:00 run's record was refused as the scheduler stopped: its goodbye would
    promise that every run it began is recorded, and a start 0.6 s later ran 13:00 again."""
    state = RecordsFail()
    run_until(start(state, START, every_ten_minutes), START + HOUR)  # 12:10 to 12:50 recorded
    state.failing = True
    stopping = start(state, START + HOUR, every_ten_minutes)
    assert runs_at_start(stopping) == ["cleanup:every-10-minutes@2026-01-05T13:00:00Z"]
    state.failing = False
    [span] = [s for s in state.spans() if s.first_beat == START + HOUR]
    assert not span.stopped  # no goodbye: its span ends as a crash's does

    back = start(state, START + HOUR + dt.timedelta(seconds=0.6), every_ten_minutes)

    assert runs_at_start(back) == []


def test_what_a_job_skipped_while_it_overran_is_not_caught_up_by_the_next_start():
    """A run that outlasts its interval skips the occurrences due meanwhile (no burst); a
    start after it must not take them for a downtime and run them all."""
    state, clocks = MemoryStateStore(), []

    def register(schedule, work=lambda: clocks[0].advance(55 * 60)) -> None:
        rule = {"within": dt.timedelta(hours=2), "all": True}
        schedule.every(10).minutes.catch_up(**rule).name("long").do(work)

    first = start(state, START, register)
    clocks.append(first.clock)
    first.clock.advance(10 * 60)
    ran = first.tick()  # the 12:10 run ends at 13:05
    again = start(state, START + dt.timedelta(hours=1, minutes=6), register)

    skipped = [r.scheduled_at.strftime("%H:%M") for r in ran if r.outcome == "skipped"]
    assert skipped == ["12:40", "12:50", "13:00"]
    assert {r.reason for r in ran if r.outcome == "skipped"} == {"catch-up policy"}
    assert list(again.schedule.get_job("long").backlog) == []
    assert state.load()["long"].last_outcome == "success"  # the run, not a skip after it


def test_what_a_job_skipped_while_it_overran_before_a_stop_is_recorded_not_what_followed():
    """The stop came in the middle of the long run: what it skipped before the stop is
    recorded (a later start must not run it all in a burst); what fell due from the stop
    on is left for the next start (a handover runs the latest of it)."""
    state, made = MemoryStateStore(), []

    def work() -> None:
        first = made[0]
        first.clock.advance(30 * 60)
        first.stop()  # at 12:40, while it runs until 13:05
        first.clock.advance(25 * 60)

    def register(schedule) -> None:
        rule = {"within": dt.timedelta(hours=2), "all": True}
        schedule.every(10).minutes.catch_up(**rule).name("long").do(work)

    made.append(start(state, START, register))
    made[0].clock.advance(10 * 60)
    ran = made[0].tick()  # the 12:10 run

    skipped = [r.scheduled_at.strftime("%H:%M") for r in ran if r.outcome == "skipped"]
    assert skipped == ["12:20", "12:30"]


@pytest.mark.parametrize("catch_up", [{}, {"within": dt.timedelta(minutes=1), "all": True}])
def test_a_random_range_job_starts_after_a_month_of_downtime(catch_up):
    """A `.to()` job's draws chain from one occurrence to the next: a month of an
    every-1-to-2-seconds job is two million draws. Before, the start stepped through a
    million of them (8 s of CPU), then died with OverflowError, at every start."""

    def jitter(schedule) -> None:
        job = schedule.every(1).to(2).seconds
        (job.catch_up(**catch_up) if catch_up else job).name("jitter").do(jobs.cleanup)

    scheduler, _ = downtime(jitter, hours=24 * 30)
    back = scheduler.clock.now()
    missed = scheduler.schedule.jobs[0].missed
    records = run_until(scheduler, dt.timedelta(seconds=3))

    ran = [r for r in records if r.outcome == "success"]
    on_time = [r for r in ran if r.scheduled_at >= back]
    assert on_time and on_time[0].scheduled_at <= back + dt.timedelta(seconds=2)
    caught_up = [r for r in ran if r.scheduled_at < back]
    assert (len(caught_up) >= 30) == bool(catch_up)
    assert all(back - r.scheduled_at <= dt.timedelta(minutes=1) for r in caught_up)
    assert missed is not None and missed.count >= 100_000 and not missed.complete
