"""Running a burst worker in the test process, and reading what jobs recorded."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
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


PRINT_APP_PY = """
import logging
from types import SimpleNamespace
from equipment.Log.AbstractLogger import AbstractLogger


class PrintLogger(AbstractLogger):
    def log(self, level, msg, *args, **kwargs):
        text = msg % args if args else msg
        print(logging.getLevelName(level), text.replace("\\n", " | "), flush=True)


class App:
    @classmethod
    def make(cls, base_path):
        config = {config!r}
        log = PrintLogger()
        return SimpleNamespace(log=lambda: log, config=SimpleNamespace(queue=lambda: config))
"""


def write_print_app(folder: Path, queue_config: dict) -> None:
    """An `app.py` whose App has `queue_config` and logs each record as one printed line
    ("LEVEL message"), so that a test reads a worker process's log from its stdout."""
    (folder / "app.py").write_text(PRINT_APP_PY.format(config=queue_config))
