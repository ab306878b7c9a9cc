"""Pushes made by a scheduled run: one RQ job per push whatever the retries, and none from a
process whose scheduler lease has changed hands (real Redis, db 15)."""

import datetime as dt
import logging
import uuid

import pytest
from rq import Queue
from rq.registry import ScheduledJobRegistry

from equipment.Queue.RedisQueue import RedisQueue
from equipment.Queue.RunContext import Fence, PushScope, push_scope, rq_job_id
from tests.Queue import jobs
from tests.Queue.conftest import make_settings


@pytest.fixture
def queue(settings, log):
    return RedisQueue(settings, log)


@pytest.fixture
def run_id(redis_conn, queue_name):
    """A run ID of its own per test (on a queue of its own: RQ job IDs are global to the
    Redis database)."""
    run = f"nightly-{uuid.uuid4().hex[:8]}:every-day-at-03-00@2026-01-05T03:00:00Z"
    yield run
    for ordinal in (1, 2):
        redis_conn.delete(f"rq:job:{rq_job_id(run, ordinal, queue_name)}")


@pytest.fixture
def lease_key(redis_conn):
    key = f"test-lease-{uuid.uuid4().hex[:12]}"
    yield key
    redis_conn.delete(key)


def job_ids(redis_conn, queue_name):
    return Queue(queue_name, connection=redis_conn).job_ids


def test_a_scheduled_push_is_named_after_its_run(run_id, queue, redis_conn, queue_name, key):
    with push_scope(PushScope(run_id)):
        assert queue.push(jobs.record, key) is True
    assert job_ids(redis_conn, queue_name) == [rq_job_id(run_id, 1, queue_name)]


def test_a_retried_push_of_the_same_run_queues_nothing_twice(
    run_id, queue, log, redis_conn, queue_name, key
):
    for _attempt in range(3):  # the run is retried, e.g. by a new leader after a crash
        with push_scope(PushScope(run_id)):
            assert queue.push(jobs.record, key) is True
    assert job_ids(redis_conn, queue_name) == [rq_job_id(run_id, 1, queue_name)]
    assert len(log.find("was already queued as RQ job", logging.INFO)) == 2


def push_alone(queue, *args) -> bool:
    return queue.push(*args)


def push_in_a_batch(queue, fn, *args) -> bool:
    batch = queue.batch()
    push = batch.add(fn, args, {})
    batch.send()
    return push.accepted


@pytest.mark.parametrize("push", [push_alone, push_in_a_batch])
def test_projects_sharing_one_redis_each_queue_their_push_of_a_same_named_run(
    push, run_id, log, redis_conn, queue_name, key
):
    """A run ID is unique within one project, not among the projects that share a Redis (as
    docs/production.md allows): two may both have `cleanup:every-hour` due at 03:00, and RQ
    job IDs are global to the database. Each push is queued, on its own project's queue."""
    theirs_name = f"test-{uuid.uuid4().hex[:12]}"
    theirs = RedisQueue(make_settings(theirs_name), log)
    ours = RedisQueue(make_settings(queue_name), log)
    try:
        for queue in (theirs, ours):
            with push_scope(PushScope(run_id)):
                assert push(queue, jobs.record, key) is True
        theirs_queued = job_ids(redis_conn, theirs_name)
        ours_queued = job_ids(redis_conn, queue_name)
    finally:
        Queue(theirs_name, connection=redis_conn).delete(delete_jobs=True)
    assert log.find("was already queued") == []
    assert len(theirs_queued) == len(ours_queued) == 1, (theirs_queued, ours_queued)
    assert ours_queued != theirs_queued


def test_two_pushes_of_one_run_are_two_jobs(run_id, queue, redis_conn, queue_name, key):
    with push_scope(PushScope(run_id)):
        assert queue.push(jobs.record, key, "a") is True
        assert queue.push(jobs.record, key, "b") is True
    ordinals = (1, 2)
    assert job_ids(redis_conn, queue_name) == [rq_job_id(run_id, n, queue_name) for n in ordinals]


def test_a_delayed_push_is_named_and_queued_once(run_id, queue, redis_conn, queue_name, key):
    due = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    for _attempt in range(2):
        with push_scope(PushScope(run_id)):
            assert queue.push_at(due, jobs.record, key) is True
    registry = ScheduledJobRegistry(queue_name, connection=redis_conn)
    assert registry.get_job_ids() == [rq_job_id(run_id, 1, queue_name)]


def test_a_push_under_the_current_lease_is_queued(
    run_id, queue, redis_conn, queue_name, key, lease_key
):
    redis_conn.set(lease_key, "7|host:1")
    with push_scope(PushScope(run_id, Fence(lease_key, "7|host:1"))):
        assert queue.push(jobs.record, key) is True
    assert job_ids(redis_conn, queue_name) == [rq_job_id(run_id, 1, queue_name)]


@pytest.mark.parametrize("holder", ["8|other:2", None])
def test_a_stale_leaders_push_is_refused_and_said_so(
    run_id, queue, log, redis_conn, queue_name, key, lease_key, holder
):
    if holder:
        redis_conn.set(lease_key, holder)  # another replica took the lease over
    with push_scope(PushScope(run_id, Fence(lease_key, "7|host:1"))):
        assert queue.push(jobs.record, key) is False
    assert job_ids(redis_conn, queue_name) == []
    [line] = log.find("was not queued: run", logging.WARNING)
    assert run_id in line.message and "no longer holds" in line.message


def test_job_ids_are_valid_for_rq_and_distinct():
    a = rq_job_id("job:x@2026-01-05T03:00:00Z", 1, "default")
    b = rq_job_id("job_x@2026-01-05T03:00:00Z", 1, "default")
    elsewhere = rq_job_id("job:x@2026-01-05T03:00:00Z", 1, "other")
    assert len({a, b, elsewhere}) == 3
    assert all(ch.isalnum() or ch in "_-" for ch in a)
