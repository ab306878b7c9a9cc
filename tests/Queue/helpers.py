"""Running a burst worker in the test process, and reading what jobs recorded."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from equipment.Log.AbstractLogger import AbstractLogger
from equipment.Queue.Settings import QueueSettings
from equipment.Queue.Worker import run_worker


def burst(settings: QueueSettings, log: AbstractLogger) -> int:
    """Run every job now in the queue (and every scheduled job that is due) in-process."""
    return run_worker(settings.redis, log, burst=True, simple=True)


def recorded(conn: Any, key: str) -> list[str]:
    return [v.decode() for v in conn.lrange(key, 0, -1)]


def wait_for(predicate: Callable[[], Any], seconds: float) -> Any:
    """Poll a real process's effect until `predicate()` is truthy or `seconds` pass."""
    deadline = time.monotonic() + seconds
    while True:
        value = predicate()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(0.05)  # waiting on another process, not on the code under test
