"""The `redis` driver: jobs stored in Redis through RQ, run by `queues.py` workers.

Every push is checked first (can a worker import the function, do the arguments pickle?) and
refused with one error line when not. Accepted jobs carry the scheduler's run ID in
`job.meta["run_id"]`, and the push is logged with the RQ job ID next to it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import redis
from rq import Queue
from rq import Retry as RQRetry
from rq.job import Job

from equipment.Log.AbstractLogger import AbstractLogger
from equipment.Log.NullLogger import NullLogger
from equipment.Queue.AbstractQueue import AbstractQueue
from equipment.Queue.Options import PushOptions, split_options
from equipment.Queue.Outage import OutageGuard
from equipment.Queue.Pushable import describe, why_not_picklable, why_not_portable
from equipment.Queue.RedisConnection import FATAL_ERRORS, TRANSIENT_ERRORS, make_redis
from equipment.Queue.RunContext import get_run_id, note_push
from equipment.Queue.Settings import QueueSettings, scrub
from equipment.Queue.Timing import after, to_utc


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
        self.queue = Queue(r.queues[0], connection=self.connection, default_timeout=r.job_timeout)
        quick = connection or make_redis(r, socket_timeout=min(reply, r.connect_timeout))
        self._outage_queue = Queue(r.queues[0], connection=quick, default_timeout=r.job_timeout)
        self.guard = guard or OutageGuard(
            self.log,
            r.display,
            budget=r.push_retry_seconds,
            summary_seconds=r.outage_summary_seconds,
            transient=TRANSIENT_ERRORS,
            fatal=FATAL_ERRORS,
            secrets=r.secrets,
        )

    @property
    def name(self) -> str:
        """The queue pushes go to: the first configured one."""
        return self.queue.name

    def describe(self) -> str:
        return self.settings.description

    def push(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> bool:
        return self._submit(None, fn, args, kwargs)

    def push_at(self, when: dt.datetime, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> bool:
        try:
            due = to_utc(when, self.settings.timezone)
        except (TypeError, ValueError) as exc:
            return self._refuse(fn, str(exc))
        return self._submit(due, fn, args, kwargs)

    def push_in(
        self, delay: dt.timedelta | float, fn: Callable[..., Any], *args: Any, **kwargs: Any
    ) -> bool:
        try:
            due = after(delay)
        except (TypeError, ValueError) as exc:
            return self._refuse(fn, str(exc))
        return self._submit(due, fn, args, kwargs)

    def _submit(
        self, due: dt.datetime | None, fn: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> bool:
        try:
            options, kwargs = split_options(kwargs)
        except ValueError as exc:
            return self._refuse(fn, str(exc))
        problem = why_not_portable(fn) or why_not_picklable(args, kwargs)
        if problem:
            return self._refuse(fn, problem)
        run_id = get_run_id()
        what = describe(fn)
        meta = {"run_id": run_id, "function": what}  # the worker logs the same name
        ok, job = self.guard.call(
            lambda: self._enqueue(due, fn, args, kwargs, options, meta), what
        )
        if not ok or job is None:
            return False
        self._log_pushed(job, what, run_id, due)
        note_push(job.id)
        return True

    def _enqueue(
        self,
        due: dt.datetime | None,
        fn: Any,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        options: PushOptions,
        meta: dict[str, Any],
    ) -> Job:
        spec: dict[str, Any] = {
            "args": args,
            "kwargs": kwargs,
            "meta": meta,
            "result_ttl": self.settings.redis.result_ttl,
            "failure_ttl": self.settings.redis.failure_ttl,
        }
        if options.retry:
            spec["retry"] = RQRetry(max=options.retry.max, interval=list(options.retry.intervals))
        if options.job_timeout:
            spec["job_timeout"] = options.job_timeout
        queue = self._outage_queue if self.guard.down else self.queue
        if due is None:
            return queue.enqueue(fn, **spec)
        return queue.enqueue_at(due, fn, **spec)

    def _log_pushed(self, job: Job, what: str, run_id: str | None, due: dt.datetime | None) -> None:
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

    def _refuse(self, fn: Any, reason: str) -> bool:
        self.log.error(
            f"Refused to queue {describe(fn)}: {scrub(reason, self.settings.redis.secrets)}",
            extra={"function": describe(fn), "run_id": get_run_id(), "queue": self.name},
        )
        return False
