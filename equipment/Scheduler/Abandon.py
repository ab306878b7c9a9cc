"""Leaving the process at once, when a job or its threads will not let it end.

Used only after a stop signal: the second one, or the bounds of `StopWatchdog`. The log
line says what is left behind (the running job and its run ID, the threads still alive);
the logs are flushed, since `os._exit` skips `atexit` and so the handlers' own flush; then
the process ends with the given code. `finally` blocks and `atexit` hooks do not run: that
is the meaning of "at once", and the only way past a job that swallows every exception.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from collections.abc import Callable
from typing import Any, NoReturn, Protocol

from equipment.Log.AbstractLogger import AbstractLogger

# How long flushing the logs may take: a handler blocked on a full pipe must not keep us.
FLUSH_BOUND = 1.0
# How long leaving at once waits for the state store to take the last records (the
# abandoned run's among them): the abandoned code may hold the store for ever.
LAST_WRITE = 1.0


class Abandoned(Exception):
    """The error in the record of a run the process left at once: a second stop signal,
    or a job still running well after its grace ran out."""


class RunningRun(Protocol):
    """What we need of the run in progress: its job and run IDs."""

    job_id: str
    run_id: str


def leftover_threads() -> list[threading.Thread]:
    """Non-daemon threads other than the main and the calling one: those that keep Python up."""
    here = threading.current_thread()
    main = threading.main_thread()
    return [
        thread
        for thread in threading.enumerate()
        if not thread.daemon and thread is not here and thread is not main and thread.is_alive()
    ]


def thread_names(threads: list[threading.Thread]) -> str:
    return ", ".join(sorted(thread.name for thread in threads))


def run_fields(run: RunningRun | None) -> dict[str, Any]:
    return {"job_id": run.job_id, "run_id": run.run_id} if run is not None else {}


def leave_now(code: int, log: AbstractLogger, msg: str, *args: Any, **fields: Any) -> NoReturn:
    """Log `msg % args` as an error (with `fields` as extra), flush the logs, exit with `code`."""
    try:
        log.error(msg, *args, extra=fields)
    finally:
        flush_logs()
        os._exit(code)


def flush_logs(bound: float = FLUSH_BOUND) -> None:
    """Flush and close every logging handler and the standard streams, waiting `bound` at most.

    `logging.shutdown()` is what normal interpreter exit runs; it reaches the handlers of
    private loggers too. It runs in a daemon thread so that a handler blocked for ever (on a
    full pipe, or on a lock an abandoned thread holds) cannot keep the process alive.
    """
    within(bound, _flush, "equipment-log-flush")


def within(bound: float, action: Callable[[], object], name: str) -> None:
    """Run `action` in a daemon thread of its own and wait for it `bound` seconds at most:
    on the way out at once, it may block for ever on a lock the abandoned code holds."""
    worker = threading.Thread(target=action, name=name, daemon=True)
    worker.start()
    worker.join(bound)


def _flush() -> None:
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError, AttributeError):  # closed, or replaced by None
            pass
