"""A job whose retry RQ cannot time fails alone, as a job without retries; the worker goes on.

Other producers (raw RQ, older versions of our code) can queue a retry interval that RQ
cannot turn into a time (NaN, infinity): RQ's retry then raised inside its failure handling,
which ended the worker, left the job started, and ended the next worker too (at its first
registry cleaning), a poison job. The worker's job class loads such a job with no retry left.
"""

import logging
import time

import pytest
from rq import Callback, Queue, Retry
from rq.job import Dependency, JobStatus
from rq.registry import FailedJobRegistry, ScheduledJobRegistry, StartedJobRegistry

from equipment.Queue.Settings import QueueSettings
from equipment.Queue.Worker import run_worker
from equipment.Queue.WorkerClasses import WorkedJob
from tests.Queue import jobs
from tests.Queue.helpers import recorded, work_until
from tests.Queue.test_worker import redis_config

RUN_ID = "nightly@2026-12-01T03:00:00Z"


def raw_push(redis_conn, queue_name, interval: float, func=jobs.fail, *args):
    """What RQ itself (or an older version of our push) queues: our push refuses this."""
    queue = Queue(queue_name, connection=redis_conn)
    return queue.enqueue(
        func, *args, retry=Retry(max=1, interval=[interval]), meta={"run_id": RUN_ID}
    )


def assert_failed_alone(redis_conn, queue_name, job, key) -> None:
    assert recorded(redis_conn, key) == ["done"]  # the next job ran
    assert FailedJobRegistry(queue_name, connection=redis_conn).get_job_ids() == [job.id]
    assert StartedJobRegistry(queue_name, connection=redis_conn).get_job_ids(cleanup=False) == []
    assert ScheduledJobRegistry(queue_name, connection=redis_conn).get_job_ids() == []
    assert job.get_status() == JobStatus.FAILED


def failed_line(job, reason: str, queue_name: str, interval: str) -> str:
    return (
        f"Job {job.id} failed: tests.Queue.jobs.fail (run {RUN_ID}): {reason}; kept in the "
        f"failed job registry of {queue_name}, not retried: its next retry interval "
        f"{interval} is not seconds from 0 to 315360000 (3650 days)"
    )


def lines_naming(log, job) -> list[str]:
    """The warnings and errors naming the job (a failure line says `Job <id> failed`)."""
    return [r.message for r in log.find(f"Job {job.id} failed") if r.level >= logging.WARNING]


def test_a_worker_process_fails_the_job_and_goes_on(tmp_path, redis_conn, queue_name, key):
    """`queues.py work` exited 1 on such a job. Bounded: a worker's start, two jobs, a stop."""
    job = raw_push(redis_conn, queue_name, float("nan"))
    Queue(queue_name, connection=redis_conn).enqueue(jobs.record, key)
    config = redis_config(queue_name)
    ran, code, output = work_until(tmp_path, config, lambda: recorded(redis_conn, key))
    assert ran and code == 0, output
    errors = [line for line in output.splitlines() if line.startswith("ERROR ")]
    named = [line for line in output.splitlines() if f"Job {job.id} failed" in line]
    expected = f"ERROR {failed_line(job, 'RuntimeError: boom', queue_name, 'nan')}"
    assert errors == named == [expected], output
    assert_failed_alone(redis_conn, queue_name, job, key)


def test_the_in_process_worker_fails_the_job_and_goes_on(log, redis_conn, queue_name, key):
    """One failure line: it was a warning that the job had "1 retries left", then an error
    that RQ could not handle the failure."""
    job = raw_push(redis_conn, queue_name, float("inf"))
    Queue(queue_name, connection=redis_conn).enqueue(jobs.record, key)
    redis = QueueSettings.from_config(redis_config(queue_name)).redis
    assert run_worker(redis, log, burst=True, simple=True) == 0
    [error] = lines_naming(log, job)
    assert error == failed_line(job, "RuntimeError: boom", queue_name, "inf")
    assert log.messages(logging.ERROR) == [error]
    [record] = log.find(error, logging.ERROR)
    assert record.extra["rq_job_id"] == job.id and record.extra["run_id"] == RUN_ID
    assert record.extra["function"] == "tests.Queue.jobs.fail"
    assert "RuntimeError: boom" in (record.traceback or "")
    assert_failed_alone(redis_conn, queue_name, job, key)
    assert "RuntimeError: boom" in (job.latest_result().exc_string or "")


def test_such_a_job_whose_work_horse_dies_has_one_failure_line(log, redis_conn, queue_name, key):
    """The horse's death was a warning ("1 retries left"), then RQ's retry raised."""
    job = raw_push(redis_conn, queue_name, float("nan"), jobs.exit_hard, 3)
    Queue(queue_name, connection=redis_conn).enqueue(jobs.record, key)
    redis = QueueSettings.from_config(redis_config(queue_name)).redis
    assert run_worker(redis, log, burst=True) == 0
    [error] = lines_naming(log, job)
    assert error.startswith(f"Job {job.id} failed: tests.Queue.jobs.exit_hard (run {RUN_ID}): ")
    assert error.endswith(
        "exited with code 3 before the job returned (os._exit()?); kept in the failed job "
        f"registry of {queue_name}, not retried: its next retry interval nan is not seconds "
        "from 0 to 315360000 (3650 days)"
    )
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
    [error] = lines_naming(log, job)  # it was a warning ("1 retries left"), then an error
    assert error == failed_line(job, "AbandonedJobError: ", queue_name, "nan")
    assert [r.message for r in log.find(job.id, logging.ERROR)] == [error]
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


@pytest.mark.parametrize("abandoned", [False, True], ids=["failed", "abandoned"])
def test_its_callback_and_dependents_are_handled_as_for_any_failed_job(
    log, redis_conn, queue_name, key, abandoned
):
    """RQ enqueues the dependents that allow their dependency's failure (and leaves the
    others deferred); a job failed beside RQ's failure handling left them all deferred."""
    queue = Queue(queue_name, connection=redis_conn)
    job = queue.enqueue(
        jobs.fail,
        retry=Retry(max=1, interval=[float("nan")]),
        on_failure=Callback(jobs.count_failure),
        meta={"key": f"{key}:calls"},
    )
    allowing = queue.enqueue(jobs.record, key, depends_on=Dependency([job], allow_failure=True))
    waiting = queue.enqueue(jobs.record, key, "never", depends_on=job)
    if abandoned:  # left started by a dead worker: RQ's registry cleaning fails it
        queue.remove(job)
        job.set_status(JobStatus.STARTED)
        started = StartedJobRegistry(queue_name, connection=redis_conn)
        redis_conn.zadd(started.key, {f"{job.id}:dead0execution": time.time() - 5})

    redis = QueueSettings.from_config(redis_config(queue_name)).redis
    assert run_worker(redis, log, burst=True, simple=True) == 0
    assert job.get_status() == JobStatus.FAILED
    assert recorded(redis_conn, f"{key}:calls") == ["failure callback"]
    assert allowing.get_status() == JobStatus.FINISHED
    assert recorded(redis_conn, key) == ["done"]
    assert waiting.get_status() == JobStatus.DEFERRED


@pytest.mark.parametrize(
    ("intervals", "shown"),
    [
        ([float("nan")], "nan"),
        ([float("inf")], "inf"),
        ([10**400], str(10**400)),  # too large for a float
        ([4000 * 86400], str(4000 * 86400)),  # RQ could time it; our push refuses it
    ],
    ids=["nan", "inf", "10**400", "4000 days"],
)
def test_the_worker_loads_a_retry_it_cannot_time_as_none_left(
    redis_conn, queue_name, intervals, shown
):
    job = Queue(queue_name, connection=redis_conn).enqueue(
        jobs.fail, retry=Retry(max=2, interval=intervals)
    )
    loaded = WorkedJob.fetch(job.id, connection=redis_conn)
    assert loaded.retries_left == 0 and not loaded.should_retry
    reason = f"its next retry interval {shown} is not seconds from 0 to 315360000 (3650 days)"
    assert loaded.unretriable == reason
    assert repr(loaded.retry_intervals) == repr(job.retry_intervals)  # kept as stored (NaN)


def test_the_worker_loads_an_empty_list_of_intervals_as_no_retry_left(redis_conn, queue_name):
    queue = Queue(queue_name, connection=redis_conn)
    job = queue.enqueue(jobs.fail, retry=Retry(max=1, interval=[]))
    loaded = WorkedJob.fetch(job.id, connection=redis_conn)
    assert loaded.retries_left == 0
    assert loaded.unretriable == "its retry intervals [] give no wait for its next retry"


@pytest.mark.parametrize(
    "intervals", [[0], [10], [3650 * 86400], [float("nan"), 10]], ids=repr
)
def test_the_worker_loads_a_retry_it_can_time_as_stored(redis_conn, queue_name, intervals):
    """Only the next retry's interval counts (RQ's pick: with 1 retry left of [nan, 10], 10);
    a later one RQ cannot time is seen when the retried job is loaded again."""
    job = Queue(queue_name, connection=redis_conn).enqueue(
        jobs.fail, retry=Retry(max=1, interval=intervals)
    )
    loaded = WorkedJob.fetch(job.id, connection=redis_conn)
    assert (loaded.retries_left, loaded.unretriable) == (1, None)
