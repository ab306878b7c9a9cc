"""History lines: missed occurrences are derived only where heartbeats give evidence."""

from __future__ import annotations

import datetime as dt

import pytest

from equipment.Scheduler.Clock import FakeClock
from equipment.Scheduler.History import timeline
from equipment.Scheduler.Scheduler import Scheduler
from equipment.Scheduler.State.StateStore import ProcessInfo

START = dt.datetime(2026, 1, 5, 12, 0, tzinfo=dt.UTC)


def why(scheduler: Scheduler, job, at: dt.datetime, now: dt.datetime, coordination="none") -> str:
    """`schedule why` of `job`'s occurrence at `at`, asked at `now` (max_sleep 30 s)."""
    from equipment.Scheduler import Why

    rule = job.catch_up_rule or scheduler.schedule.catch_up
    question = Why.Question(job, at, None, dt.UTC, now, 30, rule, coordination)
    return Why.explain(question, scheduler.state)


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


def test_a_short_downtime_after_a_stop_is_missed_not_hidden_by_the_slack() -> None:
    """A process that crashed may have run until its next beat was due; one that stopped
    (its last beat a goodbye) ran nothing after it, however soon another one started."""
    from equipment.Scheduler.History import covering, grace

    scheduler = Scheduler(clock=FakeClock(START), settings={"timezone": "UTC"})
    job = scheduler.schedule.every(5).seconds.name("often").do(lambda: None)
    state = scheduler.state
    first = ProcessInfo("h", 1, START, START, next_beat_by=START + dt.timedelta(seconds=20))
    state.heartbeat(first)
    first.heartbeat_at = first.next_beat_by = START + dt.timedelta(seconds=3)  # its goodbye
    state.heartbeat(first)
    restarted = START + dt.timedelta(seconds=14)
    state.heartbeat(ProcessInfo("h", 2, restarted, restarted))
    now = START + dt.timedelta(minutes=2)

    lines = timeline(job, state, now, max_sleep=30)

    missed = sorted(
        line.entry.scheduled_at for line in lines
        if line.entry.outcome == "missed" and line.entry.scheduled_at < restarted
    )
    assert missed == [START + dt.timedelta(seconds=5), START + dt.timedelta(seconds=10)]
    assert covering(state.spans(), START + dt.timedelta(seconds=10), grace(30)) == []
    crashed = ProcessInfo("h", 3, START, START)  # no goodbye: the slack still covers it
    state.heartbeat(crashed)
    alive = covering(state.spans(), START + dt.timedelta(seconds=10), grace(30))
    assert [span.process_id for span in alive] == [crashed.process_id]


def test_why_reads_a_stored_missed_row_as_missed_and_says_why() -> None:
    from equipment.Scheduler.History import NO_LEADER
    from equipment.Scheduler.RunRecord import RunRecord

    scheduler = hourly(START)
    job = scheduler.schedule.get_job("hourly")
    at = START + dt.timedelta(hours=2)
    row = RunRecord.of_occurrence(job.id, at)
    row.outcome, row.reason = "missed", NO_LEADER
    scheduler.state.record([row])
    answer = why(scheduler, job, at, START + dt.timedelta(hours=5), "redis")

    assert "It was missed: no replica led." in answer


def test_missed_rows_are_the_newest_few_that_do_not_run_now_on_any_grid() -> None:
    from collections import deque

    from equipment.Scheduler.History import missed_rows
    from equipment.Scheduler.Occurrences import Missed

    scheduler = Scheduler(clock=FakeClock(START), settings={"timezone": "UTC"})
    cron = scheduler.schedule.cron("*/7 * * * *").name("cron").do(lambda: None)
    first = dt.datetime(2026, 1, 5, 12, 0, tzinfo=dt.UTC)
    moments = [first]
    while len(moments) < 40:
        moments.append(cron.trigger.next_after(moments[-1]))
    cron.missed = Missed(40, moments[0], moments[-1], True, caught_up=10)
    cron.backlog = deque(moments[-10:])  # catch-up runs the latest ten

    rows = missed_rows(cron, lambda _: "no replica led")

    assert [row.scheduled_at for row in rows] == moments[-13:-10]
    assert {(row.outcome, row.reason) for row in rows} == {("missed", "no replica led")}
    short = Missed(2, moments[0], moments[1], True, caught_up=0)
    cron.missed, cron.backlog = short, deque()
    assert [row.scheduled_at for row in missed_rows(cron, lambda _: "x")] == moments[:2]


def test_a_downtime_closed_by_a_restart_is_missed_at_once_not_after_the_slack() -> None:
    """Asked 20 s after a restart: the stretch between the stop and the restart is over, so
    its occurrences are missed now; only a stretch still open waits for the slack."""
    scheduler = Scheduler(clock=FakeClock(START), settings={"timezone": "UTC"})
    job = scheduler.schedule.every(5).seconds.name("often").do(lambda: None)
    state = scheduler.state
    first = ProcessInfo("h", 1, START, START, next_beat_by=START + dt.timedelta(seconds=20))
    state.heartbeat(first)
    first.heartbeat_at = first.next_beat_by = START + dt.timedelta(seconds=12)  # stopped
    state.heartbeat(first)
    restarted = START + dt.timedelta(seconds=32)
    state.heartbeat(ProcessInfo("h", 2, restarted, restarted))

    lines = timeline(job, state, restarted + dt.timedelta(seconds=20), max_sleep=30)

    missed = sorted(line.entry.scheduled_at.second for line in lines)
    assert missed == [15, 20, 25, 30]


def test_why_after_a_last_heartbeat_without_goodbye_says_the_scheduler_may_have_died() -> None:

    scheduler = Scheduler(clock=FakeClock(START), settings={"timezone": "UTC"})
    job = scheduler.schedule.every(5).seconds.name("often").do(lambda: None)
    killed = ProcessInfo("h", 1, START, START)  # beats, then kill -9: no goodbye
    scheduler.state.heartbeat(killed)
    at = START + dt.timedelta(seconds=10)
    answer = why(scheduler, job, at, START + dt.timedelta(minutes=5))

    assert "had beaten at 2026-01-05 12:00:00 UTC" in answer
    assert "it died before its next heartbeat (a kill -9, a crash)" in answer


def test_why_on_a_coming_occurrence_of_a_paused_job_says_it_will_be_skipped() -> None:

    scheduler = hourly(START)
    job = scheduler.schedule.get_job("hourly")
    scheduler.state.set_paused("hourly", True, START)
    answer = why(scheduler, job, START + dt.timedelta(hours=3), START)

    assert "It is not due yet" in answer
    assert "the job is paused, so it will be skipped unless resumed before then" in answer


def test_why_after_an_until_deadline_says_the_job_had_left_the_schedule() -> None:

    scheduler = Scheduler(clock=FakeClock(START), settings={"timezone": "UTC"})
    job = scheduler.schedule.every(10).minutes.until(START + dt.timedelta(hours=1))
    job = job.name("window").do(lambda: None)
    scheduler.state.heartbeat(ProcessInfo("h", 1, START, START + dt.timedelta(hours=3)))
    at = START + dt.timedelta(hours=2)
    answer = why(scheduler, job, at, START + dt.timedelta(hours=3))

    assert "It was after the job's until() deadline (2026-01-05 13:00:00 UTC" in answer
    assert "the job had left the schedule" in answer


@pytest.mark.parametrize(
    ("asked", "due"),
    [("12:00:00", "12:00:03"), ("12:00:50", "12:00:53"), ("11:59:54", "11:59:53")],
)
def test_why_explains_the_nearest_occurrence_within_the_minute(asked, due) -> None:
    scheduler = Scheduler(clock=FakeClock(START - dt.timedelta(minutes=5, seconds=-3)))
    scheduler.schedule.zone = "UTC"
    job = scheduler.schedule.every(10).seconds.name("tick").do(lambda: None)
    at = dt.datetime.fromisoformat(f"2026-01-05T{asked}+00:00")

    answer = why(scheduler, job, at, START + dt.timedelta(hours=1))

    assert f"tick (every 10 seconds) was due at 2026-01-05 {due} UTC" in answer


def test_why_on_a_coming_occurrence_says_it_is_due() -> None:
    scheduler = hourly(START)
    job = scheduler.schedule.get_job("hourly")

    answer = why(scheduler, job, START + dt.timedelta(hours=3), START)

    assert "is due at 2026-01-05 15:00:00 UTC" in answer and "It is not due yet" in answer


def test_an_occurrence_two_schedulers_each_ran_is_two_lines_and_why_says_so() -> None:
    from equipment.Scheduler.RunRecord import SUCCESS, RunRecord

    scheduler = hourly(START)
    job = scheduler.schedule.get_job("hourly")
    at = START + dt.timedelta(hours=1)
    for replica in ("a:1:20260105T120000", "b:2:20260105T120000"):
        row = RunRecord.of_occurrence(job.id, at, replica=replica)
        row.outcome, row.started_at, row.finished_at = SUCCESS, at, at
        scheduler.state.record([row])
    now = START + dt.timedelta(hours=1, minutes=5)
    scheduler.state.heartbeat(ProcessInfo("a", 1, START, now))

    lines = timeline(job, scheduler.state, now, 30)

    assert sorted(line.entry.replica for line in lines) == [
        "a:1:20260105T120000",
        "b:2:20260105T120000",
    ]
    answer = why(scheduler, job, at, now)
    assert "It ran 2 times, once per scheduler that ran it." in answer
    assert "on a:1:20260105T120000" in answer and "on b:2:20260105T120000" in answer
    assert "set coordination: redis" in answer


def five_seconds() -> tuple[Scheduler, object]:
    scheduler = Scheduler(clock=FakeClock(START), settings={"timezone": "UTC"})
    job = scheduler.schedule.every(5).seconds.name("often").do(lambda: None)
    return scheduler, job


def missed_from(lines) -> dt.datetime:
    return min(line.entry.scheduled_at for line in lines if line.entry.outcome == "missed")


def test_a_killed_schedulers_misses_start_at_its_last_beat_once_another_has_started() -> None:
    scheduler, job = five_seconds()
    killed = ProcessInfo("h", 1, START, START + dt.timedelta(seconds=12))  # no goodbye
    scheduler.state.heartbeat(killed)
    restarted = START + dt.timedelta(seconds=60)
    now = restarted + dt.timedelta(minutes=2)
    scheduler.state.heartbeat(ProcessInfo("h", 2, restarted, now, next_beat_by=now))

    lines = timeline(job, scheduler.state, now, max_sleep=30)

    assert missed_from(lines) == START + dt.timedelta(seconds=15)


def test_a_downtime_after_a_stop_is_missed_at_once_not_after_the_slack() -> None:
    scheduler, job = five_seconds()
    goodbye = START + dt.timedelta(seconds=12)
    scheduler.state.heartbeat(ProcessInfo("h", 1, START, goodbye, next_beat_by=goodbye))
    now = START + dt.timedelta(seconds=31)

    lines = timeline(job, scheduler.state, now, max_sleep=30)

    assert missed_from(lines) == START + dt.timedelta(seconds=15)


def test_a_live_scheduler_covers_up_to_now_whatever_its_last_beat() -> None:
    """An idle loop beats before it sleeps until its next job; when that job is due, its
    row comes with the pass: until then the occurrence is in flight, not missed."""
    scheduler = hourly(START)
    job = scheduler.schedule.get_job("hourly")
    promise = START + dt.timedelta(hours=1, seconds=10)
    scheduler.state.heartbeat(ProcessInfo("h", 1, START, START, next_beat_by=promise))

    lines = timeline(job, scheduler.state, START + dt.timedelta(hours=1, seconds=5), 30)

    assert [line for line in lines if line.entry.outcome == "missed"] == []


def test_why_an_occurrence_due_while_a_scheduler_stopped_says_it_was_stopping() -> None:
    scheduler, job = five_seconds()
    goodbye = START + dt.timedelta(minutes=2)  # stopping from up to 31 s before
    scheduler.state.heartbeat(ProcessInfo("h", 1, START, START))
    scheduler.state.heartbeat(ProcessInfo("h", 1, START, goodbye, next_beat_by=goodbye))
    now = START + dt.timedelta(minutes=5)

    during = why(scheduler, job, goodbye - dt.timedelta(seconds=10), now)
    before = why(scheduler, job, START + dt.timedelta(seconds=30), now)

    assert "It fell due while a scheduler (h:1:20260105T120000) was stopping" in during
    assert "finished at 2026-01-05 12:02:00 UTC" in during and "shutdown_grace, 30s" in during
    assert "stopping" not in before and "A scheduler was running" in before


def test_why_an_occurrence_a_live_idle_scheduler_is_running_is_not_missed() -> None:
    """Asked just after it fell due: the idle loop that promised its next beat for then is
    alive, and its pass has not written the row yet. History shows nothing missed; neither
    does why."""
    scheduler = hourly(START)
    job = scheduler.schedule.get_job("hourly")
    promise = START + dt.timedelta(hours=1, seconds=10)
    scheduler.state.heartbeat(ProcessInfo("h", 1, START, START))
    scheduler.state.heartbeat(ProcessInfo("h", 1, START, START, next_beat_by=promise))
    now = START + dt.timedelta(hours=1, seconds=5)

    answer = why(scheduler, job, START + dt.timedelta(hours=1), now)

    assert "no scheduler was running" not in answer
    assert "A scheduler was running (h:1:20260105T120000)" in answer
    assert "its pass had not written its records yet" in answer


def test_a_job_that_left_at_its_until_window_is_not_missed_after_and_why_says_so() -> None:
    """An until(timedelta) window is the scheduler's own (each start opens one): where the
    job left is a row, which any process (`history`, `why`) reads."""
    from equipment.Scheduler.Testing import run_until

    scheduler = Scheduler(clock=FakeClock(START), settings={"timezone": "UTC"})
    job = scheduler.schedule.every(2).seconds.until(dt.timedelta(seconds=8))
    job = job.name("window").do(lambda: None)
    runs = run_until(scheduler, dt.timedelta(seconds=20))
    stop = START + dt.timedelta(seconds=20)
    scheduler.state.heartbeat(ProcessInfo("h", 1, START, stop, next_beat_by=stop))
    now = START + dt.timedelta(minutes=1)

    lines = timeline(job, scheduler.state, now, max_sleep=30)
    after = why(scheduler, job, START + dt.timedelta(seconds=30), now)

    assert [(run.scheduled_at.second, run.outcome) for run in runs] == [
        (2, "success"), (4, "success"), (6, "success"), (8, "success"), (10, "skipped")
    ]
    assert [line.entry.outcome for line in lines] == ["skipped"] + ["success"] * 4
    assert after.startswith("window (every 2 seconds") and (
        "It came after the job's until() deadline: the job left the schedule at its "
        "occurrence of 2026-01-05 12:00:10 UTC (2026-01-05T12:00:10Z), the first past the "
        "deadline, and no run of it is recorded since." in after
    )


def test_why_on_a_coming_occurrence_of_a_job_registered_again_after_its_window_says_due():
    """An earlier process's deadline says nothing of a later start's window: a coming
    occurrence past it is not called past the deadline."""
    from equipment.Scheduler.State.MemoryStateStore import MemoryStateStore
    from equipment.Scheduler.Testing import run_until

    state = MemoryStateStore()

    def start(at: dt.datetime) -> Scheduler:
        scheduler = Scheduler(clock=FakeClock(at), settings={"timezone": "UTC"}, state=state)
        job = scheduler.schedule.every(2).seconds.until(dt.timedelta(seconds=8))
        job.name("window").do(lambda: None)
        return scheduler

    run_until(start(START), dt.timedelta(seconds=20))  # it left the schedule at 12:00:10
    again = start(START + dt.timedelta(minutes=5))
    job = again.schedule.get_job("window")
    coming = START + dt.timedelta(minutes=5, seconds=2)

    answer = why(again, job, coming, START + dt.timedelta(minutes=5, seconds=1))

    assert "It is not due yet" in answer and "It came after" not in answer
    assert "only a scheduler started since, whose until() window holds it, runs it" in answer


def window_job(state, now: dt.datetime) -> Scheduler:
    """A scheduler at `now` on `state` with `window`: every 10 minutes, for 30 minutes from
    its registration (`until(timedelta)`: each start opens a window of its own)."""
    scheduler = Scheduler(clock=FakeClock(now), settings={"timezone": "UTC"}, state=state)
    job = scheduler.schedule.every(10).minutes.until(dt.timedelta(minutes=30))
    job.name("window").do(lambda: None)
    return scheduler


def stopped_inside_its_window():
    """A scheduler whose window is 12:00 to 12:30 ran 12:10 and stopped at 12:15: its state,
    and an operator's shell at 15:00 (whose registration opens a window of its own)."""
    from equipment.Scheduler.State.MemoryStateStore import MemoryStateStore
    from equipment.Scheduler.Testing import run_until

    state = MemoryStateStore()
    run_until(window_job(state, START), dt.timedelta(minutes=15))
    stop = START + dt.timedelta(minutes=15)
    state.heartbeat(ProcessInfo("h", 1, START, START))
    state.heartbeat(ProcessInfo("h", 1, START, stop, next_beat_by=stop))  # its goodbye
    shell = window_job(state, START + dt.timedelta(hours=3))
    shell.collect()
    return shell, shell.schedule.get_job("window")


def test_a_window_a_scheduler_stopped_inside_is_missed_up_to_its_end_not_up_to_now() -> None:
    """The window's end is stored when the scheduler stores its jobs: a later reader stops
    deriving missed occurrences where the job would have left the schedule."""
    shell, job = stopped_inside_its_window()

    lines = timeline(job, shell.state, START + dt.timedelta(hours=3), max_sleep=30)

    assert [(line.entry.scheduled_at.minute, line.entry.outcome, line.entry.reason)
            for line in lines] == [
        (40, "skipped", "until() deadline"),
        (30, "missed", "no scheduler was running"),
        (20, "missed", "no scheduler was running"),
        (10, "success", None),
    ]


def test_why_past_a_window_a_scheduler_stopped_inside_says_the_job_had_left() -> None:
    shell, job = stopped_inside_its_window()
    now = START + dt.timedelta(hours=3)

    inside = why(shell, job, START + dt.timedelta(minutes=30), now)
    after = why(shell, job, START + dt.timedelta(hours=1), now)

    assert "It was missed: no scheduler was running." in inside
    assert (
        "It came after the job's until() deadline: the job left the schedule at its "
        "occurrence of 2026-01-05 12:40:00 UTC (2026-01-05T12:40:00Z), the first past the "
        "deadline, and no run of it is recorded since." in after
    )


def test_occurrences_due_while_a_job_held_a_stopping_scheduler_are_missed_lines() -> None:
    """A scheduler stopped while a long inline job ran: the occurrences that fell due after
    its last row and before its goodbye never ran, so history lists them, whatever rows a
    later start wrote after them."""
    from equipment.Scheduler.RunRecord import RunRecord

    scheduler, job = five_seconds()
    stopped = ProcessInfo("h", 1, START, START)
    scheduler.state.heartbeat(stopped)
    rows = [RunRecord.skipped("often", START + dt.timedelta(seconds=s), "", "success", "",
                              stopped.process_id) for s in (5, 10)]
    scheduler.state.record(rows)
    stopped.heartbeat_at = stopped.next_beat_by = START + dt.timedelta(seconds=27)
    scheduler.state.heartbeat(stopped)
    restarted = START + dt.timedelta(seconds=40)
    now = restarted + dt.timedelta(seconds=3)
    scheduler.state.heartbeat(ProcessInfo("h", 2, restarted, restarted))

    lines = timeline(job, scheduler.state, now, max_sleep=30)

    missed = {line.entry.scheduled_at: line.entry.reason for line in lines
              if line.entry.outcome == "missed"}
    stopping = "the scheduler was stopping (no new run starts during a stop)"
    assert [missed.get(START + dt.timedelta(seconds=s)) for s in (15, 20, 25)] == [stopping] * 3
    assert missed.get(START + dt.timedelta(seconds=30)) == "no scheduler was running"


def test_a_goodbye_that_says_when_its_stop_began_tells_a_held_loop_from_the_stop() -> None:
    """The same, with the goodbye telling when the stop began (12:00:22): what fell due
    before then waited for the long run, what fell due after, for the stop; why agrees."""
    from equipment.Scheduler.History import LOOP_HELD
    from equipment.Scheduler.RunRecord import RunRecord

    scheduler, job = five_seconds()
    stopped = ProcessInfo("h", 1, START, START)
    scheduler.state.heartbeat(stopped)
    scheduler.state.record([RunRecord.skipped(
        "often", START + dt.timedelta(seconds=5), "", "success", "", stopped.process_id
    )])
    stopped.heartbeat_at = stopped.next_beat_by = START + dt.timedelta(seconds=27)
    stopped.stopping_since = START + dt.timedelta(seconds=22)
    scheduler.state.heartbeat(stopped)
    now = START + dt.timedelta(seconds=28)

    lines = timeline(job, scheduler.state, now, max_sleep=30)

    missed = {line.entry.scheduled_at.second: line.entry.reason for line in lines
              if line.entry.outcome == "missed"}
    stopping = "the scheduler was stopping (no new run starts during a stop)"
    assert missed == {10: LOOP_HELD, 15: LOOP_HELD, 20: LOOP_HELD, 25: stopping}
    assert "was stopping" in why(scheduler, job, START + dt.timedelta(seconds=25), now)
    assert "was stopping" not in why(scheduler, job, START + dt.timedelta(seconds=20), now)


def test_why_states_the_clock_change_of_the_jobs_own_zone_where_the_scheduler_is_on_utc():
    """The scheduler's zone has no DST (UTC); the job's (Madrid) moved 02:30 to 03:00."""
    start = dt.datetime(2026, 3, 28, 12, 0, tzinfo=dt.UTC)
    scheduler = Scheduler(clock=FakeClock(start), settings={"timezone": "UTC"})
    scheduler.schedule.every().day.at("02:30", "Europe/Madrid").name("nightly").do(print)
    job = scheduler.schedule.get_job("nightly")
    due = dt.datetime(2026, 3, 29, 1, 0, tzinfo=dt.UTC)  # 03:00 CEST

    text = why(scheduler, job, due, due + dt.timedelta(hours=1))

    assert "was due at 2026-03-29 03:00:00 CEST (2026-03-29T01:00:00Z)" in text
    assert "Clocks in Europe/Madrid went forward 1:00:00 at 2026-03-29 03:00:00 CEST" in text
