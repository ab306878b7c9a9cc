"""State kept in this process only: for tests and a bare `Scheduler()`."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterable
from dataclasses import replace

from equipment.Scheduler.RunRecord import RunRecord
from equipment.Scheduler.State.StateStore import (
    HeartbeatSpan,
    HistoryEntry,
    JobState,
    ProcessInfo,
    StateStore,
)


class MemoryStateStore(StateStore):
    location = "memory"

    def __init__(self) -> None:
        self._jobs: dict[str, JobState] = {}
        self._processes: dict[str, ProcessInfo] = {}
        self._history: dict[str, list[HistoryEntry]] = {}
        self._paused: dict[str, dt.datetime] = {}
        self._spans: dict[str, HeartbeatSpan] = {}
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
                self._history.setdefault(record.job_id, []).append(HistoryEntry.of(record))

    def heartbeat(self, process: ProcessInfo) -> None:
        with self._lock:
            self._processes[process.process_id] = replace(process)
            span = self._spans.get(process.process_id)
            if span is None:
                span = HeartbeatSpan(process.process_id, process.heartbeat_at, process.heartbeat_at)
                self._spans[process.process_id] = span
            span.last_beat = max(span.last_beat, process.heartbeat_at)

    def processes(self) -> list[ProcessInfo]:
        with self._lock:
            return [replace(process) for process in self._processes.values()]

    def forget(self, process_id: str) -> None:
        with self._lock:
            self._processes.pop(process_id, None)

    def close(self) -> None:
        return None  # nothing held

    def history(
        self,
        job_id: str,
        limit: int = 50,
        before: dt.datetime | None = None,
        after: dt.datetime | None = None,
    ) -> list[HistoryEntry]:
        with self._lock:
            rows = [
                replace(entry)
                for entry in self._history.get(job_id, [])
                if (before is None or entry.scheduled_at < before)
                and (after is None or entry.scheduled_at >= after)
            ]
        rows.sort(key=lambda entry: entry.scheduled_at, reverse=True)
        return rows[:limit]

    def set_paused(self, job_id: str, paused: bool, now: dt.datetime) -> None:
        with self._lock:
            if paused:
                self._paused.setdefault(job_id, now)
            else:
                self._paused.pop(job_id, None)

    def paused(self) -> dict[str, dt.datetime]:
        with self._lock:
            return dict(self._paused)

    def prune_history(self, older_than: dt.datetime, keep_per_job: int) -> None:
        with self._lock:
            for job_id, rows in self._history.items():
                kept = sorted(
                    (row for row in rows if row.scheduled_at >= older_than),
                    key=lambda row: row.scheduled_at,
                )
                self._history[job_id] = kept[-keep_per_job:] if keep_per_job > 0 else []
            for process_id in [p for p, s in self._spans.items() if s.last_beat < older_than]:
                del self._spans[process_id]

    def spans(self, after: dt.datetime | None = None) -> list[HeartbeatSpan]:
        with self._lock:
            found = [
                replace(span)
                for span in self._spans.values()
                if after is None or span.last_beat >= after
            ]
        return sorted(found, key=lambda span: span.first_beat)
