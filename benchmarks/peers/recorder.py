"""When each job run started: the only thing a job does in these benchmarks."""

from __future__ import annotations

import time
from collections.abc import Hashable


class Recorder:
    def __init__(self) -> None:
        self.starts: list[tuple[Hashable, float]] = []

    def mark(self, key: Hashable) -> None:
        self.starts.append((key, time.time()))

    def of(self, key: Hashable) -> list[float]:
        return [at for seen, at in self.starts if seen == key]


def enqueued(key: Hashable) -> None:
    """What RQ's CronScheduler enqueues; no worker runs it, the enqueue time is the run."""


def noop() -> None:
    """A job with nothing to do (importable by path, for queues)."""
