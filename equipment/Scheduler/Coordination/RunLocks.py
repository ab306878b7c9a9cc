"""The lock of a `.without_overlapping()` job: held from a run's start to its end.

`acquire(job_id, run_id) -> bool` and `release(job_id, run_id)`, nothing more. In one
process a set suffices (`InProcessRunLocks`); across replicas the lock lives in Redis and
expires after a crash (`RedisRunLocks`).
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod


class RunLocks(ABC):
    @abstractmethod
    def acquire(self, job_id: str, run_id: str) -> bool:
        """Take `job_id`'s lock for run `run_id`; False when another run holds it."""

    @abstractmethod
    def release(self, job_id: str, run_id: str) -> None:
        """Give the lock back, if run `run_id` still holds it."""

    def renew(self) -> None:
        """Keep the locks this process holds from expiring (locks that expire)."""
        return None


class InProcessRunLocks(RunLocks):
    def __init__(self) -> None:
        self._held: dict[str, str] = {}
        self._lock = threading.Lock()

    def acquire(self, job_id: str, run_id: str) -> bool:
        with self._lock:
            if job_id in self._held:
                return False
            self._held[job_id] = run_id
            return True

    def release(self, job_id: str, run_id: str) -> None:
        with self._lock:
            if self._held.get(job_id) == run_id:
                del self._held[job_id]
