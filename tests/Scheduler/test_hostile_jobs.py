"""Jobs that try to end the scheduler, and arguments that must never reach a log line."""

from __future__ import annotations

import asyncio
import logging
import sys

import pytest

from equipment.Errors import EquipmentError
from equipment.Log.LoggerFactory import LoggerFactory
from equipment.Log.MemoryLogger import MemoryLogger
from equipment.Scheduler.Errors import IntervalError, SchedulerError
from tests.Scheduler import jobs

SECRET = "Env-S3cret!"


class Leave(BaseException):
    """What a library might raise to unwind (as gevent's GreenletExit does)."""


def hello(greeting: str) -> None:
    jobs.calls.append("hello")


@pytest.mark.parametrize(
    "leave",
    [
        lambda: sys.exit(0),
        lambda: sys.exit(5),
        lambda: exit(),
        KeyboardInterrupt,
        GeneratorExit,
        asyncio.CancelledError,
        Leave,
    ],
    ids=[
        "sys.exit(0)",
        "SystemExit(5)",
        "exit()",
        "KeyboardInterrupt",
        "GeneratorExit",
        "CancelledError",
        "a BaseException of its own",
    ],
)
def test_a_job_that_exits_fails_alone_and_the_loop_goes_on(scheduler, clock, log, leave):
    def job() -> None:
        if isinstance(leave, type):
            raise leave()
        leave()

    jobs.calls.clear()
    scheduler.schedule.every(1).minutes.name("leaver").do(job)
    scheduler.schedule.every(1).minutes.do(jobs.cleanup)

    for _ in range(2):
        clock.advance(60)
        records = scheduler.tick()

    assert jobs.calls == ["cleanup", "cleanup"]
    assert [r.outcome for r in records if r.job_id == "leaver"] == ["failure"]
    [failure, _] = log.find("Job leaver failed", logging.ERROR)
    assert failure.extra["run_id"] == "leaver@2026-01-05T12:01:00Z"
    assert failure.traceback and "Traceback" in failure.traceback


async def refresh(done: list[str]) -> str:
    await asyncio.sleep(0)
    done.append("refreshed")
    return "fresh"


async def refresh_fails() -> None:
    await asyncio.sleep(0)
    raise RuntimeError("the cache is gone")


@pytest.mark.parametrize("background", [False, True], ids=["inline", "in_background"])
def test_an_async_def_job_runs_to_its_end_as_a_queued_one_does(scheduler, clock, log, background):
    """Before, the job's coroutine was made and dropped: "finished" was logged, the run
    recorded a success, and its body never ran (a RuntimeWarning at exit at most)."""
    done: list[str] = []
    failing = scheduler.schedule.every(1).minutes
    job = scheduler.schedule.every(1).minutes
    if background:
        job, failing = job.in_background(), failing.in_background()
    job.name("refresh").do(refresh, done)
    failing.name("refresh-fails").do(refresh_fails)

    clock.advance(60)
    records = scheduler.tick()
    scheduler.schedule.dispatcher.background.wait(5)
    records += scheduler.store_finished()

    assert done == ["refreshed"]
    outcomes = {r.job_id: (r.outcome, r.result) for r in records}
    assert outcomes["refresh"] == ("success", "fresh")
    assert outcomes["refresh-fails"][0] == "failure"
    [failure] = log.find("Job refresh-fails failed", logging.ERROR)
    assert "RuntimeError: the cache is gone" in failure.message


def test_no_argument_value_reaches_an_id_a_log_line_or_an_error(scheduler, clock, log):
    job = scheduler.schedule.every().hour.do(hello, SECRET)
    clock.advance(3600)
    scheduler.tick()

    with pytest.raises(SchedulerError) as refused:
        scheduler.schedule.every().hour.name(job.id).do(hello, SECRET)

    assert job.id == "hello:every-hour"
    assert SECRET not in str(refused.value)
    assert all(SECRET not in f"{r.message} {r.extra}" for r in log.records)


def test_a_jobs_id_is_the_same_in_a_test_and_in_production(scheduler, tmp_path):
    production = LoggerFactory("app", tmp_path, {"default": "null"})
    in_test = scheduler.schedule.every(5).seconds.do(hello, MemoryLogger())
    scheduler.schedule.clear()
    in_production = scheduler.schedule.every(5).seconds.do(hello, production)

    assert in_test.id == in_production.id == "hello:every-5-seconds"


def test_a_weekday_on_a_multi_week_interval_is_our_error_naming_the_call(scheduler):
    with pytest.raises(IntervalError, match=r"every\(2\)\.monday: ") as refused:
        scheduler.schedule.every(2).monday  # noqa: B018

    assert isinstance(refused.value, EquipmentError)


def test_an_interval_too_long_to_schedule_is_refused_at_registration(scheduler):
    with pytest.raises(IntervalError, match="longer than 36525 days cannot be scheduled"):
        scheduler.schedule.every(10**6).weeks.do(jobs.cleanup)
