"""The `redis` driver: jobs stored in Redis through RQ, run by `queues.py` workers.

Every push is checked first (can a worker import the function, do the arguments pickle?) and
refused with one error line when not. Accepted jobs carry the scheduler's run ID in
`job.meta["run_id"]`, and the push is logged with the RQ job ID next to it.

A push made by a scheduled run (`RunContext.PushScope`) uses an RQ job ID derived from the
run ID and is enqueued in one optimistic transaction (WATCH ... MULTI/EXEC): nothing is
queued when a job of that ID exists already (a retried push), nor when the scheduler lease
the run was claimed under has changed hands (a stale leader's push, see `Fence`).
"""

from __future__ import annotations

import copy
import datetime as dt
import logging
import threading
from collections.abc import Callable
from typing import Any

import redis
from rq import Queue
from rq import Retry as RQRetry
from rq.exceptions import DuplicateJobError
from rq.job import Job

from equipment.Errors import ConfigError, at_caller
from equipment.Log.AbstractLogger import AbstractLogger
from equipment.Log.NullLogger import NullLogger
from equipment.Queue.AbstractQueue import AbstractQueue, queue_name
from equipment.Queue.Options import PushOptions, split_options
from equipment.Queue.Outage import OutageGuard
from equipment.Queue.Pushable import describe, why_not_queueable
from equipment.Queue.PushedJob import PushedJob
from equipment.Queue.RedisConnection import (
    DENIED_ERRORS,
    is_fatal,
    is_outage,
    make_redis,
    missing_db,
)
from equipment.Queue.RedisPushBatch import RedisPushBatch
from equipment.Queue.RunContext import Fence, PushScope, get_push_scope, get_run_id, note_push
from equipment.Queue.Settings import QueueSettings, scrub
from equipment.Queue.Timing import after, to_utc

#: How often a once-only push looks again when a watched key changed under it (a lease
#: renewal touches the lease key, so one retry is ordinary).
WATCH_ATTEMPTS = 20


class RedisQueue(AbstractQueue):
    def __init__(
        self,
        settings: QueueSettings,
        log: AbstractLogger | None = None,
        connection: redis.Redis | None = None,
        guard: OutageGuard | None = None,
    ) -> None:
        self.settings = settings
        self.log = log or NullLogger()
        r = settings.redis
        # A reply never takes longer than the push's budget (a stalled Redis accepts the
        # connection and never answers); during an outage, one quick attempt: connect_timeout.
        reply = min(r.socket_timeout, max(r.push_retry_seconds, r.connect_timeout))
        self.connection = connection or make_redis(r, socket_timeout=reply)
        self.queue = Queue(
            r.queues[0],
            connection=self.connection,
            default_timeout=r.job_timeout,
            job_class=PushedJob,
        )
        quick = connection or make_redis(r, socket_timeout=min(reply, r.connect_timeout))
        self._outage_queue = Queue(
            r.queues[0], connection=quick, default_timeout=r.job_timeout, job_class=PushedJob
        )
        #: The queues `on(name)` made, by name, shared by all of them (one per name).
        self._named: dict[str, RedisQueue] = {r.queues[0]: self}
        self._named_lock = threading.Lock()
        self.guard = guard or OutageGuard(
            self.log,
            r.display,
            budget=r.push_retry_seconds,
            summary_seconds=r.outage_summary_seconds,
            transient=is_outage,
            fatal=is_fatal,
            refused=DENIED_ERRORS,
            secrets=r.secrets,
            # A stalled Redis: a timeout, or an attempt that took a connect's worth. Later
            # pushes fail at once while a PING with the normal timeouts looks for it.
            probe=self.connection.ping,
            stalled=(redis.exceptions.TimeoutError,),
            slow_after=r.connect_timeout,
            probe_every=min(r.connect_timeout, 1.0),
        )

    @property
    def name(self) -> str:
        """The queue pushes go to: the first configured one."""
        return self.queue.name

    def on(self, name: str) -> RedisQueue:
        """This queue, pushing to the RQ queue `name`: the same connections, outage guard
        and logger; one object per name, so `do(self.queue.on(name).push, ...)` jobs that fall
        due together are batched as other pushes are."""
        name = queue_name(name)
        with self._named_lock:
            named = self._named.get(name)
            if named is None:
                named = copy.copy(self)
                named.queue = self._rq_queue(name, self.queue.connection)
                named._outage_queue = self._rq_queue(name, self._outage_queue.connection)
                self._named[name] = named
        return named

    def _rq_queue(self, name: str, connection: redis.Redis) -> Queue:
        return Queue(
            name,
            connection=connection,
            default_timeout=self.settings.redis.job_timeout,
            job_class=PushedJob,
        )

    def check(self) -> None:
        """One PING at start, through the connection that tries once (at most
        `connect_timeout` when Redis is down, which is left to the pushes)."""
        try:
            self._outage_queue.connection.ping()
        except redis.RedisError as error:
            problem = missing_db(error, self.settings.redis)
            if problem:
                raise ConfigError(problem) from None

    def describe(self) -> str:
        return self.settings.description

    def push(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> bool:
        return self._submit(None, fn, args, kwargs)

    def push_at(self, when: dt.datetime, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> bool:
        try:
            due = to_utc(when, self.settings.timezone)
        except (TypeError, ValueError) as exc:
            return self.refuse(fn, str(exc))
        return self._submit(due, fn, args, kwargs)

    def push_in(
        self, delay: dt.timedelta | float, fn: Callable[..., Any], *args: Any, **kwargs: Any
    ) -> bool:
        try:
            due = after(delay)
        except (TypeError, ValueError) as exc:
            return self.refuse(fn, str(exc))
        return self._submit(due, fn, args, kwargs)

    def _submit(
        self, due: dt.datetime | None, fn: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> bool:
        try:
            options, kwargs = split_options(kwargs)
        except ValueError as exc:
            return self.refuse(fn, str(exc))
        problem = why_not_queueable(fn, args, kwargs)
        if problem:
            return self.refuse(fn, problem)
        run_id = get_run_id()
        what = describe(fn)
        meta = {"run_id": run_id, "function": what}  # the worker logs the same name
        scope = get_push_scope()
        # Made once, for every retry of this push.
        job_id = scope.next_job_id(self.name) if scope is not None else None
        try:
            ok, outcome = self.guard.call(
                lambda: self._enqueue(due, fn, args, kwargs, options, meta, job_id, scope), what
            )
        except Exception as error:  # not an outage (OOM, READONLY, no such db): one line
            problem = missing_db(error, self.settings.redis)
            if problem:
                return self._refused(fn, problem)
            reason = f"{type(error).__name__}: {error}"
            redis_at = self.settings.redis.display
            return self._refused(fn, f"Redis at {redis_at} refused it ({reason})")
        if not ok or outcome is None:
            return False
        job, fresh = outcome
        if job is None:
            return self.fenced(what, run_id)
        note_push(job.id)
        if not fresh:
            return self.already_queued(job, what, run_id)
        self.log_pushed(job, what, run_id, due)
        return True

    def _enqueue(
        self,
        due: dt.datetime | None,
        fn: Any,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        options: PushOptions,
        meta: dict[str, Any],
        job_id: str | None = None,
        scope: PushScope | None = None,
    ) -> tuple[Job | None, bool]:
        """(job, True) when queued now; (job, False) when that job ID was queued before;
        (None, False) when the fence refused the push."""
        spec = self.spec(args, kwargs, options, meta)
        queue = self.current_queue()
        if job_id is None:
            return self._put(queue, due, fn, spec), True
        return self._put_once(queue, due, fn, spec, job_id, scope.fence if scope else None)

    def spec(
        self,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        options: PushOptions,
        meta: dict[str, Any],
    ) -> dict[str, Any]:
        """RQ's enqueue arguments for one push (the queue's TTLs, the push's options)."""
        spec: dict[str, Any] = {
            "args": args,
            "kwargs": kwargs,
            "meta": meta,
            # RQ would describe the job by its call, arguments and all ('noop('s3cret')'),
            # in its lines and dashboards: the function's name says what it is.
            "description": meta["function"],
            "result_ttl": self.settings.redis.result_ttl,
            "failure_ttl": self.settings.redis.failure_ttl,
        }
        if options.retry:
            spec["retry"] = RQRetry(max=options.retry.max, interval=list(options.retry.intervals))
        if options.job_timeout:
            spec["job_timeout"] = options.job_timeout
        return spec

    def current_queue(self) -> Queue:
        """The RQ queue to write through: during an outage, the one that tries only once."""
        return self._outage_queue if self.guard.down else self.queue

    def batch(self) -> RedisPushBatch:
        return RedisPushBatch(self)

    def _put(self, queue: Queue, due: dt.datetime | None, fn: Any, spec: dict[str, Any]) -> Job:
        if due is None:
            return queue.enqueue(fn, **spec)
        return queue.enqueue_at(due, fn, **spec)

    def _put_once(
        self,
        queue: Queue,
        due: dt.datetime | None,
        fn: Any,
        spec: dict[str, Any],
        job_id: str,
        fence: Fence | None,
    ) -> tuple[Job | None, bool]:
        """Enqueue as `job_id` unless it exists or `fence` no longer holds, atomically."""
        if fence is None:  # RQ's own check-and-save script: one round trip
            try:
                return self._put(queue, due, fn, {**spec, "job_id": job_id, "unique": True}), True
            except DuplicateJobError:
                return Job.fetch(job_id, connection=queue.connection), False
        job_key = Job.key_for(job_id)
        watched = [job_key] + ([fence.key] if fence else [])
        for _ in range(WATCH_ATTEMPTS):
            with queue.connection.pipeline() as pipe:
                try:
                    pipe.watch(*watched)
                    if fence is not None and pipe.get(fence.key) != fence.value.encode():
                        return None, False
                    if pipe.exists(job_key):
                        return Job.fetch(job_id, connection=queue.connection), False
                    pipe.multi()
                    job = self._put(queue, due, fn, {**spec, "job_id": job_id, "pipeline": pipe})
                    pipe.execute()
                    return job, True
                except redis.WatchError:
                    continue  # the lease or the job changed meanwhile: look again
        raise redis.WatchError(f"job {job_id}: its keys kept changing ({WATCH_ATTEMPTS} tries)")

    def already_queued(self, job: Job, what: str, run_id: str | None) -> bool:
        self.log.info(
            f"{what} was already queued as RQ job {job.id} (run {run_id}): not queued again",
            extra={"rq_job_id": job.id, "run_id": run_id, "function": what},
        )
        return True

    def fenced(self, what: str, run_id: str | None) -> bool:
        self.log.warning(
            f"{what} was not queued: run {run_id} was claimed under a scheduler lease this "
            "process no longer holds (another replica leads now)",
            extra={"run_id": run_id, "function": what, "queue": self.name, "fenced": True},
        )
        return False

    def log_pushed(self, job: Job, what: str, run_id: str | None, due: dt.datetime | None) -> None:
        if not self.log.is_enabled_for(logging.INFO):
            return
        when = f" for {due.isoformat()}" if due else ""
        self.log.info(
            f"Queued {what} as RQ job {job.id} (run {run_id or '-'}) on {self.name}{when}",
            extra={
                "rq_job_id": job.id,
                "run_id": run_id,
                "function": what,
                "queue": self.name,
                "due": due.isoformat() if due else None,
            },
        )

    def refuse(self, fn: Any, reason: str) -> bool:
        """One line: the push of `fn` is refused for a mistake in the call, `reason`, named
        with the line of the user's code that made it (Redis's own refusals are not)."""
        return self._refused(fn, at_caller(reason))

    def _refused(self, fn: Any, reason: str) -> bool:
        self.log.error(
            f"Refused to queue {describe(fn)}: {scrub(reason, self.settings.redis.secrets)}",
            extra={"function": describe(fn), "run_id": get_run_id(), "queue": self.name},
        )
        return False
