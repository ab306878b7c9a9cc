"""Pushes that fall due together reach Redis in one step, each keeping its own run ID,
RQ job ID, fence, log line and outcome (real Redis, db 15)."""

from __future__ import annotations

import datetime as dt
import logging
import uuid

import pytest
from rq import Queue

from equipment.Queue.RedisQueue import RedisQueue
from equipment.Queue.RunContext import Fence, PushScope, push_scope, rq_job_id
from equipment.Scheduler.Clock import FakeClock
from equipment.Scheduler.Scheduler import Scheduler
from tests.Queue import jobs

START = dt.datetime(2026, 1, 5, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def queue(settings, log):
    return RedisQueue(settings, log)


@pytest.fixture
def prefix(redis_conn):
    """Job names of their own per test: RQ job IDs are global to the Redis database."""
    name = f"batch-{uuid.uuid4().hex[:8]}"
    yield name
    for key in redis_conn.scan_iter(match=f"rq:job:*{name}*"):
        redis_conn.delete(key)


def pushing_scheduler(queue, log, prefix: str, count: int) -> Scheduler:
    scheduler = Scheduler(
        log=log, queue=queue, clock=FakeClock(START), settings={"timezone": "UTC"}
    )
    for number in range(count):
        scheduler.schedule.every(10).seconds.name(f"{prefix}-{number}").do(
            queue.push, jobs.record, f"{prefix}-key", str(number)
        )
    return scheduler


def sends(monkeypatch) -> list[int]:
    """Record the size of every enqueue_many call, and refuse single enqueues."""
    sizes: list[int] = []
    original = Queue.enqueue_many

    def enqueue_many(self, datas, *args, **kwargs):
        datas = list(datas)
        sizes.append(len(datas))
        return original(self, datas, *args, **kwargs)

    monkeypatch.setattr(Queue, "enqueue_many", enqueue_many)
    monkeypatch.setattr(Queue, "enqueue", lambda *a, **k: pytest.fail("a single enqueue"))
    return sizes


def test_pushes_due_together_are_sent_in_one_step_each_with_its_own_run(
    queue, log, prefix, redis_conn, queue_name, monkeypatch
):
    scheduler = pushing_scheduler(queue, log, prefix, 5)
    scheduler.clock.advance(10)
    sizes = sends(monkeypatch)

    records = scheduler.tick()

    assert sizes == [5]
    assert [r.outcome for r in records] == ["success"] * 5
    expected = [rq_job_id(r.run_id, 1, queue_name) for r in records]
    assert [r.queue_job_id for r in records] == expected
    assert sorted(Queue(queue_name, connection=redis_conn).job_ids) == sorted(expected)
    assert len(log.find("Queued tests.Queue.jobs.record as RQ job")) == 5


def test_pushes_to_another_queue_due_together_are_batched_on_that_queue(
    queue, log, prefix, redis_conn, queue_name, monkeypatch
):
    other = f"{prefix}-reports"
    scheduler = pushing_scheduler(queue, log, prefix, 2)
    for number in range(2):
        scheduler.schedule.every(10).seconds.name(f"{prefix}-slow-{number}").do(
            queue.on(other).push, jobs.record, f"{prefix}-key", f"slow {number}"
        )
    scheduler.clock.advance(10)
    sizes = sends(monkeypatch)
    try:
        records = scheduler.tick()

        assert sorted(sizes) == [2, 2]
        assert [r.outcome for r in records] == ["success"] * 4
        slow = [r for r in records if "-slow-" in r.job_id]
        expected = sorted(rq_job_id(r.run_id, 1, other) for r in slow)
        assert sorted(r.queue_job_id for r in slow) == expected
        assert sorted(Queue(other, connection=redis_conn).job_ids) == expected
        assert len(Queue(queue_name, connection=redis_conn).job_ids) == 2
    finally:
        Queue(other, connection=redis_conn).delete(delete_jobs=True)


def test_a_push_refused_at_once_fails_its_own_run_only(queue, log, prefix, monkeypatch):
    scheduler = pushing_scheduler(queue, log, prefix, 3)
    scheduler.schedule.every(10).seconds.name(f"{prefix}-bad").do(queue.push, lambda: None)
    scheduler.clock.advance(10)
    sizes = sends(monkeypatch)

    records = {r.job_id: r for r in scheduler.tick()}

    assert sizes == [3]
    assert records[f"{prefix}-bad"].outcome == "failure"
    assert [records[f"{prefix}-{n}"].outcome for n in range(3)] == ["success"] * 3


def test_a_batched_push_with_an_option_the_function_does_not_take_fails_its_run_only(
    queue, log, prefix, monkeypatch
):
    scheduler = pushing_scheduler(queue, log, prefix, 2)
    bad = scheduler.schedule.every(10).seconds.name(f"{prefix}-bad")
    bad.do(queue.push, jobs.record, f"{prefix}-key", timeout=30)
    scheduler.clock.advance(10)
    sizes = sends(monkeypatch)

    records = {r.job_id: r for r in scheduler.tick()}

    assert sizes == [2]
    assert records[f"{prefix}-bad"].outcome == "failure"
    [refused] = log.find("Refused to queue tests.Queue.jobs.record", logging.ERROR)
    assert "unexpected keyword argument 'timeout'" in refused.message


def test_a_pass_sent_again_queues_nothing_twice(queue, log, prefix, redis_conn, queue_name):
    run_ids = [f"{prefix}-{n}@2026-01-05T12:00:10Z" for n in range(3)]

    for _ in range(2):  # the same runs, pushed twice (a retried pass)
        batch = queue.batch()
        pushes = []
        for run_id in run_ids:
            with push_scope(PushScope(run_id)):
                pushes.append(batch.add(jobs.noop, (), {}))
        batch.send()
        assert [push.accepted for push in pushes] == [True, True, True]

    assert len(Queue(queue_name, connection=redis_conn).job_ids) == 3
    assert len(log.find("was already queued as RQ job")) == 3


def test_a_lost_fence_refuses_its_pushes_and_says_so(queue, log, prefix, redis_conn, queue_name):
    lease = f"{prefix}-lease"
    redis_conn.set(lease, "token-2")  # another replica leads now
    batch = queue.batch()
    with push_scope(PushScope(f"{prefix}-a@2026-01-05T12:00:10Z", Fence(lease, "token-1"))):
        stale = batch.add(jobs.noop, (), {})
    with push_scope(PushScope(f"{prefix}-b@2026-01-05T12:00:10Z")):
        unfenced = batch.add(jobs.noop, (), {})

    batch.send()

    assert (stale.accepted, unfenced.accepted) == (False, True)
    assert len(Queue(queue_name, connection=redis_conn).job_ids) == 1
    assert log.find("was not queued: run", logging.WARNING)
    redis_conn.delete(lease)


def test_one_push_due_alone_is_not_batched(queue, log, prefix, monkeypatch):
    scheduler = pushing_scheduler(queue, log, prefix, 1)
    scheduler.clock.advance(10)
    monkeypatch.setattr(Queue, "enqueue_many", lambda *a, **k: pytest.fail("batched"))

    [record] = scheduler.tick()

    assert record.outcome == "success"


def test_an_outage_fails_every_run_of_the_batch_with_one_line(server, log, prefix):
    from tests.Queue.conftest import make_settings
    from tests.Queue.helpers import PASSWORD

    settings = make_settings(
        f"q-{prefix}", port=server.port, password=PASSWORD, push_retry_seconds=0.2
    )
    queue = RedisQueue(settings, log)
    scheduler = pushing_scheduler(queue, log, prefix, 4)
    server.stop()
    scheduler.clock.advance(10)

    records = scheduler.tick()

    assert [r.outcome for r in records] == ["failure"] * 4
    [outage] = log.find("is unreachable", logging.ERROR)
    assert "a batch of 4 pushes was not queued" in outage.message


def test_a_batch_that_redis_refuses_fails_its_runs_with_one_line_and_the_loop_goes_on(
    queue, log, prefix, monkeypatch
):
    import redis

    from equipment.Queue.RedisPushBatch import RedisPushBatch

    def refuse(self, pending):
        raise redis.exceptions.ResponseError(
            "READONLY You can't write against a read only replica."
        )

    monkeypatch.setattr(RedisPushBatch, "_put_all", refuse)
    scheduler = pushing_scheduler(queue, log, prefix, 3)
    scheduler.clock.advance(10)

    records = scheduler.tick()

    assert [r.outcome for r in records] == ["failure"] * 3
    [line] = log.find("A batch of 3 pushes was not queued", logging.ERROR)
    assert "ResponseError: READONLY" in line.message
    assert all(job.next_run_at > scheduler.clock.now() for job in scheduler.schedule.jobs)


def test_a_stop_during_the_send_still_completes_every_run_of_the_batch(
    queue, log, prefix, monkeypatch
):
    from equipment.Queue.RedisPushBatch import RedisPushBatch

    class Stop(BaseException):
        pass

    def interrupted(self, pending):
        raise Stop()

    monkeypatch.setattr(RedisPushBatch, "_put_all", interrupted)
    scheduler = pushing_scheduler(queue, log, prefix, 3)
    scheduler.clock.advance(10)

    with pytest.raises(Stop):
        scheduler.tick()

    records = scheduler.schedule.dispatcher.drain()
    assert [r.outcome for r in records] == ["failure"] * 3
