"""Executes one occurrence of a job: run it, time it, log it, call its hooks. Never raises.

A job's exception becomes a failure record logged with its traceback, job ID and run ID;
the job keeps its schedule and the other jobs keep running. That includes `SystemExit`
(a job calling `sys.exit()`), a `KeyboardInterrupt` the job raised itself, and any other
`BaseException` (`GeneratorExit`, asyncio's `CancelledError`): they end the job, not the
scheduler. What passes through is only what stops the process: the shutdown
grace running out, or an interrupt arriving while a stop was already under way; the run is
logged as interrupted first. An `async def` job is run to its end (`asyncio.run`), as the
queue runs one.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from logging import INFO
from types import CoroutineType
from typing import TYPE_CHECKING, Any

from equipment.Log.AbstractLogger import AbstractLogger
from equipment.Queue.PushBatch import DeferredPush, PushBatch
from equipment.Queue.RunContext import PushScope, enter_run, leave_run
from equipment.Scheduler.Clock import Clock
from equipment.Scheduler.Lifecycle import Lifecycle
from equipment.Scheduler.Occurrences import SHORTEST_SPACING
from equipment.Scheduler.RunRecord import FAILURE, SUCCESS, RunRecord
from equipment.Scheduler.Signals import ShutdownGraceExpired

if TYPE_CHECKING:
    from equipment.Queue.RunContext import Fence
    from equipment.Scheduler.Job import Job


PUSH_RETURNED_FALSE = (
    "push returned False: the work was not queued, or with the sync queue it failed "
    "(the queue's log says why)"
)


_SHORTEST_SPACING = SHORTEST_SPACING.total_seconds()  # (compared with every run's duration)


_NO_TIME = "0.0 ms"


class QueuePushFailed(Exception):
    """A `do(queue.push, ...)` job whose push returned False: the work was not queued."""


class Runner:
    def __init__(self, clock: Clock, log: AbstractLogger, lifecycle: Lifecycle) -> None:
        self.clock = clock
        self.log = log
        self.lifecycle = lifecycle
        self.current: RunRecord | None = None
        self.interrupted: RunRecord | None = None  # a run cut short by a BaseException
        self._started = 0.0  # monotonic start of the current run

    def run(
        self,
        job: Job,
        record: RunRecord,
        fence: Fence | None = None,
        batch: PushBatch | None = None,
    ) -> None:
        """Run `job` for `record`; its pushes are named after the run and, with a `fence`,
        queued only while this process still holds the lease the run was claimed under.
        With a `batch`, a `do(queue.push, ...)` job's push joins it, and the run is
        reported when the batch is sent."""
        self._execute(job, record, fence, batch)
        deferred = record.result
        if isinstance(deferred, DeferredPush):
            deferred.on_done(lambda accepted: self._pushed(job, record, deferred, accepted))
            return
        self._report(job, record)
        if job.success_hooks or job.failure_hooks:
            self._call_hooks(job, record)

    def _pushed(self, job: Job, record: RunRecord, push: DeferredPush, accepted: bool) -> None:
        """A batched push was sent: the run's outcome is whether it was queued."""
        record.result = accepted
        record.queue_job_id = push.queue_job_id
        self._judge(job, record)
        self._report(job, record)
        self._call_hooks(job, record)

    def _judge(self, job: Job, record: RunRecord) -> None:
        if record.result is False and getattr(job, "pushes_to_queue", False):
            record.outcome = FAILURE
            record.error = QueuePushFailed(PUSH_RETURNED_FALSE)
        else:
            record.outcome = SUCCESS

    def _execute(
        self, job: Job, record: RunRecord, fence: Fence | None, batch: PushBatch | None
    ) -> None:
        clock = self.clock
        record.started_at = clock.now()
        started = self._started = clock.monotonic()
        self.current = record  # before the start line: a stop signal may come at any point
        if self.log.is_enabled_for(INFO):
            self.log.info("Job %s started", record.job_id, extra=record.start_fields())
        try:
            run = enter_run(PushScope(record.run_id, fence))
            try:
                push_call = job.push_call
                if batch is not None and push_call is not None:
                    record.result = batch.add(push_call[1], push_call[2], push_call[3])
                else:
                    record.result = job.job_func()
                if type(record.result) is CoroutineType:  # an `async def` job: run its body
                    from equipment.Coroutines import run_to_the_end  # (asyncio only then)

                    record.result = run_to_the_end(record.result)
            finally:
                record.queue_job_id = leave_run(run)
            result = record.result
            if result is False:
                self._judge(job, record)
            elif not isinstance(result, DeferredPush):
                record.outcome = SUCCESS
        except Exception as error:
            self._failed(record, error)
        except (SystemExit, KeyboardInterrupt) as error:
            if self.lifecycle.accepts_runs:  # the job's own doing, not a stop of ours
                self._failed(record, error)
            else:
                self._interrupted(job, record, error)
                raise
        except BaseException as error:
            if isinstance(error, ShutdownGraceExpired):
                self._interrupted(job, record, error)
                raise
            self._failed(record, error)  # GeneratorExit, CancelledError...: the job's own
        finally:
            self.current = None
            record.duration = clock.monotonic() - started
            record.finished_at = clock.now()

    def abandon(self, error: BaseException) -> RunRecord | None:
        """The process leaves at once while a run is going (a second stop signal, a job
        that would not stop): close its record with `error`; None when no run is going."""
        record = self.current
        if record is not None:
            record.abandon(error, self.clock.now(), self.clock.monotonic() - self._started)
        return record

    def _failed(self, record: RunRecord, error: BaseException) -> None:
        record.outcome = FAILURE
        record.error = error
        record.traceback = traceback.format_exc()

    def _interrupted(self, job: Job, record: RunRecord, error: BaseException) -> None:
        record.outcome = FAILURE
        record.error = error
        self.interrupted = record
        if isinstance(error, ShutdownGraceExpired):
            return  # the scheduler says so, with the grace that ran out
        self.log.error(
            "Job %s was interrupted (%s) after %s",
            job.id,
            type(error).__name__,
            _seconds(self.clock.monotonic() - self._started),
            extra=record.start_fields(),
        )

    def _report(self, job: Job, record: RunRecord) -> None:
        if record.outcome == SUCCESS:
            if self.log.is_enabled_for(INFO):
                self.log.info(
                    "Job %s finished in %s",
                    record.job_id,
                    _seconds(record.duration),
                    extra=record.log_fields(),
                )
        elif isinstance(record.error, QueuePushFailed):
            # The queue has logged why (once per outage, then summaries): no traceback here.
            self.log.warning(
                "Job %s failed: %s", job.id, record.error, extra=record.log_fields()
            )
        else:
            error = record.error
            self.log.error(
                "Job %s failed after %s: %s: %s",
                job.id,
                _seconds(record.duration),
                type(error).__name__,
                error,
                exc_info=(type(error), error, error.__traceback__) if error else None,
                extra=record.log_fields(),
            )
        # A manual run (`schedule run`) is off the grid and holds no scheduler up.
        if (
            record.duration >= _SHORTEST_SPACING
            and not record.manual
            and record.duration > job.trigger.period().total_seconds()
        ):
            self.log.warning(
                "Job %s took %s, longer than its interval of %s: %s; push slow work to the "
                "queue or run it less often",
                job.id,
                _seconds(record.duration),
                _seconds(job.trigger.period().total_seconds()),
                "its runs overlap on the background threads (.without_overlapping() skips "
                "instead)"
                if job.background and not job.exclusive
                else "occurrences that fell due meanwhile are skipped",
                extra=record.log_fields(),
            )

    def _call_hooks(self, job: Job, record: RunRecord) -> None:
        hooks: tuple[Callable[[RunRecord], Any], ...]
        hooks = job.success_hooks if record.outcome == SUCCESS else job.failure_hooks
        for hook in hooks:
            try:
                hook(record)
            except Exception:
                self.log.exception(
                    "Job %s: hook %s raised",
                    job.id,
                    getattr(hook, "__name__", hook),
                    extra=record.log_fields(),
                )


def _seconds(value: float) -> str:
    if not value:
        return _NO_TIME  # every run on a fake clock: no float to format
    if value < 1:
        return f"{value * 1000:.1f} ms"
    return f"{value:.3f} s"
