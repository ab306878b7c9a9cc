"""(g) pushes to Redis when N jobs fall due together.

Ours: N jobs `every(10).seconds.do(scheduler.queue.push, noop)` on a redis queue; a fake
clock moves 10 s and one `tick()` pushes them all. RQ's CronScheduler: N interval jobs,
its first `enqueue_jobs()` pushes them all. Baselines: a loop of RQ's `Queue.enqueue`, and
`Queue.enqueue_many` in batches of 100. Redis on 127.0.0.1:6379, db 15, throw-away queues.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Callable
from typing import Any

from peers.recorder import noop
from peers.stats import Unsupported

BATCH = 100


def _ours(jobs: int, name: str) -> tuple[float, int]:
    from equipment.Log.NullLogger import NullLogger
    from equipment.Queue.QueueFactory import QueueFactory
    from equipment.Scheduler.Clock import FakeClock
    from equipment.Scheduler.Scheduler import Scheduler

    clock = FakeClock(dt.datetime.now(dt.UTC))
    config = {"connection": "redis", "redis": {"db": 15, "queues": name}}
    queue = QueueFactory(config=config, log=NullLogger())
    scheduler = Scheduler(queue=queue, clock=clock, settings={"timezone": "UTC"})
    for number in range(jobs):
        scheduler.schedule.every(10).seconds.name(f"push-{number}").do(queue.push, noop)
    scheduler.schedule.sync_state()  # start-up work (anchors stored), as run() does first
    clock.advance(10)
    started = time.perf_counter()
    scheduler.tick()
    return time.perf_counter() - started, queue.queue.count  # type: ignore[attr-defined]


def _rq_cron(jobs: int, name: str) -> tuple[float, int]:
    import logging

    from rq import Queue
    from rq.cron import CronScheduler

    queue = Queue(name, connection=_redis())
    cron = CronScheduler(queue.connection, logging_level=logging.WARNING, name=name)
    for _ in range(jobs):
        cron.register(noop, name, interval=10, name=name)
    started = time.perf_counter()
    cron.enqueue_jobs()
    elapsed = time.perf_counter() - started
    from rq.cron import get_cron_job_history_key
    from rq.cron_job_registry import get_registry_key

    queue.connection.delete(get_cron_job_history_key(name))
    queue.connection.zrem(get_registry_key(), name)
    return elapsed, queue.count


def _enqueue(jobs: int, name: str) -> tuple[float, int]:
    from rq import Queue

    queue = Queue(name, connection=_redis())
    started = time.perf_counter()
    for _ in range(jobs):
        queue.enqueue(noop)
    return time.perf_counter() - started, queue.count


def _enqueue_many(jobs: int, name: str) -> tuple[float, int]:
    from rq import Queue

    queue = Queue(name, connection=_redis())
    started = time.perf_counter()
    for first in range(0, jobs, BATCH):
        batch = [Queue.prepare_data(noop) for _ in range(first, min(jobs, first + BATCH))]
        queue.enqueue_many(batch)
    return time.perf_counter() - started, queue.count


def _redis() -> Any:
    from redis import Redis

    return Redis(db=15)


WAYS: dict[str, Callable[[int, str], tuple[float, int]]] = {
    "ours": _ours,
    "rq-cron": _rq_cron,
    "rq-enqueue": _enqueue,
    "rq-enqueue-many": _enqueue_many,
}


def run(peer: str, jobs: int = 1000) -> dict[str, Any]:
    if peer not in WAYS:
        raise Unsupported("no queue integration; a job calling `Queue.enqueue` is that row")
    from redis.exceptions import ConnectionError
    from rq import Queue

    name = f"bench-push-{uuid.uuid4().hex[:8]}"
    try:
        elapsed, pushed = WAYS[peer](jobs, name)
    except ConnectionError as error:
        raise Unsupported(f"needs Redis on 127.0.0.1:6379 ({error})") from None
    finally:
        Queue(name, connection=_redis()).delete(delete_jobs=True)
    return {"jobs": jobs, "pushed": pushed, "pushes_per_s": pushed / elapsed}
