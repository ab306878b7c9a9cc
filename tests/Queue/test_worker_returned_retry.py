"""A job that returns `Retry(...)` (RQ's way to be tried again without failing): one line
per run saying what happens to it, the worker's failure line once it has had `max`
retries, and a retry RQ could not time is the job's failure, saying so."""

import logging

import pytest
from rq import Queue
from rq.job import JobStatus
from rq.registry import FailedJobRegistry, ScheduledJobRegistry

from equipment.Queue.Settings import QueueSettings
from equipment.Queue.Worker import run_worker
from tests.Queue import jobs
from tests.Queue.helpers import recorded, work_until
from tests.Queue.test_worker import redis_config

RUN_ID = "nightly@2026-12-01T03:00:00Z"
NAME = "tests.Queue.jobs.asks_retry"


def work(log, queue_name) -> None:
    redis = QueueSettings.from_config(redis_config(queue_name)).redis
    assert run_worker(redis, log, burst=True, simple=True) == 0


def push(redis_conn, queue_name, *args, **kwargs):
    queue = Queue(queue_name, connection=redis_conn)
    return queue.enqueue(jobs.asks_retry, *args, **kwargs, meta={"run_id": RUN_ID})


def lines(log, job) -> list[tuple[int, str]]:
    return [(r.level, r.message) for r in log.find(f"Job {job.id} ") if r.level >= logging.INFO]


def retried(job, n: int, most: int, when: str = "at once") -> str:
    return f"tried again {when} (retry {n} of {most})"


@pytest.mark.parametrize("ours", [False, True], ids=["rq", "ours"])
def test_it_runs_again_and_each_run_says_so(log, redis_conn, queue_name, key, ours):
    job = push(redis_conn, queue_name, key, 2, most=2, ours=ours)

    work(log, queue_name)

    assert recorded(redis_conn, key) == ["ok after 3"]
    assert job.get_status() == JobStatus.FINISHED
    said = [message for level, message in lines(log, job) if "started" not in message]
    assert [message.split(" in ")[0] for message in said] == [
        f"Job {job.id} returned a retry: {NAME}",
        f"Job {job.id} returned a retry: {NAME}",
        f"Job {job.id} finished: {NAME}",
    ]
    assert said[0].endswith(f"(run {RUN_ID}); {retried(job, 1, 2)}")
    assert said[1].endswith(retried(job, 2, 2))
    assert log.messages(logging.WARNING) == []


def test_past_its_max_it_fails_with_the_workers_line(log, redis_conn, queue_name, key):
    """RQ failed it with a warning of its own, naming neither function nor run, and the
    worker said "finished"."""
    job = push(redis_conn, queue_name, key, 5, most=1)

    work(log, queue_name)

    assert FailedJobRegistry(queue_name, connection=redis_conn).get_job_ids() == [job.id]
    assert [level for level, _ in lines(log, job)] == [logging.INFO] * 3 + [logging.ERROR]
    assert log.messages(logging.WARNING) == []  # RQ's own warning is at debug level
    [error] = log.messages(logging.ERROR)
    assert error == (
        f"Job {job.id} failed: {NAME} (run {RUN_ID}): it returned Retry(max=1) once more "
        f"after 1 retries; kept in the failed job registry of {queue_name}"
    )


def test_a_wait_is_scheduled_and_said(log, redis_conn, queue_name, key):
    job = push(redis_conn, queue_name, key, 1, most=2, interval=4.2, ours=True)

    work(log, queue_name)

    assert ScheduledJobRegistry(queue_name, connection=redis_conn).get_job_ids() == [job.id]
    assert lines(log, job)[-1][1].endswith(retried(job, 1, 2, "in 5s"))  # whole seconds, up


def test_a_retry_rq_could_not_time_is_the_jobs_failure(log, redis_conn, queue_name, key):
    """RQ raised `ValueError: cannot convert float NaN to integer` as the job's error."""
    job = push(redis_conn, queue_name, key, 1, interval=[float("nan")])
    Queue(queue_name, connection=redis_conn).enqueue(jobs.record, key)

    work(log, queue_name)

    assert recorded(redis_conn, key) == ["done"]  # the next job ran
    assert job.get_status() == JobStatus.FAILED
    [error] = log.messages(logging.ERROR)
    assert error == (
        f"Job {job.id} failed: {NAME} (run {RUN_ID}): RetryError: the job returned "
        "Retry(max=3, interval=nan, enqueue_at_front=False): retry intervals must be from 0 "
        f"to 315360000 seconds (3650 days), got [nan]; kept in the failed job registry of "
        f"{queue_name}"
    )


def test_a_worker_process_says_the_same(tmp_path, redis_conn, queue_name, key):
    """`queues.py work` runs the job in a forked work horse. Bounded: a start, two jobs."""
    bad = push(redis_conn, queue_name, f"{key}:bad", 1, interval=[float("inf")])
    good = push(redis_conn, queue_name, key, 1, most=1)
    config = redis_config(queue_name)
    ran, code, output = work_until(tmp_path, config, lambda: recorded(redis_conn, key))
    assert ran and code == 0, output
    [error] = [line for line in output.splitlines() if line.startswith("ERROR ")]
    assert error.startswith(f"ERROR Job {bad.id} failed: {NAME} (run {RUN_ID}): RetryError: ")
    assert f"INFO Job {good.id} returned a retry: {NAME} in " in output
    assert f"(run {RUN_ID}); tried again at once (retry 1 of 1)" in output


def test_a_retry_asked_at_the_front_of_the_queue_runs_before_the_next_job(
    log, redis_conn, queue_name, key
):
    """rq.Retry(enqueue_at_front=True): the job is requeued at the front (it went last)."""
    push(redis_conn, queue_name, key, 1, most=1, front=True)
    Queue(queue_name, connection=redis_conn).enqueue(jobs.record, key, "next")

    work(log, queue_name)

    assert recorded(redis_conn, key) == ["ok after 2", "next"]


def test_past_a_smaller_max_the_line_counts_the_retries_it_had(log, redis_conn, queue_name, key):
    """RQ fails it once its retries reach the max it returns this time."""
    job = push(redis_conn, queue_name, key, 5, most=[3, 3, 1])

    work(log, queue_name)

    [error] = log.messages(logging.ERROR)
    assert "it returned Retry(max=1) once more after 2 retries; kept in" in error
    assert job.get_status() == JobStatus.FAILED


def test_an_outage_while_recording_a_retry_does_not_count_it_twice(
    log, redis_conn, queue_name, key, monkeypatch
):
    """The first write of the retry fails (Redis went away): the worker waits and writes
    it again, and the job still gets its `max` retries."""
    import redis
    from rq.worker.base import BaseWorker

    cut = {"armed": False, "done": False}
    handle_job_retry = BaseWorker.handle_job_retry

    def cut_once(self, *args, **kwargs):
        cut["armed"] = not cut["done"]
        try:
            return handle_job_retry(self, *args, **kwargs)
        finally:
            cut["armed"] = False

    execute = redis.client.Pipeline.execute

    def cut_execute(self, *args, **kwargs):
        if cut["armed"]:
            cut["armed"], cut["done"] = False, True
            raise redis.exceptions.ConnectionError("Redis went away")
        return execute(self, *args, **kwargs)

    monkeypatch.setattr(BaseWorker, "handle_job_retry", cut_once)
    monkeypatch.setattr(redis.client.Pipeline, "execute", cut_execute)
    job = push(redis_conn, queue_name, key, 2, most=2)

    work(log, queue_name)

    assert cut["done"]
    assert recorded(redis_conn, key) == ["ok after 3"]
    said = [message for _, message in lines(log, job) if "returned a retry" in message]
    assert [message.split("; ")[-1] for message in said] == [retried(job, n, 2) for n in (1, 2)]
