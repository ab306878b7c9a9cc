"""RQ workers that log each job's start, end and failure with its job and run IDs.

`EquipmentWorker` forks a work horse per job (RQ's default: a crash or timeout kills only the
horse); `EquipmentSimpleWorker` runs jobs in-process (tests, platforms without fork). Both
set the run ID from `job.meta` around the job, so pushes made by the job keep it.

What a job starts (subprocesses, multiprocessing, os.fork) ends with it: the forking
worker ends what is left in the work horse's process group when the horse has ended
(`Leftovers`), and a guard process does so if the worker itself is killed (`GroupGuard`).

Both also ride out a Redis outage. RQ 3.0 alone retries for ever with an ERROR line per try,
lets its scheduler process die with a traceback (and restarts it only at the next 10-minute
maintenance), and turns SIGTERM during the outage into a traceback. Here the worker's Redis
calls wait instead: the outage is logged once, then summarised every
`outage_summary_seconds`; the recovery is logged; the scheduler process is started again
(taking its lock again) as soon as Redis answers, so delayed jobs run; SIGTERM or Ctrl-C
during the outage stops the worker cleanly.

A job running during the outage goes on: the forking worker keeps watching its work horse
(RQ 3.0 let the heartbeat's ConnectionError end the worker and orphan the horse), and the
job's bookkeeping (start, result, failure) waits for Redis, so it is recorded, not lost or
turned into a failure. A stop signal meanwhile is a warm shutdown; a second one is cold.
The scheduler process is checked at every heartbeat, and an idle worker blocks for a job
at most `SCHEDULER_CHECK_SECONDS`, so a scheduler killed by a blip too short for the worker
to see is started again within seconds.
"""

from __future__ import annotations

import errno
import logging
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import redis
from rq import Retry as RQRetry
from rq import SimpleWorker, Worker
from rq.defaults import UNSERIALIZABLE_RETURN_VALUE_PAYLOAD as UNSERIALIZABLE
from rq.exceptions import InvalidJobOperation, StopRequested
from rq.executions import Execution
from rq.job import Job, JobStatus
from rq.job_lifecycle import call_exception_handlers
from rq.queue import Queue
from rq.scheduler import RQScheduler
from rq.timeouts import HorseMonitorTimeoutException
from rq.utils import now

from equipment.Log.AbstractLogger import AbstractLogger
from equipment.Log.NullLogger import NullLogger
from equipment.Queue.GroupGuard import GroupGuard
from equipment.Queue.Leftovers import GRACE_SECONDS, Ended, end_group
from equipment.Queue.ParentDeath import die_with_parent
from equipment.Queue.Pushable import describe, why_result_not_stored
from equipment.Queue.RedisConnection import CaughtOutage, is_outage
from equipment.Queue.Retry import MAX_INTERVAL_SECONDS, is_interval, returned_retry
from equipment.Queue.RunContext import run_context
from equipment.Queue.Settings import scrub

T = TypeVar("T")

# Redis did not answer (or something else answered on its port): worth waiting for. Caught
# by `CaughtOutage` (which lets any RedisError pass unless `is_outage`), or as RedisError
# where the other errors are handled too (`teardown`).
REDIS_ERROR = redis.exceptions.RedisError
_SIGHUP = getattr(signal, "SIGHUP", None)
FIRST_PAUSE = 0.25
MAX_PAUSE = 2.0
# How often a scheduler process that died is looked for (and started again).
SCHEDULER_CHECK_SECONDS = 5.0
# How long a scheduler process gets to end after SIGTERM before it is killed.
SCHEDULER_STOP_SECONDS = 3.0


class _QuietRetries(logging.Filter):
    """RQ's lines that the worker says better itself, lowered to DEBUG: the per-try "could
    not connect to Redis instance" ERROR (the worker logs the outage once, with summaries),
    and the warning that a job returned `Retry` past its `max` (the worker's failure line
    names the function and the run)."""

    SAID_BY_US = (
        "Worker %s: could not connect to Redis instance",
        "Worker %s: job %s has exceeded maximum retry attempts",
    )

    def filter(self, record: logging.LogRecord) -> bool:
        if str(record.msg).startswith(self.SAID_BY_US):
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

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.worker_pid = os.getpid()  # made by the worker; started as its child

    def register_birth(self) -> None:
        """In the child, RQ's `work()` calls this right after installing its SIGTERM handler:
        from then on, the worker's death is a SIGTERM (a clean stop, lock released)."""
        if os.getpid() != self.worker_pid:
            die_with_parent(signal.SIGTERM, self.worker_pid)
            if _SIGHUP is not None:  # a hang-up stops the worker, which stops this child
                signal.signal(_SIGHUP, signal.SIG_IGN)
        super().register_birth()

    def work(self) -> None:
        with CaughtOutage() as outage:
            super().work()
        if outage.caught:
            name = type(outage.error).__name__
            self.log.debug("Scheduler lost Redis (%s); the worker restarts it", name)


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
    force_stopped = False
    _running_job = False

    # -- riding out an outage -------------------------------------------------------------

    def _while_redis_answers(self, op: Callable[[], T], *, stoppable: bool = True) -> T:
        """`op()`, waiting out a Redis outage (logged once) and trying again after it."""
        while True:
            with CaughtOutage() as outage:
                return op()
            self._wait_for_redis(outage.error, stoppable=stoppable)

    def _wait_for_redis(self, exc: BaseException, *, stoppable: bool = True) -> None:
        """Block until Redis answers a PING. A stop signal meanwhile raises StopRequested
        (unless not `stoppable`: a job's result waiting to be recorded); a second one
        (cold shutdown) raises SystemExit."""
        self._outage_seen(exc)
        pause = FIRST_PAUSE
        while True:
            if self.force_stopped:
                raise SystemExit()
            if stoppable and self.stop_signalled:
                raise StopRequested()
            time.sleep(pause)
            pause = min(pause * 2, MAX_PAUSE)
            with CaughtOutage() as outage:
                self.connection.ping()  # type: ignore[attr-defined]
                break
            self._outage_seen(outage.error)
        self._outage_over()

    def _outage_seen(self, exc: BaseException) -> None:
        """Log the outage's start once, then a summary every `outage_summary_seconds`."""
        name: str = self.name  # type: ignore[attr-defined]
        extra = {"worker": name, "redis": self.redis_target}
        now = self.clock()
        # A work horse waiting to record its job: the worker watching it logs the outage.
        log = self.app_log.debug if self.is_horse else self.app_log.error  # type: ignore[attr-defined]
        if self.down_since is None:
            self.down_since = self._last_summary = now
            log(
                f"Worker {name} lost Redis at {self.redis_target} ({self._reason(exc)}); "
                f"waiting for it to answer again, summarised every "
                f"{self.outage_summary_seconds:g}s",
                extra=extra,
            )
        elif now - self._last_summary >= self.outage_summary_seconds:
            self._last_summary = now
            log(
                f"Worker {name}: Redis at {self.redis_target} still unreachable after "
                f"{now - self.down_since:.0f}s ({self._reason(exc)})",
                extra=extra,
            )

    def _outage_over(self) -> None:
        """Log the recovery (if an outage was seen) and start the scheduler again."""
        if self.down_since is None:
            return
        name: str = self.name  # type: ignore[attr-defined]
        elapsed = self.clock() - self.down_since
        self.down_since = None
        log = self.app_log.debug if self.is_horse else self.app_log.warning  # type: ignore[attr-defined]
        log(
            f"Worker {name}: Redis at {self.redis_target} answers again after {elapsed:.0f}s",
            extra={"worker": name, "redis": self.redis_target},
        )
        self._restart_scheduler(force=True)

    def _reason(self, exc: BaseException) -> str:
        return scrub(f"{type(exc).__name__}: {exc}", self.redis_secrets)

    def _restart_scheduler(self, *, force: bool = False) -> None:
        """Start RQ's scheduler process again if it died (it does when Redis goes away).

        Checking the process is cheap (no Redis), so it is done at every heartbeat; only a
        failed attempt to take the lock again waits `SCHEDULER_CHECK_SECONDS` before the next.
        """
        scheduler = getattr(self, "scheduler", None)
        if (
            scheduler is None
            or self._scheduler_args is None
            or self.stop_signalled
            or self.is_horse  # type: ignore[attr-defined]
        ):
            return
        process = scheduler._process
        if process is not None and process.is_alive():
            return
        if process is None and not force:
            return  # another worker holds the lock; RQ's maintenance tries again
        now = self.clock()
        if not force and now - self._scheduler_checked < SCHEDULER_CHECK_SECONDS:
            return
        self._scheduler_checked = now
        with CaughtOutage() as outage:
            acquired = scheduler.acquire_locks(auto_start=True)
        if outage.caught:
            return
        if acquired:
            self._scheduler_checked = 0.0
            self.app_log.info(
                f"Scheduler started again for {', '.join(sorted(acquired))}",
                extra={"worker": self.name},  # type: ignore[attr-defined]
            )

    @property
    def dequeue_timeout(self) -> int:
        """RQ blocks up to ~7 minutes waiting for a job; with a scheduler to look after, the
        wait is cut to `SCHEDULER_CHECK_SECONDS` so that a scheduler that died in a short
        Redis blip (unseen by the worker) is started again within seconds."""
        timeout: int = super().dequeue_timeout  # type: ignore[misc]
        if self._scheduler_args is not None:
            return max(1, min(timeout, int(SCHEDULER_CHECK_SECONDS)))
        return timeout

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
        if is_outage(exc):
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

    # -- a job's bookkeeping, made to wait ----------------------------------------------------
    # These run where the job runs (the work horse, or the simple worker itself). Without the
    # wait, a job ending during an outage is recorded as failed, or not at all.

    def _when_redis_answers(self, op: Callable[[], T]) -> T:
        """`op()` once Redis answers (waiting out an outage first), retried after an outage.

        A warm shutdown waits for this too (the job's result is recorded); a cold one does not.
        """
        self._while_redis_answers(self.connection.ping, stoppable=False)  # type: ignore[attr-defined]
        return self._while_redis_answers(op, stoppable=False)

    def execute_job(self, job: Job, queue: Queue) -> None:
        self._running_job = True
        try:
            super().execute_job(job, queue)  # type: ignore[misc]
        finally:
            self._running_job = False

    def prepare_job_execution(self, job: Job, *args: Any, **kwargs: Any) -> None:
        sup = super()
        self._when_redis_answers(lambda: sup.prepare_job_execution(job, *args, **kwargs))  # type: ignore[misc]

    def handle_execution_ended(self, job: Job, queue: Queue, heartbeat_ttl: int) -> None:
        sup = super()
        self._when_redis_answers(lambda: sup.handle_execution_ended(job, queue, heartbeat_ttl))  # type: ignore[misc]

    def handle_job_success(self, *args: Any, **kwargs: Any) -> None:
        sup = super()
        self._when_redis_answers(lambda: sup.handle_job_success(*args, **kwargs))  # type: ignore[misc]

    def handle_job_retry(self, job: Job, *args: Any, **kwargs: Any) -> None:
        """RQ counts the retry on the job (`number_of_retries`) before it writes it: an
        attempt an outage cut short (nothing written) must not count it again."""
        sup = super()
        counted = job.number_of_retries, job.enqueue_at_front_on_retry

        def attempt() -> None:
            job.number_of_retries, job.enqueue_at_front_on_retry = counted
            sup.handle_job_retry(job, *args, **kwargs)  # type: ignore[misc]

        self._when_redis_answers(attempt)

    def handle_job_failure(self, *args: Any, **kwargs: Any) -> None:
        # RQ logs (and swallows) a failed write of the failure itself; wait for Redis first.
        sup = super()
        self._when_redis_answers(lambda: sup.handle_job_failure(*args, **kwargs))  # type: ignore[misc]

    # -- stopping, with or without Redis --------------------------------------------------

    def _shutdown(self) -> None:
        if self._running_job:
            # A job runs (or is being recorded): a warm shutdown, the job finishes first,
            # whether or not Redis answers. Leaving now would orphan a work horse, or fail
            # the simple worker's job with StopRequested.
            self._stop_requested = True
            self.set_shutdown_requested_date()
            if getattr(self, "scheduler", None):
                self.stop_scheduler()  # type: ignore[attr-defined]
            return
        if self.down_since is not None:
            raise StopRequested()
        with CaughtOutage() as outage:
            super()._shutdown()  # type: ignore[misc]
        if outage.caught:
            raise StopRequested()

    def set_shutdown_requested_date(self) -> None:
        with CaughtOutage():
            super().set_shutdown_requested_date()  # type: ignore[misc]

    def stop_scheduler(self) -> None:
        """RQ's stop (SIGTERM, then join), but bounded.

        A scheduler process forked an instant before the stop (a restart racing SIGTERM) may
        still run the worker's inherited signal handler, which ignores SIGTERM; RQ would
        then wait for it for ever. It holds no work, only a lock that expires: kill it.
        """
        process = getattr(self.scheduler, "_process", None)  # type: ignore[attr-defined]
        if process is None or not process.pid:
            return
        try:
            os.kill(process.pid, signal.SIGTERM)
        except OSError:
            pass
        process.join(SCHEDULER_STOP_SECONDS)
        if process.is_alive():
            process.kill()
            process.join()

    def teardown(self) -> None:
        """RQ's teardown, on fresh connections, where a step that needs Redis is skipped
        while Redis is away."""
        if self.is_horse:  # type: ignore[attr-defined]
            return
        self._drop_idle_connections()
        if getattr(self, "scheduler", None):
            self.stop_scheduler()  # type: ignore[attr-defined]
        for step in (self.register_death, self.unsubscribe):  # type: ignore[attr-defined]
            try:
                step()
            except REDIS_ERROR as exc:
                if is_outage(exc):
                    self.app_log.debug(f"{step.__name__} skipped: Redis unreachable")
                    continue
                self.app_log.warning(
                    f"Worker {self.name}: {step.__name__} failed ({self._reason(exc)}); "  # type: ignore[attr-defined]
                    "its registration expires on its own",
                    extra={"worker": self.name},  # type: ignore[attr-defined]
                )

    def _drop_idle_connections(self) -> None:
        """Close the pool's idle connections before the last writes.

        RQ's stop signal raises StopRequested wherever the worker is. Between a command's
        send and its reply (the idle BLPOP waits up to `dequeue_timeout` for one), it puts
        back in the pool a connection that still owes that reply; the next command would
        read it as its own, and the blocked BLPOP could pop a job for nobody. Closing the
        socket makes Redis drop the BLPOP; the pub/sub thread's connection is in use and
        stays open.
        """
        pool = self.connection.connection_pool  # type: ignore[attr-defined]
        pool.disconnect(inuse_connections=False)

    def request_force_stop(self, signum: Any, frame: Any) -> None:
        """RQ's cold shutdown; remembered, so that a wait for Redis ends too. The job it
        cuts short is named: RQ leaves it started, and its cleanup moves it to the failed
        registry once the job's time is up."""
        # From this process's own table of executions, never Redis (it may be down).
        executions = getattr(self, "executions", {})
        job_id = next((e.job_id for e in executions.values()), None)
        try:
            super().request_force_stop(signum, frame)  # type: ignore[misc]
        except SystemExit:
            self.force_stopped = True
            if job_id is not None:
                self.app_log.warning(
                    f"Job {job_id} was cut short by the cold shutdown; RQ moves it to the "
                    "failed registry (AbandonedJobError) once its time is up",
                    extra={"rq_job_id": job_id},
                )
            raise

    def request_stop(self, signum: Any, frame: Any) -> None:
        """Remember that the stop was asked for, so `work()` can tell it from a crash. A
        second SIGHUP is a cold shutdown, as RQ makes a second SIGINT or SIGTERM."""
        self.stop_signalled = True
        if _SIGHUP is not None and signal.getsignal(_SIGHUP) == self.request_stop:
            signal.signal(_SIGHUP, self.request_force_stop)
        super().request_stop(signum, frame)  # type: ignore[misc]

    def setup_work_horse_signals(self) -> None:
        """RQ's horse ignores Ctrl-C (the worker stops warmly for it); a hang-up, which
        reaches the whole process group too, likewise."""
        super().setup_work_horse_signals()  # type: ignore[misc]
        if _SIGHUP is not None:
            signal.signal(_SIGHUP, signal.SIG_IGN)

    def perform_job(self, job: Job, queue: Queue, *args: Any) -> bool:
        run_id = job.meta.get("run_id")
        extra = job_extra(job)
        self.app_log.info(
            f"Job {job.id} started: {extra['function']} (run {run_id or '-'})", extra=extra
        )
        started = time.monotonic()
        with run_context(run_id):
            ok = super().perform_job(job, queue, *args)  # type: ignore[misc]
        if ok:
            elapsed = time.monotonic() - started
            retry = getattr(job, "returned_retry", None)  # (a `WorkedJob`)
            if retry is not None:
                self._log_returned_retry(job, retry, extra, elapsed)
            else:
                self.app_log.info(
                    f"Job {job.id} finished: {extra['function']} in {elapsed:.3f}s "
                    f"(run {run_id or '-'})",
                    extra={**extra, "seconds": round(elapsed, 3)},
                )
            problem = getattr(job, "unstorable", None)  # (a `WorkedJob`)
            if problem:  # RQ stores a placeholder instead, and says nothing
                self.app_log.warning(
                    f"Job {job.id} ({extra['function']}) returned a value that cannot be "
                    f"pickled: RQ keeps {UNSERIALIZABLE!r} as its result; return plain "
                    f"data, or nothing ({problem})",
                    extra=extra,
                )
        return ok

    def _log_returned_retry(
        self, job: Job, retry: RQRetry, extra: dict[str, Any], elapsed: float
    ) -> None:
        """A job that returned a `Retry` did not finish: RQ runs it again, or, once it has
        had `max` retries, fails it (RQ's own warning names no function nor run)."""
        if job.get_status(refresh=False) == JobStatus.FAILED:
            had = job.number_of_retries or 0  # (RQ compares it with this return's max)
            how = f"it returned Retry(max={retry.max}) once more after {had} retries"
            _log_failed(self.app_log, job, how, final=True)
            return
        wait = getattr(job, "retry_wait", 0)
        self.app_log.info(
            f"Job {job.id} returned a retry: {extra['function']} in {elapsed:.3f}s (run "
            f"{extra['run_id'] or '-'}); tried again {f'in {wait}s' if wait else 'at once'} "
            f"(retry {job.number_of_retries} of {retry.max})",
            extra={**extra, "seconds": round(elapsed, 3), "retry": job.number_of_retries},
        )

    def handle_exception(self, job: Job, *exc_info: Any) -> None:
        """Our handler logs the failure with the run ID; RQ's own copy of it is skipped."""
        call_exception_handlers(self._exc_handlers, job, *exc_info)  # type: ignore[attr-defined]


class WorkedJob(Job):
    """RQ's job as our worker loads and runs it (`job_class` brings the class, to the worker
    and its queues): it notes why its return value could not be stored (`perform`, RQ's
    public hook for running a job), and a retry RQ could not time is no retry (`restore`)."""

    unstorable: str | None = None
    unretriable: str | None = None
    returned_retry: RQRetry | None = None  # the job returned Retry(...): try it again
    retry_wait: int = 0  # seconds until that retry

    def restore(self, raw_data: Any) -> None:
        """RQ's loading of the job from Redis. A job queued by other code (raw RQ, an older
        push of ours) may hold a next retry interval RQ cannot turn into a time (NaN,
        infinity, too large for a float), or one our push refuses (beyond 3650 days): RQ's
        failure handling would raise on it, in the worker or in its registry cleaning, and
        end the worker. Such a job has no retry left: RQ fails it as any other, once (its
        callback, failure line, failed registry, dependents), and `unretriable` says why."""
        super().restore(raw_data)
        self.unretriable = _retry_problem(self)
        if self.unretriable:
            self.retries_left = 0

    def perform(self) -> Any:
        result = super().perform()
        retry = returned_retry(result)  # a RetryError here is the job's failure, saying why
        if retry is not None:  # RQ's Retry (ours mapped to it), whole seconds as a push's
            front = getattr(result, "enqueue_at_front", False) is True  # (an rq.Retry's)
            result = self.returned_retry = RQRetry(
                max=retry.max, interval=list(retry.intervals), enqueue_at_front=front
            )
            self.retry_wait = RQRetry.get_interval(self.number_of_retries or 0, result.intervals)
        self.unstorable = why_result_not_stored(result)
        return result


class EquipmentWorker(EquipmentWorkerMixin, Worker):
    worker_pid = 0
    _group_guard: GroupGuard | None = None

    @property
    def group_guard(self) -> GroupGuard:
        """Ends the running job's processes if this worker is killed (made at the first job)."""
        if self._group_guard is None:
            self._group_guard = GroupGuard(self._log_leftovers_of_killed_worker)
        return self._group_guard

    def _log_leftovers_of_killed_worker(self, extra: dict[str, Any], ended: Ended) -> None:
        log_leftovers(self.app_log, {**extra, "worker": self.name}, ended, "when its worker died")

    def fork_work_horse(self, job: Job, queue: Queue) -> None:
        """RQ's fork; the guard is told which job's group to end should this worker die."""
        self.group_guard.ensure_running()
        super().fork_work_horse(job, queue)
        self.group_guard.watch(self.horse_pid, job_extra(job))

    def teardown(self) -> None:
        super().teardown()
        if self._group_guard is not None:
            self._group_guard.stop()

    def main_work_horse(self, job: Job, queue: Queue) -> None:
        """The work horse dies with the worker (SIGKILL: a job's own SIGTERM handler must
        not keep it running with nobody to record its result)."""
        die_with_parent(signal.SIGKILL, self.worker_pid or os.getppid())
        super().main_work_horse(job, queue)

    def monitor_work_horse(self, job: Job, queue: Queue, execution: Execution) -> None:
        """RQ 3.0's `monitor_work_horse`, riding out an outage while the horse runs.

        RQ's heartbeats here go through pipelines; a ConnectionError ended the worker and
        orphaned the horse. Here a failed heartbeat logs the outage (once, then summaries)
        and monitoring goes on: the heartbeat is tried again every `job_monitoring_interval`
        and the horse is never left behind. Once the horse has ended, what the job left
        running in the horse's process group is ended (`Leftovers`, with a warning), and the
        horse's bookkeeping waits for Redis.
        """
        retpid = ret_val = rusage = None
        horse_group = self.horse_pid  # the horse leads a process group (RQ's setpgrp)
        job.started_at = now()
        while True:
            try:
                with self.death_penalty_class(
                    self.job_monitoring_interval, HorseMonitorTimeoutException
                ):
                    retpid, ret_val, rusage = self.wait_for_horse()
                break
            except HorseMonitorTimeoutException:
                assert job.started_at is not None
                working_time = (now() - job.started_at).total_seconds()
                if job.timeout != -1 and working_time > (job.timeout or 0) + 60:
                    self._try_heartbeat(
                        lambda: Worker.heartbeat(self, self.job_monitoring_interval + 60)
                    )
                    self.kill_horse()
                    self.wait_for_horse()
                    break
                self._try_heartbeat(lambda: self.maintain_heartbeats(job, execution))
            except OSError as e:
                if e.errno != errno.EINTR:
                    raise
                self._try_heartbeat(lambda: Worker.heartbeat(self))

        self._horse_pid = 0
        self.executions.pop(execution.id, None)
        log_leftovers(self.app_log, job_extra(job), end_group(horse_group), "after it ended")
        self.group_guard.clear()
        if self.down_since is not None:  # the outage began while the horse ran
            self._when_redis_answers(lambda: None)
            self._outage_over()
        self.log.debug(
            "Worker %s: work horse finished for job %s: retpid=%s, ret_val=%s",
            self.name,
            job.id,
            retpid,
            ret_val,
        )
        if ret_val == os.EX_OK:
            return
        try:
            job_status = self._when_redis_answers(job.get_status)
        except InvalidJobOperation:
            return
        if self._stopped_job_id == job.id:
            self._handle_stopped_job(job, queue, execution)
        elif job_status not in (JobStatus.FINISHED, JobStatus.FAILED):
            job.ended_at = now()
            signal_msg = (
                f" (signal {os.WTERMSIG(ret_val)})" if ret_val and os.WIFSIGNALED(ret_val) else ""
            )
            exc_string = (
                f"Work-horse terminated unexpectedly; waitpid returned {ret_val}{signal_msg}; "
            )
            self.log.debug("Worker %s: job %s failed (%s)", self.name, job.id, exc_string)
            log_horse_death(self.app_log, job, ret_val)
            self.handle_work_horse_killed(job, retpid, ret_val, rusage)
            self.handle_job_failure(job, queue=queue, exc_string=exc_string, execution=execution)

    def _try_heartbeat(self, op: Callable[[], Any]) -> None:
        """One try: during an outage it is logged and monitoring of the horse goes on."""
        with CaughtOutage() as outage:
            op()
        if outage.caught:
            self._outage_seen(outage.error)
            return
        self._outage_over()


class EquipmentSimpleWorker(EquipmentWorkerMixin, SimpleWorker):
    pass


def failure_logger(log: AbstractLogger) -> Callable[..., bool]:
    """An RQ exception handler: one line per failed attempt, the traceback attached."""

    def log_failure(job: Job, exc_type: type, exc_value: BaseException, tb: Any) -> bool:
        _log_failed(log, job, _how(exc_type, exc_value), exc_info=(exc_type, exc_value, tb))
        return True

    return log_failure


def _how(exc_type: type, exc_value: BaseException) -> str:
    """'Error: message'; for an error that says nothing itself, what caused it: RQ's
    `DeserializationError()`, when the worker cannot load a job's function or arguments
    (a class its code does not have), would otherwise leave the line empty after its name."""
    how = f"{exc_type.__name__}: {exc_value}"
    cause = exc_value.__cause__
    if str(exc_value) or cause is None:
        return how
    return f"{how}{type(cause).__name__}: {cause}"


def log_horse_death(log: AbstractLogger, job: Job, status: int | None) -> None:
    """The failure line of a job whose work horse died without recording it (os._exit(),
    a segfault, the OOM killer, killed a minute past its timeout): the job's exception
    handlers never ran, so without this line its run ID would appear in no failure."""
    if status is None:
        how = f"its work horse was killed, still running a minute past its timeout ({job.timeout}s)"
    elif os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        try:
            name = signal.Signals(number).name
        except ValueError:
            name = f"signal {number}"
        how = f"its work horse was killed by {name}"
        if number == signal.SIGKILL:
            how += " (the kernel's OOM killer, or kill -9)"
    else:
        code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else status
        how = f"its work horse exited with code {code} before the job returned (os._exit()?)"
    _log_failed(log, job, how, {"horse_status": status})


def _log_failed(
    log: AbstractLogger,
    job: Job,
    how: str,
    more: dict[str, Any] | None = None,
    exc_info: tuple[type, BaseException, Any] | None = None,
    *,
    final: bool = False,
) -> None:
    """The line of a failed attempt of `job` (`how` it failed): a warning while it has
    retries left, else (or when RQ failed it outright, `final`) an error saying where RQ
    keeps it (with the traceback, if any)."""
    retries_left = 0 if final else job.retries_left or 0
    extra = {**job_extra(job), "retries_left": retries_left, **(more or {})}
    base = f"Job {job.id} failed: {extra['function']} (run {extra['run_id'] or '-'}): {how}"
    if retries_left > 0:
        log.warning(f"{base}; {retries_left} retries left", extra=extra)
    else:  # (exc_info None: no traceback, as the stdlib logger takes it)
        log.error(f"{base}; {_kept(job)}", extra=extra, exc_info=exc_info)


def _kept(job: Job) -> str:
    """Where a failed job is kept, and why it was not retried if its retries could not be
    timed (a `WorkedJob`'s `unretriable`)."""
    reason = getattr(job, "unretriable", None)
    kept = f"kept in the failed job registry of {job.origin}"
    return f"{kept}, not retried: {reason}" if reason else kept


def log_leftovers(log: AbstractLogger, extra: dict[str, Any], ended: Ended, when: str) -> None:
    """One warning naming the job and the processes it left running (`Leftovers`)."""
    if not ended.terminated:
        return
    count = len(ended.terminated)
    text = (
        f"Job {extra['rq_job_id']} ({extra['function']}) left {count} "
        f"process{'es' if count > 1 else ''} running {when} (PID {_pids(ended.terminated)}): "
        "sent SIGTERM"
    )
    if ended.killed:
        text += f"; killed (SIGKILL) after {GRACE_SECONDS:g}s: PID {_pids(ended.killed)}"
    log.warning(text, extra={**extra, "pids": list(ended.terminated)})


def _pids(pids: tuple[int, ...]) -> str:
    return ", ".join(map(str, pids))


def _retry_problem(job: Job) -> str | None:
    """Why the job's next retry cannot be timed, if it has one left, else None. A falsy
    interval is none (RQ retries at once); any other must be one `Retry` accepts."""
    if not job.should_retry:
        return None
    try:
        interval = job.get_retry_interval()
    except (TypeError, IndexError, KeyError):  # not a list of intervals, or an empty one
        return f"its retry intervals {job.retry_intervals!r} give no wait for its next retry"
    if not interval or is_interval(interval):
        return None
    return (
        f"its next retry interval {interval!r} is not seconds from 0 to "
        f"{MAX_INTERVAL_SECONDS} (3650 days)"
    )


def job_extra(job: Job) -> dict[str, Any]:
    return {
        "rq_job_id": job.id,
        "run_id": job.meta.get("run_id"),
        "function": job_name(job),
        "queue": job.origin,
    }


def job_name(job: Job) -> str:
    """The name the pusher logged (`Pushable.describe`, kept in the job's meta); for a job
    pushed by other code, the same rule applied to what the job will call."""
    name = job.meta.get("function")
    if isinstance(name, str) and name:
        return name
    try:
        instance = job.instance
    except Exception:  # the job's data cannot be loaded here; its failure says why
        return UNLOADABLE
    if instance is None:
        return job.func_name
    if job.func_name == "__call__":
        return describe(instance)
    try:
        return describe(getattr(instance, job.func_name))
    except Exception:  # loaded, but its object lacks the method: the job fails saying so
        return job.func_name


#: The name of a job pushed by other code (no name in its meta) whose data this worker
#: cannot load: RQ keeps the function's name in the same pickle as the arguments, so a
#: class the worker's code lacks hides the function too (`job.func_name` raises again).
UNLOADABLE = "(a job this worker cannot load)"


@contextmanager
def stop_on_hangup(worker: Any) -> Iterator[None]:
    """SIGHUP (the terminal closed, a process manager's hang-up) asks `worker` for a warm
    shutdown, as SIGTERM does and as it does the scheduler: RQ handles SIGINT and SIGTERM
    only, and SIGHUP's default would end the worker at once, its registration left in
    Redis. Started with SIGHUP ignored (`nohup`), it stays ignored. Restored afterwards."""
    if (
        _SIGHUP is None
        or threading.current_thread() is not threading.main_thread()
        or signal.getsignal(_SIGHUP) == signal.SIG_IGN
    ):
        yield
        return
    saved = signal.signal(_SIGHUP, worker.request_stop)
    try:
        yield
    finally:
        signal.signal(_SIGHUP, saved)
