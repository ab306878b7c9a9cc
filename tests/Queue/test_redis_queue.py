import datetime as dt
import functools
import inspect
import logging
import threading
import time
import uuid
from unittest import mock

import pytest
import redis
from rq import Queue
from rq.job import Job
from rq.registry import FailedJobRegistry, ScheduledJobRegistry

from equipment.Queue.Errors import QueueError
from equipment.Queue.RedisQueue import RedisQueue
from equipment.Queue.Retry import Retry
from equipment.Queue.RunContext import run_context
from tests.Queue import jobs
from tests.Queue.conftest import make_settings
from tests.Queue.helpers import burst, recorded

UTC = dt.UTC


@pytest.fixture
def queue(settings, log):
    return RedisQueue(settings, log)


def only_job(redis_conn, queue_name) -> Job:
    [job_id] = Queue(queue_name, connection=redis_conn).job_ids
    return Job.fetch(job_id, connection=redis_conn)


def test_push_then_a_worker_runs_it(queue, settings, log, redis_conn, queue_name, key):
    with run_context("run-42"):
        assert queue.push(jobs.record_run_id, key) is True
    job = only_job(redis_conn, queue_name)
    assert job.meta["run_id"] == "run-42"
    [pushed] = log.find("Queued tests.Queue.jobs.record_run_id", logging.INFO)
    assert job.id in pushed.message and "run-42" in pushed.message
    assert pushed.extra["rq_job_id"] == job.id and pushed.extra["run_id"] == "run-42"

    assert burst(settings, log) == 0
    assert recorded(redis_conn, key) == ["run-42"]  # the worker set the run ID around the job
    assert log.find(f"Job {job.id} finished", logging.INFO)


def test_bound_method_and_kwargs(queue, settings, log, redis_conn, key):
    assert queue.push(jobs.Greeter(key).greet) is True
    assert queue.push(jobs.record, key=key, value="kw") is True
    burst(settings, log)
    assert recorded(redis_conn, key) == ["hello", "kw"]


def test_push_at_lands_in_the_scheduled_registry_and_runs_when_due(
    settings, log, redis_conn, queue_name, key
):
    queue = RedisQueue(make_settings(queue_name, timezone="Europe/Madrid"), log)
    year = dt.date.today().year + 1  # next July: always ahead, always summer time
    naive = dt.datetime(year, 7, 1, 12, 0, 0, 250_000)  # Madrid wall time, CEST = UTC+2
    assert queue.push_at(naive, jobs.record, key) is True
    registry = ScheduledJobRegistry(queue_name, connection=redis_conn)
    [job_id] = registry.get_job_ids()
    due = dt.datetime(year, 7, 1, 10, 0, 1, tzinfo=UTC)  # rounded up: never early
    assert registry.get_scheduled_time(job_id) == due

    burst(settings, log)  # not due yet: nothing runs
    assert recorded(redis_conn, key) == []

    due_ts = int(due.timestamp())
    with mock.patch("rq.scheduler.current_timestamp", return_value=due_ts - 1):
        burst(settings, log)
    assert recorded(redis_conn, key) == []
    with mock.patch("rq.scheduler.current_timestamp", return_value=due_ts):
        burst(settings, log)
    assert recorded(redis_conn, key) == ["done"]


def test_push_in_lands_at_now_plus_delay(queue, redis_conn, queue_name):
    before = time.time()
    assert queue.push_in(dt.timedelta(minutes=10), jobs.noop) is True
    assert queue.push_in(90, jobs.noop) is True
    registry = ScheduledJobRegistry(queue_name, connection=redis_conn)
    times = sorted(registry.get_scheduled_time(j).timestamp() for j in registry.get_job_ids())
    assert before + 90 <= times[0] <= time.time() + 91
    assert before + 600 <= times[1] <= time.time() + 601


def test_push_at_in_the_past_runs_on_the_next_pass(queue, settings, log, redis_conn, key):
    assert queue.push_at(dt.datetime.now(UTC) - dt.timedelta(minutes=1), jobs.record, key)
    burst(settings, log)
    assert recorded(redis_conn, key) == ["done"]


def test_failing_job_lands_in_the_failed_registry(queue, settings, log, redis_conn, queue_name):
    with run_context("run-7"):
        assert queue.push(jobs.fail, "kaput") is True
    job_id = only_job(redis_conn, queue_name).id
    burst(settings, log)
    registry = FailedJobRegistry(queue_name, connection=redis_conn)
    assert registry.get_job_ids() == [job_id]
    result = Job.fetch(job_id, connection=redis_conn).latest_result()
    assert "RuntimeError: kaput" in result.exc_string
    [failed] = log.find(f"Job {job_id} failed", logging.ERROR)
    assert "run-7" in failed.message and failed.extra["run_id"] == "run-7"
    assert "Traceback" in failed.traceback
    assert not log.find("exception raised while executing")  # RQ's own copy is not repeated


def test_retries(queue, settings, log, redis_conn, queue_name, key):
    assert queue.push(jobs.flaky, key, 2, retry=2) is True
    job = only_job(redis_conn, queue_name)
    assert job.retries_left == 2
    burst(settings, log)
    assert recorded(redis_conn, key) == ["ok after 3"]
    assert len(log.find("retries left", logging.WARNING)) == 2
    assert FailedJobRegistry(queue_name, connection=redis_conn).get_job_ids() == []


def test_retry_spec_maps_to_rq(queue, redis_conn, queue_name):
    assert queue.push(jobs.noop, retry=Retry(max=3, intervals=(10, 60)), job_timeout=30)
    job = only_job(redis_conn, queue_name)
    assert (job.retries_left, job.retry_intervals, job.timeout) == (3, [10, 60], 30)


def test_bad_retry_is_refused_naming_the_line_that_pushed(queue, log, redis_conn, queue_name):
    assert queue.push(jobs.noop, retry="twice") is False
    line = inspect.currentframe().f_lineno - 1

    [refused] = log.messages(logging.ERROR)
    assert refused.startswith("Refused to queue tests.Queue.jobs.noop: ")
    assert f"Queue/test_redis_queue.py:{line}: retry must be a count" in refused
    assert Queue(queue_name, connection=redis_conn).count == 0


@pytest.mark.parametrize(
    ("fn", "args", "reason"),
    [
        (lambda: None, (), "lambda"),
        (jobs.make_nested(), (), "defined inside a function"),
        (jobs.alias, (), "no top-level"),
        (jobs.record, (threading.Lock(),), "cannot be pickled"),
    ],
)
def test_what_a_worker_cannot_run_is_refused(queue, log, redis_conn, queue_name, fn, args, reason):
    assert queue.push(fn, *args) is False
    [error] = log.messages(logging.ERROR)
    assert error.startswith("Refused to queue") and reason in error
    assert Queue(queue_name, connection=redis_conn).count == 0


def test_a_call_the_function_cannot_take_is_refused_before_anything_is_queued(
    queue, log, redis_conn, queue_name
):
    assert queue.push(jobs.record, "k", timeout=30) is False  # RQ's option, not the queue's
    line = inspect.currentframe().f_lineno - 1
    assert queue.push_in(60, jobs.record) is False  # no key
    assert queue.push(jobs.Greeter("k").greet, "extra") is False

    first, second, third = log.messages(logging.ERROR)
    assert first.startswith("Refused to queue tests.Queue.jobs.record: ")
    assert first.endswith(
        f"Queue/test_redis_queue.py:{line}: it cannot be called with these arguments (got an "
        "unexpected keyword argument 'timeout'); timeout= is an option of RQ's enqueue, which "
        "push passes to the function: the queue's own options are retry= and job_timeout="
    )
    assert "missing a required argument: 'key'" in second
    assert "too many positional arguments" in third
    assert Queue(queue_name, connection=redis_conn).count == 0
    assert ScheduledJobRegistry(queue_name, connection=redis_conn).count == 0


def test_closed_port_returns_false_within_the_budget_and_logs_once(log):
    queue = RedisQueue(make_settings("nowhere", port=1, push_retry_seconds=0.4), log)
    started = time.monotonic()
    assert queue.push(jobs.noop) is False
    assert time.monotonic() - started < 1.5  # the 0.4 s budget, not the default 2 s
    assert queue.push(jobs.noop) is False  # already down: one quick attempt
    errors = log.messages(logging.ERROR)
    assert len(errors) == 1 and "127.0.0.1:1" in errors[0]
    assert all(r.traceback is None for r in log.records)


def test_password_never_reaches_the_log(log):
    url = "redis://app:s3cret-pw@127.0.0.1:1/0"
    queue = RedisQueue(make_settings("nowhere", url=url, push_retry_seconds=0), log)
    assert queue.push(jobs.noop) is False
    text = " ".join(r.message + str(r.extra) for r in log.records)
    assert "s3cret-pw" not in text and "app:***@127.0.0.1:1" in text


def test_a_database_redis_does_not_have_is_a_refusal_not_a_traceback(redis_conn, log):
    """Redis answers, and refuses (no such db; an OOM or READONLY alike): push returns
    False with one line, as for an outage; it never raises."""
    queue = RedisQueue(make_settings("nowhere", db=99999, push_retry_seconds=0), log)

    assert queue.push(jobs.noop) is False
    [error] = log.messages(logging.ERROR)
    # ... naming the setting to change, as the scheduler's and the worker's start do
    assert error.startswith("Refused to queue tests.Queue.jobs.noop: queue.redis.db: Redis at ")
    assert "has no such database (DB index is out of range)" in error
    assert all(r.traceback is None for r in log.records)


def test_wrong_password_is_not_retried_and_not_shown(redis_conn, log):
    queue = RedisQueue(make_settings("nowhere", password="wr0ng-pw", username="nobody"), log)
    started = time.monotonic()
    assert queue.push(jobs.noop) is False
    assert time.monotonic() - started < 1.0  # no retry: the budget would take 2 s
    text = " ".join(r.message for r in log.records)
    assert "wr0ng-pw" not in text and len(log.messages(logging.ERROR)) == 1


def test_recovers_when_redis_answers_again(settings, log, redis_conn, queue_name):
    queue = RedisQueue(settings, log)
    queue.guard.budget = 0
    down = redis.exceptions.ConnectionError("down")
    with mock.patch.object(Queue, "enqueue", side_effect=down):
        assert queue.push(jobs.noop) is False
        assert queue.push(jobs.noop) is False
    assert queue.push(jobs.noop) is True
    assert log.find("answers again after", logging.WARNING)
    assert "2 pushes failed" in log.find("answers again after")[0].message


@pytest.mark.parametrize("delay", [float("inf"), 1e12])
def test_a_delay_out_of_range_is_refused_before_anything_is_queued(
    queue, log, redis_conn, queue_name, delay
):
    assert queue.push_in(delay, jobs.noop) is False
    assert ScheduledJobRegistry(queue_name, connection=redis_conn).get_job_ids() == []
    [line] = log.messages(logging.ERROR)
    assert "from 0 to 315360000 seconds" in line and repr(delay) in line


def test_push_at_in_the_spring_forward_gap_uses_the_schedulers_rule(redis_conn, queue_name, log):
    queue = RedisQueue(make_settings(queue_name, timezone="Europe/Madrid"), log)
    assert queue.push_at(dt.datetime(2031, 3, 30, 2, 30), jobs.noop) is True
    [job_id] = ScheduledJobRegistry(queue_name, connection=redis_conn).get_job_ids()
    due = ScheduledJobRegistry(queue_name, connection=redis_conn).get_scheduled_time(job_id)
    assert due == dt.datetime(2031, 3, 30, 1, 0, tzinfo=UTC)  # 03:00 CEST, the end of the gap


def test_a_pushed_logger_logs_through_the_workers_logger(settings, log, tmp_path):
    from equipment.Log.LoggerFactory import LoggerFactory

    silent = LoggerFactory(name="app", base_path=tmp_path, config={"default": "null"})
    assert RedisQueue(settings, silent).push(jobs.say, silent, "heard in the worker") is True
    assert burst(settings, log) == 0
    assert log.find("heard in the worker", logging.INFO)


def test_a_return_value_rq_cannot_keep_is_a_warning_in_the_worker(queue, settings, log):
    assert queue.push(jobs.gives_lock) is True
    assert burst(settings, log) == 0
    assert log.find("finished: tests.Queue.jobs.gives_lock in", logging.INFO)
    [warning] = log.find("returned a value that cannot be pickled", logging.WARNING)
    assert "RQ keeps 'Unserializable return value' as its result" in warning.message


@pytest.mark.parametrize(
    ("make", "name"),
    [
        (lambda key: (jobs.Holder().method, key), "tests.Queue.jobs.Holder.method"),
        (lambda key: (functools.partial(jobs.record, key),), "tests.Queue.jobs.record"),
    ],
    ids=["bound method", "partial"],
)
def test_the_pusher_and_the_worker_log_one_name(queue, settings, log, key, make, name):
    fn, *args = make(key)
    assert queue.push(fn, *args) is True
    assert burst(settings, log) == 0
    assert log.find(f"Queued {name} as RQ job", logging.INFO)
    assert log.find(f"started: {name} (run", logging.INFO)
    assert log.find(f"finished: {name} in", logging.INFO)


def test_a_job_enqueued_by_rq_itself_is_named_by_the_same_rule(
    settings, log, redis_conn, queue_name, key
):
    Queue(queue_name, connection=redis_conn).enqueue(functools.partial(jobs.record, key))
    assert burst(settings, log) == 0
    assert log.find("started: tests.Queue.jobs.record (run -)", logging.INFO)


@pytest.fixture
def other_queue_name(redis_conn):
    name = f"{uuid.uuid4().hex[:12]}-reports"
    yield name
    Queue(name, connection=redis_conn).delete(delete_jobs=True)


def test_on_pushes_to_another_queue_that_its_own_workers_serve(
    queue, log, redis_conn, queue_name, other_queue_name, key
):
    # docs/queue.md: "Give the slow work its own queue with its own workers". Every push
    # went to the first configured queue: slow work could not be sent anywhere else.
    reports = queue.on(other_queue_name)
    assert queue.on(other_queue_name) is reports and queue.on(queue_name) is queue
    assert reports.push(jobs.record, key, "slow") is True
    assert reports.push_in(3600, jobs.record, key, "slow later") is True  # still waiting below
    assert queue.push(jobs.record, key, "fast") is True

    [slow] = Queue(other_queue_name, connection=redis_conn).job_ids
    assert Job.fetch(slow, connection=redis_conn).args == (key, "slow")
    assert ScheduledJobRegistry(other_queue_name, connection=redis_conn).count == 1
    assert len(Queue(queue_name, connection=redis_conn).job_ids) == 1
    assert log.find(f"as RQ job {slow} (run -) on {other_queue_name}", logging.INFO)

    only_reports = make_settings(other_queue_name)
    burst(only_reports, log)
    assert recorded(redis_conn, key) == ["slow"]  # the fast one waits for its own workers


def test_on_refuses_a_name_that_is_not_one_naming_the_line_that_asked(queue):
    for bad in ("", "  ", None, 7):
        with pytest.raises(QueueError) as raised:
            queue.on(bad)
        assert str(raised.value).endswith(
            f"Queue/test_redis_queue.py:{raised.tb.tb_lineno}: "
            f"a queue name must be a non-empty string, got {bad!r}"
        )
