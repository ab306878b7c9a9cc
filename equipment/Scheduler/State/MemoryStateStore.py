"""State kept in this process only: for tests and a bare `Scheduler()`."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import replace

from equipment.Scheduler.RunRecord import RunRecord
from equipment.Scheduler.State.StateStore import JobState, ProcessInfo, StateStore


class MemoryStateStore(StateStore):
    location = "memory"

    def __init__(self) -> None:
        self._jobs: dict[str, JobState] = {}
        self._processes: dict[str, ProcessInfo] = {}
        self._lock = threading.Lock()

    def load(self) -> dict[str, JobState]:
        with self._lock:
            return {job_id: replace(state) for job_id, state in self._jobs.items()}

    def adopt(self, proposals: Iterable[JobState]) -> dict[str, JobState]:
        proposals = list(proposals)
        with self._lock:
            for proposal in proposals:
                stored = self._jobs.get(proposal.job_id)
                if stored is None or stored.fingerprint != proposal.fingerprint:
                    self._jobs[proposal.job_id] = replace(proposal)
            return {p.job_id: replace(self._jobs[p.job_id]) for p in proposals}

    def record(self, records: Iterable[RunRecord]) -> None:
        with self._lock:
            for record in records:
                stored = self._jobs.get(record.job_id)
                if stored is not None:
                    stored.apply(record)

    def heartbeat(self, process: ProcessInfo) -> None:
        with self._lock:
            self._processes[process.process_id] = replace(process)

    def processes(self) -> list[ProcessInfo]:
        with self._lock:
            return [replace(process) for process in self._processes.values()]

    def forget(self, process_id: str) -> None:
        with self._lock:
            self._processes.pop(process_id, None)

    def close(self) -> None:
        return None  # nothing held
