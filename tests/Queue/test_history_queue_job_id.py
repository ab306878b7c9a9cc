"""A scheduled push to a real Redis queue leaves the RQ job ID in the occurrence's history."""

from __future__ import annotations

import datetime as dt

from equipment.Log.MemoryLogger import MemoryLogger
from equipment.Queue.RedisQueue import RedisQueue
from equipment.Queue.Settings import QueueSettings
from equipment.Scheduler.Clock import FakeClock
from equipment.Scheduler.Scheduler import Scheduler
from equipment.Scheduler.Testing import run_until
from tests.Queue.jobs import noop


def test_the_pushed_rq_job_id_is_kept_in_history(
    settings: QueueSettings, log: MemoryLogger, redis_conn: object
) -> None:
    queue = RedisQueue(settings, log)
    scheduler = Scheduler(log=log, queue=queue, clock=FakeClock(), settings={"timezone": "UTC"})
    scheduler.schedule.every(1).minutes.name("push").do(queue.push, noop)

    (run,) = run_until(scheduler, dt.timedelta(minutes=1, seconds=1))
    (row,) = scheduler.state.history("push")

    assert run.queue_job_id is not None
    assert row.queue_job_id == run.queue_job_id
    assert redis_conn.exists(f"rq:job:{run.queue_job_id}")  # type: ignore[attr-defined]
