"""Queued functions used by the queue tests: module level, so real workers can import them.

They report through Redis (db 15), so a test can see what a worker in another process did.
"""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import time

import redis

from equipment.Queue.RunContext import get_run_id

TEST_URL = os.environ.get("EQUIPMENT_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def _redis() -> redis.Redis:
    return redis.Redis.from_url(TEST_URL)


def noop() -> None:
    return None


def record(key: str, value: str = "done") -> None:
    _redis().rpush(key, value)


def record_run_id(key: str) -> None:
    _redis().rpush(key, get_run_id() or "-")


def fail(message: str = "boom") -> None:
    raise RuntimeError(message)


def flaky(key: str, failures: int) -> None:
    """Fail the first `failures` calls, then record success under `key`."""
    calls = _redis().incr(f"{key}:calls")
    if calls <= failures:
        raise RuntimeError(f"flaky failure {calls}")
    record(key, f"ok after {calls}")


def exit_hard(code: int = 3) -> None:
    """End the work horse without a word, as a C extension's abort or os._exit() would."""
    os._exit(code)


def slow_record(key: str, seconds: float) -> None:
    record(f"{key}:started")
    time.sleep(seconds)
    record(key)


class Greeter:
    """A picklable object whose bound method can be queued."""

    def __init__(self, key: str) -> None:
        self.key = key

    def greet(self) -> None:
        record(self.key, "hello")


def make_nested():
    def nested() -> None:
        return None

    return nested


def renamed() -> None:
    return None


alias = renamed
renamed_away = renamed
del renamed  # the function's __qualname__ no longer names a top-level attribute


def say(log, text: str) -> None:
    """Like the template's `_inspire`: a job that logs through the logger it was given."""
    log.info(text)


class Holder:
    """A picklable object whose bound method, and a partial of it, are pushed."""

    def method(self, key: str) -> None:
        record(key, "held")


def gives_lock() -> object:
    """Returns what cannot be pickled: RQ keeps a placeholder as its result."""
    import threading

    return threading.Lock()


def start_children(key: str, seconds: float = 0.0) -> None:
    """Start one child of each kind (subprocess, multiprocessing, os.fork), each sleeping a
    minute, record their PIDs under `key`, run `seconds` more, and return without waiting."""
    popen = subprocess.Popen(["sleep", "60"])
    process = multiprocessing.get_context("fork").Process(target=time.sleep, args=(60,))
    process.start()
    pid = os.fork()
    if pid == 0:
        time.sleep(60)
        os._exit(0)
    _redis().rpush(key, popen.pid, process.pid, pid)
    time.sleep(seconds)


def count_failure(job, connection, *exc_info) -> None:
    """An `on_failure` callback: records one line per call under `job.meta["key"]`."""
    _redis().rpush(job.meta["key"], "failure callback")


def asks_retry(
    key: str,
    times: int,
    most: int | list[int] = 3,
    interval: object = 0,
    ours: bool = False,
    front: bool = False,
):
    """Return `rq.Retry(most, interval)` (or our `Retry`, `ours`) the first `times` calls,
    then record success under `key`: a job asking to be tried again without failing. A
    list `most` gives each call's max in turn (its last for the calls after)."""
    from rq import Retry as RQRetry

    from equipment.Queue.Retry import Retry

    calls = _redis().incr(f"{key}:calls")
    if calls > times:
        return record(key, f"ok after {calls}")
    if isinstance(most, list):
        most = most[min(calls, len(most)) - 1]
    if ours:
        return Retry(most, intervals=interval)
    return RQRetry(max=most, interval=interval, enqueue_at_front=front)
