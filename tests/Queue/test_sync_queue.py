import asyncio
import contextvars
import datetime as dt
import inspect
import logging
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from fractions import Fraction

import pytest
from rq import Retry as RQRetry

from equipment.Queue.Errors import QueueError
from equipment.Queue.Pushable import describe
from equipment.Queue.Retry import Retry
from equipment.Queue.RunContext import get_run_id, run_context
from equipment.Queue.SyncQueue import SyncQueue

calls: list[tuple] = []


def remember(*args, **kwargs) -> None:
    calls.append((args, kwargs))


def remember_one(value) -> None:
    calls.append(((value,), {}))


def explode() -> None:
    raise ValueError("bad report")


@pytest.fixture(autouse=True)
def _reset():
    calls.clear()
    returns.clear()


@pytest.fixture
def queue(log):
    return SyncQueue(log)


def test_push_runs_at_once(queue, log):
    assert queue.push(remember, 1, report_id=2) is True
    assert calls == [((1,), {"report_id": 2})]
    assert log.messages(logging.WARNING) == []


def test_exception_is_logged_with_traceback_and_returns_false(queue, log):
    with run_context("run-1"):
        assert queue.push(explode) is False
    [record] = log.find("failed", logging.ERROR)
    assert "ValueError: bad report" in record.message
    assert record.extra["function"].endswith("test_sync_queue.explode")
    assert record.extra["run_id"] == "run-1"
    assert "Traceback" in record.traceback


def test_push_at_and_push_in_run_now_and_say_so(queue, log):
    assert queue.push_at(dt.datetime(2030, 1, 1, 9, 0), remember, "a") is True
    assert queue.push_in(dt.timedelta(minutes=5), remember, "b") is True
    assert queue.push_in(30, remember, "c") is True
    assert [c[0][0] for c in calls] == ["a", "b", "c"]
    debug = log.messages(logging.DEBUG)
    assert any("now instead of at 2030-01-01" in m for m in debug)
    assert any("now instead of in 300s" in m for m in debug)


def test_bad_when_is_refused(queue, log):
    assert queue.push_at("tomorrow", remember) is False  # type: ignore[arg-type]
    assert queue.push_in(-5, remember) is False
    assert calls == []
    assert len(log.messages(logging.ERROR)) == 2


@pytest.mark.parametrize(
    ("fn", "reason"),
    [
        (lambda: None, "lambda"),
        (None, "defined inside a function"),
    ],
)
def test_warns_for_what_redis_would_refuse(queue, log, fn, reason):
    if fn is None:
        def fn() -> None:
            return None

    assert queue.push(fn) is True
    [warning] = log.messages(logging.WARNING)
    assert "works with sync, will fail with redis" in warning and reason in warning


def test_warns_for_unpicklable_arguments_once(queue, log):
    lock = threading.Lock()
    for _ in range(3):
        assert queue.push(remember, lock) is True
    warnings = log.messages(logging.WARNING)
    assert len(warnings) == 1 and "cannot be pickled" in warnings[0]


def test_warns_once_for_a_return_value_redis_could_not_keep(queue, log):
    from tests.Queue import jobs

    for _ in range(3):
        assert queue.push(jobs.gives_lock) is True
    [warning] = log.messages(logging.WARNING)
    assert "tests.Queue.jobs.gives_lock runs with redis too, but RQ keeps" in warning
    assert "'Unserializable return value'" in warning and "its return value (lock)" in warning


def test_our_placeholder_is_rqs():
    from rq.defaults import UNSERIALIZABLE_RETURN_VALUE_PAYLOAD

    from equipment.Queue.Pushable import UNSERIALIZABLE

    assert UNSERIALIZABLE == UNSERIALIZABLE_RETURN_VALUE_PAYLOAD


def quit_early() -> None:
    raise SystemExit(5)


def test_a_job_calling_sys_exit_fails_the_push_and_does_not_end_the_caller(queue, log):
    # An RQ worker records sys.exit() in a job as that job's failure; the sync driver let it
    # escape push() and end the pushing process.
    assert queue.push(quit_early, retry=1) is False
    retried = log.find("quit_early failed (SystemExit: 5); sync queue retries", logging.WARNING)
    assert len(retried) == 1
    [failed] = log.find("quit_early failed: SystemExit: 5", logging.ERROR)
    assert "raise SystemExit(5)" in failed.traceback


async def remember_later(*args, **kwargs) -> str:
    await asyncio.sleep(0)
    calls.append((args, kwargs))
    return "stored"


async def explode_later() -> None:
    await asyncio.sleep(0)
    raise ValueError("bad async report")


def test_an_async_job_runs_to_its_end_as_a_worker_runs_it(queue, log):
    # RQ awaits a job's coroutine (asyncio.run); the sync driver called the function, dropped
    # the coroutine unawaited, said it ran, and warned that its "result" would not pickle.
    assert queue.push(remember_later, 1, report_id=2) is True
    assert calls == [((1,), {"report_id": 2})]
    assert log.messages(logging.WARNING) == []
    assert queue.push(explode_later, retry=1) is False
    assert len(log.find("bad async report", logging.WARNING)) == 1
    [failed] = log.find("explode_later failed: ValueError: bad async report", logging.ERROR)
    assert "bad async report" in failed.traceback


def test_an_async_job_pushed_from_inside_an_event_loop_runs_too(queue, log):
    async def handler() -> bool:  # an async web handler pushing work
        return queue.push(remember_later, "from a loop")

    assert asyncio.run(handler()) is True
    assert calls == [(("from a loop",), {})]


REQUEST: contextvars.ContextVar[str] = contextvars.ContextVar("request", default="none")


async def remember_the_request() -> None:
    calls.append(REQUEST.get())


def test_an_async_job_run_from_inside_an_event_loop_sees_the_callers_context(queue, log):
    async def handler() -> bool:
        REQUEST.set("request 7")  # as a web framework's middleware would
        return queue.push(remember_the_request)

    assert asyncio.run(handler()) is True
    assert calls == ["request 7"]


def test_retry_reruns_at_once(queue, log):
    attempts = []

    def flaky_once() -> None:
        attempts.append(1)
        if len(attempts) < 2:
            raise RuntimeError("first")

    assert queue.push(flaky_once, retry=Retry(max=2, intervals=(60,))) is True
    assert len(attempts) == 2
    assert len(log.find("retries at once", logging.WARNING)) == 1
    assert queue.push(explode, retry=1) is False
    assert len(log.find("bad report", logging.ERROR)) == 1


returns: list[object] = []


def asks_retry() -> object:
    """Returns what `returns` holds, in turn (a `Retry`: RQ's way to be tried again)."""
    calls.append("run")
    return returns.pop(0) if returns else None


@pytest.mark.parametrize(
    "retry", [RQRetry(max=2, interval=60), Retry(max=2, intervals=[60])], ids=["rq", "ours"]
)
def test_a_job_returning_a_retry_runs_again_at_once_up_to_its_max(queue, log, retry):
    returns[:] = [retry, retry]
    assert queue.push(asks_retry) is True
    assert calls == ["run"] * 3
    assert [r.message for r in log.records if r.level >= logging.INFO] == [
        f"{describe(asks_retry)} returned a retry; sync queue runs it again at once, "
        f"without the intervals ({n}/2)"
        for n in (1, 2)
    ]


def test_a_job_returning_a_retry_past_its_max_fails(queue, log):
    returns[:] = [RQRetry(max=2)] * 5
    assert queue.push(asks_retry, retry=3) is False  # (push's retries: 3)
    assert calls == ["run"] * 3
    [error] = log.messages(logging.ERROR)
    assert error.endswith("failed: it returned Retry(max=2) once more after 2 retries")


def test_past_a_smaller_max_the_line_counts_the_retries_it_had(queue, log):
    returns[:] = [RQRetry(max=3), RQRetry(max=3), RQRetry(max=1)]
    assert queue.push(asks_retry) is False
    assert calls == ["run"] * 3
    [error] = log.messages(logging.ERROR)
    assert error.endswith("failed: it returned Retry(max=1) once more after 2 retries")


def test_a_job_returning_a_retry_no_worker_could_time_fails(queue, log):
    # RQ would time it in the worker: NaN raised inside RQ, naming neither retry nor limit.
    returns[:] = [RQRetry(max=2, interval=[float("nan")])]
    assert queue.push(asks_retry) is False
    assert calls == ["run"]
    [error] = log.find("failed", logging.ERROR)
    assert error.message.endswith(
        "failed: RetryError: the job returned Retry(max=2, interval=nan, enqueue_at_front=False)"
        ": retry intervals must be from 0 to 315360000 seconds (3650 days), got [nan]"
    )


def test_a_retry_interval_no_worker_could_schedule_refuses_the_push(queue, log):
    # An infinite interval used to escape push() as an OverflowError.
    assert queue.push(remember, retry={"max": 1, "interval": float("inf")}) is False
    assert calls == []
    [refused] = log.find("Refused to run", logging.ERROR)
    assert "retry intervals must be from 0 to 315360000 seconds" in refused.message


def test_a_retry_interval_too_large_for_a_float_refuses_the_push(queue, log):
    # float(10**400) raises OverflowError, which escaped push() (it never raises).
    assert queue.push(remember, retry={"max": 1, "interval": 10**400}) is False
    assert queue.push(remember, retry={"max": 1, "intervals": [10, Fraction(10**400)]}) is False
    assert calls == []
    assert len(log.find("retry intervals must be from 0 to 315360000 seconds")) == 2


def test_retry_zero_runs_the_job_once(queue, log):
    assert queue.push(remember, retry=0) is True
    assert calls == [((), {})]
    assert queue.push(explode, retry=0) is False
    assert log.messages(logging.WARNING) == []  # no retry announced
    assert len(log.find("bad report", logging.ERROR)) == 1


def test_reserved_options_are_not_passed_to_the_function(queue):
    assert queue.push(remember, job_timeout=10, retry=None) is True
    assert calls == [((), {})]


def test_run_id_is_visible_inside_the_job(queue):
    seen = []
    with run_context("abc"):
        queue.push(lambda: seen.append(get_run_id()))
    assert seen == ["abc"]
    assert get_run_id() is None


@pytest.mark.parametrize("delay", [float("inf"), 1e12])
def test_a_delay_out_of_range_is_refused_not_run(queue, log, delay):
    assert queue.push_in(delay, remember, "x") is False
    assert calls == []
    [line] = log.messages(logging.ERROR)
    assert "from 0 to 315360000 seconds" in line and repr(delay) in line


def test_on_another_queue_name_still_runs_at_once(queue):
    assert queue.on("reports") is queue
    assert queue.on("reports").push(remember, 3) is True
    assert calls == [((3,), {})]
    with pytest.raises(QueueError, match="a queue name must be a non-empty string, got ''"):
        queue.on("")


def test_a_call_the_function_cannot_take_is_refused_as_redis_refuses_it_not_run(queue, log):
    assert queue.push(remember_one, 1, job_timout=30) is False  # a misspelt job_timeout=

    assert calls == []
    [refused] = log.messages(logging.ERROR)
    assert refused.startswith("Refused to run tests.Queue.test_sync_queue.remember_one: ")
    assert "unexpected keyword argument 'job_timout'" in refused
    assert log.find("failed") == []  # no job failure, no traceback: a mistake in the call


def test_a_queue_name_with_a_comma_is_refused_as_no_worker_could_serve_it(queue):
    with pytest.raises(QueueError, match="cannot contain a comma .* got 'high,default'"):
        queue.on("high,default")


def test_a_bad_queue_name_names_the_line_that_asked_for_it(queue):
    with pytest.raises(QueueError) as raised:
        queue.on("")

    assert str(raised.value).endswith(
        f"Queue/test_sync_queue.py:{raised.tb.tb_lineno}: "
        "a queue name must be a non-empty string, got ''"
    )


@pytest.mark.parametrize(
    ("push", "reason"),
    [
        (lambda q: q.push(remember, job_timeout=0), "job_timeout must be whole seconds"),
        (lambda q: q.push(remember, retry={"max": 0}), "retry max must be a whole number"),
        (lambda q: q.push_in(-1, remember), "push_in needs a delay from 0"),
        (lambda q: q.push_at("noon", remember), "push_at needs a datetime"),
        (lambda q: q.push(None), "None is not callable"),
    ],
)
def test_a_refused_push_names_the_line_that_made_it(queue, log, push, reason):
    line = inspect.getsourcelines(push)[1]

    assert push(queue) is False

    [refused] = log.messages(logging.ERROR)
    assert refused.startswith("Refused to run ")
    assert f"Queue/test_sync_queue.py:{line}: {reason}" in refused


def test_a_push_the_standard_library_calls_names_no_line_of_it(queue, log):
    """A thread's target, an executor's task: the line that called is the standard
    library's, never a mistake of the user's; the refusal names no line, as a scheduled
    push's does (and as it did before refusals named lines)."""
    thread = threading.Thread(target=queue.push, args=(remember,), kwargs={"job_timeout": 0})
    thread.start()
    thread.join()
    with ThreadPoolExecutor(1) as pool:
        assert pool.submit(queue.push, remember, job_timeout=0).result() is False
        with pytest.raises(QueueError) as raised:
            pool.submit(queue.on, "").result()

    assert str(raised.value) == "a queue name must be a non-empty string, got ''"
    refused = log.messages(logging.ERROR)
    assert refused == [
        "Refused to run tests.Queue.test_sync_queue.remember: job_timeout must be whole "
        "seconds from 1 to 604800 (a week), got 0"
    ] * 2


def test_only_the_standard_library_itself_is_taken_for_it():
    """An installed package under the standard library's folder (a Python without a venv
    keeps its site-packages there) may be the user's own code."""
    from equipment.Errors import _is_stdlib

    assert _is_stdlib(threading.__file__) and _is_stdlib("<frozen runpy>")
    assert not _is_stdlib(__file__)
    lib = os.path.dirname(threading.__file__)
    assert not _is_stdlib(os.path.join(lib, "site-packages", "app", "web.py"))
