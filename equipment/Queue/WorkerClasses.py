"""RQ workers that log each job's start, end and failure with its job and run IDs.

`EquipmentWorker` forks a work horse per job (RQ's default: a crash or timeout kills only the
horse); `EquipmentSimpleWorker` runs jobs in-process (tests, platforms without fork). Both
set the run ID from `job.meta` around the job, so pushes made by the job keep it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from rq import SimpleWorker, Worker
from rq.job import Job
from rq.job_lifecycle import call_exception_handlers
from rq.queue import Queue

from equipment.Log.AbstractLogger import AbstractLogger
from equipment.Log.NullLogger import NullLogger
from equipment.Queue.RunContext import run_context


class EquipmentWorkerMixin:
    app_log: AbstractLogger = NullLogger()
    stop_signalled = False

    def request_stop(self, signum: Any, frame: Any) -> None:
        """Remember that the stop was asked for, so `work()` can tell it from a crash."""
        self.stop_signalled = True
        super().request_stop(signum, frame)  # type: ignore[misc]

    def perform_job(self, job: Job, queue: Queue, *args: Any) -> bool:
        run_id = job.meta.get("run_id")
        extra = job_extra(job)
        self.app_log.info(
            f"Job {job.id} started: {job.func_name} (run {run_id or '-'})", extra=extra
        )
        started = time.monotonic()
        with run_context(run_id):
            ok = super().perform_job(job, queue, *args)  # type: ignore[misc]
        if ok:
            elapsed = time.monotonic() - started
            self.app_log.info(
                f"Job {job.id} finished: {job.func_name} in {elapsed:.3f}s (run {run_id or '-'})",
                extra={**extra, "seconds": round(elapsed, 3)},
            )
        return ok

    def handle_exception(self, job: Job, *exc_info: Any) -> None:
        """Our handler logs the failure with the run ID; RQ's own copy of it is skipped."""
        call_exception_handlers(self._exc_handlers, job, *exc_info)  # type: ignore[attr-defined]


class EquipmentWorker(EquipmentWorkerMixin, Worker):
    pass


class EquipmentSimpleWorker(EquipmentWorkerMixin, SimpleWorker):
    pass


def failure_logger(log: AbstractLogger) -> Callable[..., bool]:
    """An RQ exception handler: one line per failed attempt, the traceback attached."""

    def log_failure(job: Job, exc_type: type, exc_value: BaseException, tb: Any) -> bool:
        run_id = job.meta.get("run_id")
        retries_left = job.retries_left or 0
        base = f"Job {job.id} failed: {job.func_name} (run {run_id or '-'}): "
        reason = f"{exc_type.__name__}: {exc_value}"
        extra = {**job_extra(job), "retries_left": retries_left}
        if retries_left > 0:
            log.warning(f"{base}{reason}; {retries_left} retries left", extra=extra)
        else:
            log.error(
                f"{base}{reason}; kept in the failed job registry of {job.origin}",
                extra=extra,
                exc_info=(exc_type, exc_value, tb),
            )
        return True

    return log_failure


def job_extra(job: Job) -> dict[str, Any]:
    return {
        "rq_job_id": job.id,
        "run_id": job.meta.get("run_id"),
        "function": job.func_name,
        "queue": job.origin,
    }
