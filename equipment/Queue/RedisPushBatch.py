"""A batch of pushes to Redis: one WATCH/MULTI/EXEC for all of them.

Each push keeps what a single push has (`RedisQueue._submit`): its RQ job ID from its run's
push scope (so a retried pass queues nothing twice), its run's lease fence (a stale leader's
push is refused), its log line. The batch leaves out pushes whose job exists already or
whose fence no longer holds, and queues the rest with RQ's `enqueue_many` in one
transaction. Only the fence keys are WATCHed: watching 10,000 job keys costs more than
queueing the jobs, and no other process writes a run's job IDs while the fence holds (with
no fence there is one scheduler process). A Redis outage fails the batch's runs together,
as it would fail each of their single pushes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import redis
from rq import Queue
from rq.job import Job

from equipment.Queue.Options import split_options
from equipment.Queue.Pushable import describe, why_not_queueable
from equipment.Queue.PushBatch import DeferredPush, PushBatch
from equipment.Queue.RunContext import get_push_scope, get_run_id
from equipment.Queue.Settings import scrub

if TYPE_CHECKING:
    from equipment.Queue.RedisQueue import RedisQueue

#: How often the batch looks again when a watched key changed under it.
WATCH_ATTEMPTS = 20

_QUEUED, _EXISTED, _FENCED = "queued", "existed", "fenced"


class RedisPushBatch(PushBatch):
    def __init__(self, queue: RedisQueue) -> None:
        super().__init__()
        self.queue = queue

    def add(self, fn: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> DeferredPush | bool:
        try:
            options, kwargs = split_options(kwargs)
        except ValueError as exc:
            return self.queue.refuse(fn, str(exc))
        problem = why_not_queueable(fn, args, kwargs)
        if problem:
            return self.queue.refuse(fn, problem)
        run_id, what = get_run_id(), describe(fn)
        scope = get_push_scope()
        spec = self.queue.spec(args, kwargs, options, {"run_id": run_id, "function": what})
        push = DeferredPush(
            fn,
            args,
            spec,
            what,
            run_id,
            scope.next_job_id(self.queue.name) if scope is not None else None,
            scope.fence if scope is not None else None,
        )
        self.pending.append(push)
        return push

    def send(self) -> None:
        pending, self.pending = self.pending, []
        if not pending:
            return
        outcome: dict[int, tuple[str, Job | None]] | None = None
        try:
            ok, outcome = self.queue.guard.call(
                lambda: self._put_all(pending), f"a batch of {len(pending)} pushes"
            )
            if not ok:
                outcome = None
        except Exception as error:  # not an outage (READONLY, OOM, a script error): one line
            self.queue.log.error(
                f"A batch of {len(pending)} pushes was not queued: {type(error).__name__}: "
                f"{scrub(str(error), self.queue.settings.redis.secrets)}",
                extra={"queue": self.queue.name},
            )
        finally:  # even when a stop interrupts the send, every run learns its outcome
            for push in pending:
                self._resolve(push, outcome.get(id(push)) if outcome else None)

    def _resolve(self, push: DeferredPush, result: tuple[str, Job | None] | None) -> None:
        if result is None:
            push.resolve(False)  # the outage, or the error, was logged once for the batch
            return
        kind, job = result
        if kind == _FENCED:
            push.resolve(self.queue.fenced(push.what, push.run_id))
        elif kind == _EXISTED:
            push.queue_job_id = job.id
            push.resolve(self.queue.already_queued(job, push.what, push.run_id))
        else:
            push.queue_job_id = job.id
            self.queue.log_pushed(job, push.what, push.run_id, None)
            push.resolve(True)

    def _put_all(self, pending: list[DeferredPush]) -> dict[int, tuple[str, Job | None]]:
        queue = self.queue.current_queue()
        fences = {push.fence for push in pending if push.fence is not None}
        for _ in range(WATCH_ATTEMPTS):
            with queue.connection.pipeline() as pipe:
                try:
                    return self._transaction(pipe, queue, pending, fences)
                except redis.WatchError:
                    continue  # a lease renewal touched the fence meanwhile: look again
        raise redis.WatchError(f"{len(pending)} pushes: their keys kept changing")

    def _transaction(
        self, pipe: Any, queue: Queue, pending: list[DeferredPush], fences: set
    ) -> dict[int, tuple[str, Job | None]]:
        if fences:
            pipe.watch(*(fence.key for fence in fences))
        lost = {fence for fence in fences if pipe.get(fence.key) != fence.value.encode()}
        existing = _existing(queue.connection, [push.job_id for push in pending if push.job_id])
        result: dict[int, tuple[str, Job | None]] = {}
        todo = []
        for push in pending:
            if push.fence in lost:
                result[id(push)] = (_FENCED, None)
            elif push.job_id in existing:
                result[id(push)] = (_EXISTED, Job.fetch(push.job_id, connection=queue.connection))
            else:
                todo.append(push)
        pipe.multi()
        datas = [_prepared(push) for push in todo]
        jobs = queue.enqueue_many(datas, pipeline=pipe) if datas else []
        pipe.execute()
        result.update({id(push): (_QUEUED, job) for push, job in zip(todo, jobs, strict=True)})
        return result


def _existing(connection: Any, job_ids: list[str]) -> set[str]:
    """The job IDs already queued (rare: a pass sent again): one EXISTS for all, and one
    pipelined EXISTS each only when some exist."""
    keys = [Job.key_for(job_id) for job_id in job_ids]
    if not keys or not connection.exists(*keys):
        return set()
    with connection.pipeline(transaction=False) as pipe:
        for key in keys:
            pipe.exists(key)
        found = pipe.execute()
    return {job_id for job_id, exists in zip(job_ids, found, strict=True) if exists}


def _prepared(push: DeferredPush) -> Any:
    spec = push.spec
    return Queue.prepare_data(
        push.fn,
        args=spec["args"],
        kwargs=spec["kwargs"],
        timeout=spec.get("job_timeout"),
        result_ttl=spec["result_ttl"],
        failure_ttl=spec["failure_ttl"],
        job_id=push.job_id,
        meta=spec["meta"],
        description=spec["description"],
        retry=spec.get("retry"),
    )
