import datetime as dt
import logging

import schedule
from dependency_injector import providers

from equipment.Scheduler.Runner import PUSH_RETURNED_FALSE
from equipment.Scheduler.Scheduler import Scheduler
from equipment.Scheduler.Trigger import IntervalTrigger
from tests.Scheduler import jobs


def test_a_failing_job_is_logged_keeps_its_schedule_and_others_keep_running(scheduler, clock, log):
    jobs.calls.clear()
    failing = scheduler.schedule.every(1).minutes.do(jobs.explode)
    scheduler.schedule.every(1).minutes.do(jobs.cleanup)

    for _ in range(3):
        clock.advance(60)
        scheduler.tick()

    assert jobs.calls == ["cleanup"] * 3
    errors = log.find("failed", level=logging.ERROR)
    assert len(errors) == 3
    assert "RuntimeError: the report database is gone" in errors[0].message
    assert "Traceback" in errors[0].traceback and "explode" in errors[0].traceback
    assert errors[0].extra["job_id"] == failing.id
    assert errors[0].extra["run_id"] == f"{failing.id}@2026-01-05T12:01:00Z"
    assert failing in scheduler.schedule.jobs


def test_each_run_logs_a_start_and_an_end_line_with_ids(scheduler, clock, log):
    job = scheduler.schedule.every(1).minutes.name("report").do(lambda: clock.advance(0.25))
    clock.advance(60)
    scheduler.tick()

    started, finished = log.find("Job report")
    assert started.message == "Job report started"
    assert started.extra == {
        "job_id": "report",
        "run_id": "report@2026-01-05T12:01:00Z",
        "scheduled_at": "2026-01-05T12:01:00+00:00",
    }
    assert finished.message == "Job report finished in 250.0 ms"
    assert finished.extra == {
        "job_id": "report",
        "run_id": "report@2026-01-05T12:01:00Z",
        "scheduled_at": "2026-01-05T12:01:00+00:00",
        "duration_ms": 250.0,
        "outcome": "success",
    }
    assert job.last_record.succeeded


def test_cancel_job_still_cancels(scheduler, clock):
    job = scheduler.schedule.every(1).minutes.do(lambda: schedule.CancelJob)
    clock.advance(60)
    scheduler.tick()
    assert job not in scheduler.schedule.jobs


def test_hooks_receive_the_run_record_and_a_raising_hook_stops_nothing(scheduler, clock, log):
    seen = []

    def broken_hook(record) -> None:
        raise ValueError("hook bug")

    scheduler.schedule.every(1).minutes.name("ok").on_success(seen.append).on_success(
        broken_hook
    ).do(lambda: 42)
    scheduler.schedule.every(1).minutes.name("bad").on_failure(seen.append).do(jobs.explode)
    clock.advance(60)
    scheduler.tick()

    by_id = {record.job_id: record for record in seen}
    assert by_id["ok"].result == 42 and by_id["ok"].outcome == "success"
    assert by_id["bad"].outcome == "failure"
    assert isinstance(by_id["bad"].error, RuntimeError)
    assert log.find("hook broken_hook raised", level=logging.ERROR)


def test_when_and_skip_decide_at_each_occurrence(scheduler, clock, log):
    open_ = {"value": False}
    ran = []
    scheduler.schedule.every(1).minutes.name("gated").when(lambda: open_["value"]).do(
        lambda: ran.append("gated")
    )
    scheduler.schedule.every(1).minutes.name("skipper").skip(lambda: open_["value"]).do(
        lambda: ran.append("skipper")
    )
    clock.advance(60)
    scheduler.tick()
    open_["value"] = True
    clock.advance(60)
    scheduler.tick()

    assert ran == ["skipper", "gated"]
    assert log.find("Job gated skipped this occurrence", level=logging.DEBUG)
    assert log.find("Job skipper skipped this occurrence", level=logging.DEBUG)


def test_environments_register_a_job_only_where_the_app_env_matches(log, clock):
    config = providers.Configuration()
    config.from_dict({"app": {"env": "staging"}})
    scheduler = Scheduler(log=log, clock=clock, config=config)

    scheduler.schedule.every().hour.name("prod").environments("production").do(jobs.cleanup)
    scheduler.schedule.every().hour.name("both").environments("production", "staging").do(
        jobs.cleanup
    )

    assert [job.id for job in scheduler.schedule.jobs] == ["both"]
    assert log.find("Job prod not registered: it runs in production, this is staging")


def test_config_app_env_is_readable_as_the_guide_shows(log, clock):
    config = providers.Configuration()
    config.from_dict({"app": {"env": "production"}})
    scheduler = Scheduler(log=log, clock=clock, config=config)
    assert scheduler.config.app.env() == "production"


def test_a_job_whose_next_run_cannot_be_computed_is_cancelled_not_the_loop(scheduler, clock, log):
    jobs.calls.clear()
    broken = scheduler.schedule.every(1).minutes.name("broken").do(lambda: None)
    scheduler.schedule.every(1).minutes.name("fine").do(jobs.cleanup)

    class Exploding(IntervalTrigger):
        def first_at_or_after(self, previous, moment):
            raise ArithmeticError("bad calendar")

    broken.trigger = Exploding(1, "minutes", dt.UTC)
    clock.advance(60)
    scheduler.tick()

    assert jobs.calls == ["cleanup"]
    assert broken not in scheduler.schedule.jobs
    assert log.find("Job broken could not compute its next run and was cancelled", logging.ERROR)


def test_a_push_the_queue_refused_is_a_failed_run(scheduler, clock, log):
    from tests.Scheduler.test_ids import RecordingQueue

    class DownQueue(RecordingQueue):
        def push(self, fn, *args, **kwargs):
            return False

    scheduler.queue = DownQueue()
    job = scheduler.schedule.every(1).minutes.do(scheduler.queue.push, jobs.rebuild_report, 7)
    clock.advance(60)
    scheduler.tick()

    assert job.last_record.outcome == "failure"
    (line,) = log.find("failed")
    assert line.level == logging.WARNING and line.traceback is None  # the queue logs the outage
    assert line.message == f"Job {job.id} failed: {PUSH_RETURNED_FALSE}"
