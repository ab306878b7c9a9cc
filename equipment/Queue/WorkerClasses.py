"""RQ workers that log each job's start, end and failure with its job and run IDs.

`EquipmentWorker` forks a work horse per job (RQ's default: a crash or timeout kills only the
horse); `EquipmentSimpleWorker` runs jobs in-process (tests, platforms without fork). Both
set the run ID from `job.meta` around the job, so pushes made by the job keep it.

Both also ride out a Redis outage. RQ 3.0 alone retries for ever with an ERROR line per try,
lets its scheduler process die with a traceback (and restarts it only at the next 10-minute
maintenance), and turns SIGTERM during the outage into a traceback. Here the worker's Redis
calls wait instead: the outage is logged once, then summarised every
`outage_summary_seconds`; the recovery is logged; the scheduler process is started again
(taking its lock again) as soon as Redis answers, so delayed jobs run; SIGTERM or Ctrl-C
during the outage stops the worker cleanly.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any, TypeVar

import redis
from rq import SimpleWorker, Worker
from rq.exceptions import StopRequested
from rq.job import Job
from rq.job_lifecycle import call_exception_handlers
from rq.queue import Queue
from rq.scheduler import RQScheduler

from equipment.Log.AbstractLogger import AbstractLogger
from equipment.Log.NullLogger import NullLogger
from equipment.Queue.RunContext import run_context
from equipment.Queue.Settings import scrub

T = TypeVar("T")

# Redis did not answer: worth waiting for.
REDIS_DOWN: tuple[type[BaseException], ...] = (
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
)
FIRST_PAUSE = 0.25
MAX_PAUSE = 2.0
# How often a scheduler process that died is looked for (and started again).
SCHEDULER_CHECK_SECONDS = 5.0


class _QuietRetries(logging.Filter):
    """RQ's per-retry "could not connect to Redis instance" ERROR, lowered to DEBUG.

    The worker logs the outage itself, once, with summaries; RQ's line comes once per try.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if str(record.msg).startswith("Worker %s: could not connect to Redis instance"):
            record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        return True


_QUIET_RETRIES = _QuietRetries()


def quiet_rq_retries() -> None:
    """Install the filter on RQ's worker logger (once)."""
    logger = logging.getLogger("rq.worker")
    if _QUIET_RETRIES not in logger.filters:
        logger.addFilter(_QUIET_RETRIES)


class EquipmentScheduler(RQScheduler):
    """RQ's scheduler process, ending quietly (no traceback) when Redis goes away.

    The worker starts it again once Redis answers; it then takes its lock again.
    """

    def work(self) -> None:
        try:
            super().work()
        except REDIS_DOWN as exc:
            self.log.debug("Scheduler lost Redis (%s); the worker restarts it", type(exc).__name__)


class EquipmentWorkerMixin:
    app_log: AbstractLogger = NullLogger()
    stop_signalled = False
    redis_target = "Redis"
    redis_secrets: tuple[str, ...] = ()
    outage_summary_seconds = 60.0
    clock: Callable[[], float] = staticmethod(time.monotonic)
    down_since: float | None = None
    _last_summary = 0.0
    _scheduler_checked = 0.0
    _scheduler_args: tuple[Any, ...] | None = None

    # -- riding out an outage -------------------------------------------------------------

    def _while_redis_answers(self, op: Callable[[], T]) -> T:
        """`op()`, waiting out a Redis outage (logged once) and trying again after it."""
        while True:
            try:
                result = op()
            except REDIS_DOWN as exc:
                self._wait_for_redis(exc)
                continue
            return result

    def _wait_for_redis(self, exc: BaseException) -> None:
        """Block until Redis answers a PING; a stop signal meanwhile raises StopRequested."""
        name: str = self.name  # type: ignore[attr-defined]
        extra = {"worker": name, "redis": self.redis_target}
        if self.down_since is None:
            self.down_since = self._last_summary = self.clock()
            self.app_log.error(
                f"Worker {name} lost Redis at {self.redis_target} ({self._reason(exc)}); "
                f"waiting for it to answer again, summarised every "
                f"{self.outage_summary_seconds:g}s",
                extra=extra,
            )
        pause = FIRST_PAUSE
        while True:
            if self.stop_signalled:
                raise StopRequested()
            time.sleep(pause)
            pause = min(pause * 2, MAX_PAUSE)
            try:
                self.connection.ping()  # type: ignore[attr-defined]
                break
            except REDIS_DOWN as error:
                exc = error
            now = self.clock()
            if now - self._last_summary >= self.outage_summary_seconds:
                self._last_summary = now
                self.app_log.error(
                    f"Worker {name}: Redis at {self.redis_target} still unreachable after "
                    f"{now - self.down_since:.0f}s ({self._reason(exc)})",
                    extra=extra,
                )
        elapsed = self.clock() - self.down_since
        self.down_since = None
        self.app_log.warning(
            f"Worker {name}: Redis at {self.redis_target} answers again after {elapsed:.0f}s",
            extra=extra,
        )
        self._restart_scheduler(force=True)

    def _reason(self, exc: BaseException) -> str:
        return scrub(f"{type(exc).__name__}: {exc}", self.redis_secrets)

    def _restart_scheduler(self, *, force: bool = False) -> None:
        """Start RQ's scheduler process again if it died (it does when Redis goes away)."""
        scheduler = getattr(self, "scheduler", None)
        if scheduler is None or self._scheduler_args is None or self.stop_signalled:
            return
        now = self.clock()
        if not force and now - self._scheduler_checked < SCHEDULER_CHECK_SECONDS:
            return
        self._scheduler_checked = now
        process = scheduler._process
        if process is not None and process.is_alive():
            return
        if process is None and not force:
            return  # another worker holds the lock; RQ's maintenance tries again
        try:
            acquired = scheduler.acquire_locks(auto_start=True)
        except REDIS_DOWN:
            return
        if acquired:
            self.app_log.info(
                f"Scheduler started again for {', '.join(sorted(acquired))}",
                extra={"worker": self.name},  # type: ignore[attr-defined]
            )

    # -- RQ's Redis calls, made to wait -----------------------------------------------------

    def heartbeat(self, timeout: int | None = None, pipeline: Any = None) -> None:
        if pipeline is not None:
            return super().heartbeat(timeout, pipeline)  # type: ignore[misc]
        self._while_redis_answers(lambda: super(EquipmentWorkerMixin, self).heartbeat(timeout))  # type: ignore[misc]
        self._restart_scheduler()

    def set_state(self, state: str, pipeline: Any = None) -> None:
        if pipeline is not None:
            return super().set_state(state, pipeline)  # type: ignore[misc]
        self._while_redis_answers(lambda: super(EquipmentWorkerMixin, self).set_state(state))  # type: ignore[misc]

    def check_for_suspension(self, burst: bool) -> None:
        self._while_redis_answers(
            lambda: super(EquipmentWorkerMixin, self).check_for_suspension(burst)  # type: ignore[misc]
        )

    def run_maintenance_tasks(self) -> None:
        self._while_redis_answers(super().run_maintenance_tasks)  # type: ignore[misc]

    def _pubsub_exception_handler(self, exc: Exception, pubsub: Any, thread: Any) -> None:
        """RQ's command channel thread: retry every 2 s during an outage, quietly."""
        if isinstance(exc, redis.exceptions.ConnectionError):
            time.sleep(2.0)
            return
        super()._pubsub_exception_handler(exc, pubsub, thread)  # type: ignore[misc]

    def _start_scheduler(
        self,
        burst: bool = False,
        logging_level: Any = "INFO",
        date_format: str = "",
        log_format: str = "",
    ) -> None:
        """RQ's `_start_scheduler`, with `EquipmentScheduler`, remembered for restarts."""
        from rq.defaults import DEFAULT_LOGGING_DATE_FORMAT, DEFAULT_LOGGING_FORMAT

        self.scheduler = EquipmentScheduler(
            self.queues,  # type: ignore[attr-defined]
            connection=self.connection,  # type: ignore[attr-defined]
            logging_level=logging_level if logging_level is not None else "INFO",
            date_format=date_format or DEFAULT_LOGGING_DATE_FORMAT,
            log_format=log_format or DEFAULT_LOGGING_FORMAT,
            serializer=self.serializer,  # type: ignore[attr-defined]
        )
        self._while_redis_answers(self.scheduler.acquire_locks)
        if burst:
            if self.scheduler.acquired_locks:
                try:
                    self.scheduler.register_birth()
                    self.scheduler.enqueue_scheduled_jobs()
                finally:
                    self.scheduler.release_locks()
                    self.scheduler.register_death()
            return
        self._scheduler_args = (logging_level, date_format, log_format)
        if self.scheduler.acquired_locks:
            self.scheduler.start()

    # -- stopping, with or without Redis --------------------------------------------------

    def _shutdown(self) -> None:
        if self.down_since is not None:
            raise StopRequested()
        super()._shutdown()  # type: ignore[misc]

    def set_shutdown_requested_date(self) -> None:
        try:
            super().set_shutdown_requested_date()  # type: ignore[misc]
        except REDIS_DOWN:
            pass

    def teardown(self) -> None:
        """RQ's teardown, where a step that needs Redis is skipped while Redis is away."""
        if self.is_horse:  # type: ignore[attr-defined]
            return
        if getattr(self, "scheduler", None):
            self.stop_scheduler()  # type: ignore[attr-defined]
        for step in (self.register_death, self.unsubscribe):  # type: ignore[attr-defined]
            try:
                step()
            except REDIS_DOWN:
                self.app_log.debug(f"{step.__name__} skipped: Redis unreachable")

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
