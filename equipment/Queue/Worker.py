"""`work(app)`: run an RQ worker for the project's queues (what `queues.py` calls).

The worker runs with RQ's scheduler, so `push_at`/`push_in` jobs start on time; SIGTERM,
SIGHUP or Ctrl-C lets the running job finish and then exits 0 (RQ's warm shutdown; SIGHUP is
ours, as the scheduler's, unless started under `nohup`); a second signal
stops at once. Failed jobs stay in RQ's FailedJobRegistry and are logged with the run ID.
When Redis goes away while the worker runs, it waits for it (see `WorkerClasses`): one error,
a summary every `outage_summary_seconds`, one line when Redis is back, and the scheduler
started again. A job running meanwhile goes on and its result is recorded once Redis is back.
A stop signal during the outage exits 0 (after the running job, if any).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from equipment.Errors import ConfigError, EquipmentError
from equipment.Log.AbstractLogger import AbstractLogger
from equipment.Queue.Settings import QueueSettings, RedisSettings

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_CONFIG = 2


def work(app: Any, queues: Sequence[str] | None = None, burst: bool = False) -> int:
    """Serve the configured queues (or `queues`) until stopped; `burst` stops when empty.

    `app` is the project's container (`App.make(base_path)`). Returns the exit code:
    0 after a normal or warm shutdown, 1 when Redis cannot be reached, 2 for a config mistake.
    """
    log: AbstractLogger = app.log()
    try:
        settings = QueueSettings.from_config(app.config.queue())
    except EquipmentError as exc:
        log.error(str(exc))
        return EXIT_CONFIG
    if settings.connection != "redis":
        log.error(
            f"queue.connection is {settings.connection!r}: pushes run at once and a worker has "
            "nothing to do; set QUEUE_CONNECTION=redis to use workers"
        )
        return EXIT_CONFIG
    try:
        names = served_queues(queues)
    except ConfigError as exc:
        log.error(str(exc))
        return EXIT_CONFIG
    return run_worker(settings.redis, log, queues=names, burst=burst)


def served_queues(queues: Sequence[str] | None) -> list[str] | None:
    """The queue names given on the command line, read as `REDIS_QUEUE` is: each may list
    several (`high,default`), spaces around a name do not count, and a name is given once.
    None when none is given (the configured ones). An empty name is a `ConfigError`: no
    push can reach it, so the worker would wait for ever on a queue nobody fills."""
    if not queues:
        return None
    names: list[str] = []
    for given in queues:
        parts = [part.strip() for part in str(given).split(",")]
        if not all(parts):
            raise ConfigError(
                f"a queue name given to the worker must be a non-empty name, got {given!r} "
                "(several: 'high,default' or one argument each)"
            )
        names.extend(parts)
    return list(dict.fromkeys(names))


def run_worker(
    settings: RedisSettings,
    log: AbstractLogger,
    *,
    queues: Sequence[str] | None = None,
    burst: bool = False,
    simple: bool = False,
) -> int:
    """Build the worker and run it; `simple=True` runs jobs in this process (no fork)."""
    import redis

    from equipment.Log.Arrival import loggers_arrive_in
    from equipment.Queue.RedisConnection import make_redis, missing_db
    from equipment.Queue.WorkerClasses import stop_on_hangup
    from equipment.Queue.WorkerLogging import rq_logs_to

    names = list(queues or settings.queues)
    connection = make_redis(settings, socket_timeout=None)
    try:
        connection.ping()
    except redis.exceptions.RedisError as exc:
        problem = missing_db(exc, settings)
        if problem:
            log.error(problem)
            return EXIT_CONFIG
        log.error(f"Worker cannot reach Redis at {settings.display}: {_safe(exc, settings)}")
        return EXIT_FAILED
    worker = build_worker(settings, log, connection, names, simple=simple)
    log.info(
        f"Worker {worker.name} started: queue driver {settings.description(names)}, "
        f"scheduler on{', burst' if burst else ''}",
        extra={"worker": worker.name, "queues": names, "redis": settings.display},
    )
    try:
        with loggers_arrive_in(log), rq_logs_to(log, settings.secrets), stop_on_hangup(worker):
            worker.work(burst=burst, with_scheduler=True, logging_level="INFO")
    except redis.exceptions.RedisError as exc:
        # RQ's work loop catches everything itself; only its start-up (registering the worker
        # and the scheduler, before the loop) can raise here, say when Redis is lost right
        # after the PING above.
        log.error(
            f"Worker {worker.name} stopped: Redis at {settings.display} failed "
            f"({_safe(exc, settings)}); exiting 1 so that the process manager restarts it",
            extra={"worker": worker.name},
        )
        return EXIT_FAILED
    if burst or worker.stop_signalled:
        log.info(f"Worker {worker.name} stopped", extra={"worker": worker.name})
        return EXIT_OK
    # RQ's loop ended without a stop signal: it logged an unexpected error (with its
    # traceback) just before. A Redis outage does not get here: the worker waits for Redis.
    log.error(
        f"Worker {worker.name} stopped on its own after an unexpected error (logged above); "
        "exiting 1 so that the process manager restarts it",
        extra={"worker": worker.name},
    )
    return EXIT_FAILED


def build_worker(
    settings: RedisSettings,
    log: AbstractLogger,
    connection: Any,
    queues: Sequence[str],
    *,
    simple: bool = False,
) -> Any:
    from rq import Queue

    from equipment.Queue.WorkerClasses import (
        EquipmentSimpleWorker,
        EquipmentWorker,
        WorkedJob,
        failure_logger,
        quiet_rq_retries,
    )

    cls = EquipmentSimpleWorker if simple else EquipmentWorker
    rq_queues = [  # their registry cleaning loads jobs with the queue's class
        Queue(
            name, connection=connection, default_timeout=settings.job_timeout, job_class=WorkedJob
        )
        for name in queues
    ]
    # RQ's own lines name a job by its description, which holds the call's arguments unless
    # the pusher gave one (ours give the function's name): they name it by its ID instead.
    worker = cls(
        rq_queues,
        connection=connection,
        exception_handlers=[failure_logger(log)],
        log_job_description=False,
        job_class=WorkedJob,
    )
    worker.app_log = log
    worker.worker_pid = os.getpid()  # its children die with this process
    worker.redis_target = settings.display
    worker.redis_secrets = settings.secrets
    worker.outage_summary_seconds = settings.outage_summary_seconds
    quiet_rq_retries()
    return worker


def _safe(exc: BaseException, settings: RedisSettings) -> str:
    from equipment.Queue.Settings import scrub

    return scrub(f"{type(exc).__name__}: {exc}", settings.secrets)
