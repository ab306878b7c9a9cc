"""A job whose failure handling raises inside RQ fails alone; the worker goes on.

Other producers (raw RQ, older versions of our code) can queue a retry interval that RQ
cannot turn into a time (NaN, infinity): RQ's retry then raises inside its failure handling,
which ended the worker, left the job started, and ended the next worker too (at its first
registry cleaning), a poison job.
"""

import logging
import signal
import time

import pytest
from rq import Callback, Queue, Retry
from rq.job import JobStatus
from rq.registry import FailedJobRegistry, StartedJobRegistry

from equipment.Queue.Settings import QueueSettings
from equipment.Queue.Worker import run_worker
from tests.Queue import jobs
from tests.Queue.helpers import recorded, wait_for, worker_process
from tests.Queue.test_worker import redis_config

RUN_ID = "nightly@2026-12-01T03:00:00Z"


def raw_push(redis_conn, queue_name, interval: float):
    """What RQ itself (or an older version of our push) queues: our push refuses this."""
    queue = Queue(queue_name, connection=redis_conn)
    return queue.enqueue(
        jobs.fail, retry=Retry(max=1, interval=[interval]), meta={"run_id": RUN_ID}
    )


def assert_failed_alone(redis_conn, queue_name, job, key) -> None:
    assert recorded(redis_conn, key) == ["done"]  # the next job ran
    assert FailedJobRegistry(queue_name, connection=redis_conn).get_job_ids() == [job.id]
    assert StartedJobRegistry(queue_name, connection=redis_conn).get_job_ids(cleanup=False) == []
    assert job.get_status() == JobStatus.FAILED
    assert "RQ could not handle this failure" in (job.latest_result().exc_string or "")


def unhandled_line(job, reason: str) -> str:
    return (
        f"Job {job.id} failed: tests.Queue.jobs.fail (run {RUN_ID}): RQ could not handle the "
        f"failure ({reason}"
    )


def test_a_worker_process_fails_the_job_and_goes_on(tmp_path, redis_conn, queue_name, key):
    """`queues.py work` exited 1 on such a job. Bounded: a worker's start, two jobs, a stop."""
    job = raw_push(redis_conn, queue_name, float("nan"))
    Queue(queue_name, connection=redis_conn).enqueue(jobs.record, key)
    proc = worker_process(tmp_path, redis_config(queue_name))
    try:
        ran = wait_for(lambda: recorded(redis_conn, key) or proc.poll() is not None, 15)
        proc.send_signal(signal.SIGTERM)
        output, _ = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert ran and proc.returncode == 0, output
    errors = [line for line in output.splitlines() if line.startswith("ERROR ")]
    assert len(errors) == 1, output
    expected = unhandled_line(job, "ValueError: cannot convert float NaN to integer")
    assert errors[0].startswith(f"ERROR {expected})"), output
    assert f"kept in the failed job registry of {queue_name}, not retried" in errors[0]
    assert_failed_alone(redis_conn, queue_name, job, key)


def test_the_in_process_worker_fails_the_job_and_goes_on(log, redis_conn, queue_name, key):
    job = raw_push(redis_conn, queue_name, float("inf"))
    Queue(queue_name, connection=redis_conn).enqueue(jobs.record, key)
    redis = QueueSettings.from_config(redis_config(queue_name)).redis
    assert run_worker(redis, log, burst=True, simple=True) == 0
    [error] = log.messages(logging.ERROR)
    assert error.startswith(unhandled_line(job, "OverflowError"))
    [record] = log.find(error, logging.ERROR)
    assert record.extra["rq_job_id"] == job.id and record.extra["run_id"] == RUN_ID
    assert record.extra["function"] == "tests.Queue.jobs.fail"
    assert "OverflowError" in (record.traceback or "")
    assert_failed_alone(redis_conn, queue_name, job, key)


@pytest.mark.parametrize("simple", [False, True], ids=["forking", "simple"])
def test_such_a_job_left_started_by_a_dead_worker_is_failed_at_start(
    log, redis_conn, queue_name, key, simple
):
    """RQ's registry cleaning (at start, then every 10 minutes) retries a job whose worker
    died: the same raise ended every worker started after the crash."""
    queue = Queue(queue_name, connection=redis_conn)
    started = StartedJobRegistry(queue_name, connection=redis_conn)
    job = raw_push(redis_conn, queue_name, float("nan"))
    other = queue.enqueue(jobs.fail)  # abandoned too, in the same cleaning: RQ fails it
    for left, ago in ((job, 6), (other, 5)):  # the dead worker's, expired
        queue.remove(left)
        left.set_status(JobStatus.STARTED)
        redis_conn.zadd(started.key, {f"{left.id}:dead0execution": time.time() - ago})
    queue.enqueue(jobs.record, key)

    redis = QueueSettings.from_config(redis_config(queue_name)).redis
    assert run_worker(redis, log, burst=True, simple=simple) == 0
    [error] = log.find(job.id, logging.ERROR)
    assert error.message.startswith(unhandled_line(job, "ValueError: cannot convert float NaN"))
    [abandoned] = log.find(other.id, logging.ERROR)  # its failure line, by the failure logger
    assert "AbandonedJobError" in abandoned.message
    assert len(log.messages(logging.ERROR)) == 2
    assert other.get_status() == JobStatus.FAILED
    assert "AbandonedJobError" in (other.latest_result().exc_string or "")
    FailedJobRegistry(queue_name, connection=redis_conn).remove(other)
    assert_failed_alone(redis_conn, queue_name, job, key)
    assert not redis_conn.exists(queue.registry_cleaning_key)  # the lock was given back


@pytest.mark.parametrize("simple", [False, True], ids=["forking", "simple"])
def test_a_job_abandoned_before_such_a_job_in_the_same_cleaning_is_failed_once(
    log, redis_conn, queue_name, key, simple
):
    """The cleaning handles the dead worker's jobs in one pipeline: the raise at the poison
    job dropped what it had written for the one before it, which the next cleaning then
    handled again (its failure line, its on_failure callback, twice)."""
    queue = Queue(queue_name, connection=redis_conn)
    started = StartedJobRegistry(queue_name, connection=redis_conn)
    other = queue.enqueue(jobs.fail, on_failure=Callback(jobs.count_failure), meta={"key": key})
    job = raw_push(redis_conn, queue_name, float("nan"))
    for left, ago in ((other, 6), (job, 5)):  # the abandoned one is handled first
        queue.remove(left)
        left.set_status(JobStatus.STARTED)
        redis_conn.zadd(started.key, {f"{left.id}:dead0execution": time.time() - ago})

    redis = QueueSettings.from_config(redis_config(queue_name)).redis
    assert run_worker(redis, log, burst=True, simple=simple) == 0
    assert len(log.find(other.id, logging.ERROR)) == 1, log.messages(logging.ERROR)
    assert recorded(redis_conn, key) == ["failure callback"]
    assert other.get_status() == JobStatus.FAILED
    assert len(log.find(job.id, logging.ERROR)) == 1
    assert StartedJobRegistry(queue_name, connection=redis_conn).get_job_ids(cleanup=False) == []
