"""State kept in this process only: for tests and a bare `Scheduler()`."""

from __future__ import annotations

import datetime as dt
import threading
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import replace
from types import MappingProxyType
from typing import Any

from equipment.Scheduler.RunRecord import RunRecord
from equipment.Scheduler.State.StateStore import (
    HeartbeatSpan,
    HistoryEntry,
    JobState,
    ProcessInfo,
    StateStore,
    history_row,
)

#: Where `scheduled_at` is in a history row (see `history_row`).
_SCHEDULED = 2
#: History rows kept per job at most (the default of `history_per_job`).
HISTORY_CAP = 1000


class MemoryStateStore(StateStore):
    location = "memory"

    def __init__(self) -> None:
        self._jobs: dict[str, JobState] = {}
        self._processes: dict[str, ProcessInfo] = {}
        # Bounded like the other stores' (retention's default count), so that a test that
        # simulates a year of a 1-second job holds 1,000 rows per job, not 31 million.
        # Rows are `history_row` tuples, made `HistoryEntry`s when read.
        self._history: dict[str, deque[tuple[Any, ...]]] = {}
        # Replaced whole on each pause or resume, never changed in place: read (every
        # simulated second of a test) without a lock or a copy.
        self._paused: Mapping[str, dt.datetime] = MappingProxyType({})
        self._windows: dict[str, dt.datetime] = {}
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
        jobs, history = self._jobs, self._history
        with self._lock:
            for record in records:
                job_id = record.job_id
                stored = jobs.get(job_id)
                if stored is not None:
                    stored.apply(record)
                rows = history.get(job_id)
                if rows is None:
                    rows = history[job_id] = deque(maxlen=HISTORY_CAP)
                rows.append(history_row(record))

    def heartbeat(self, process: ProcessInfo) -> None:
        with self._lock:
            self._processes[process.process_id] = replace(process, stopping_since=None)
            span = self._spans.get(process.process_id)
            if span is None:
                span = HeartbeatSpan(process.process_id, process.heartbeat_at, process.heartbeat_at)
                self._spans[process.process_id] = span
            span.last_beat = max(span.last_beat, process.heartbeat_at)
            span.stopped = process.says_goodbye
            span.stop_began = process.stopping_since if span.stopped else None

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
                HistoryEntry(*row)
                for row in reversed(self._history.get(job_id, ()))  # last written first
                if (before is None or row[_SCHEDULED] < before)
                and (after is None or row[_SCHEDULED] >= after)
            ]
        rows.sort(key=lambda entry: entry.scheduled_at, reverse=True)
        return rows[:limit]

    def set_paused(self, job_id: str, paused: bool, now: dt.datetime) -> None:
        with self._lock:
            changed = dict(self._paused)
            if paused:
                changed.setdefault(job_id, now)
            else:
                changed.pop(job_id, None)
            self._paused = MappingProxyType(changed)

    def paused(self) -> Mapping[str, dt.datetime]:
        return self._paused

    def open_windows(self, ends: Mapping[str, dt.datetime]) -> None:
        with self._lock:
            self._windows.update(ends)

    def windows(self) -> dict[str, dt.datetime]:
        with self._lock:
            return dict(self._windows)

    def prune_history(self, older_than: dt.datetime, keep_per_job: int) -> None:
        with self._lock:
            for job_id, rows in self._history.items():
                kept = sorted(
                    (row for row in rows if row[_SCHEDULED] >= older_than),
                    key=lambda row: row[_SCHEDULED],
                )
                kept = kept[-keep_per_job:] if keep_per_job > 0 else []
                self._history[job_id] = deque(kept, maxlen=HISTORY_CAP)
            for process_id in [p for p, s in self._spans.items() if s.last_beat < older_than]:
                del self._spans[process_id]
            for job_id in [j for j, end in self._windows.items() if end < older_than]:
                del self._windows[job_id]

    def spans(self, after: dt.datetime | None = None) -> list[HeartbeatSpan]:
        with self._lock:
            found = [
                replace(span)
                for span in self._spans.values()
                if after is None or span.last_beat >= after
            ]
        return sorted(found, key=lambda span: span.first_beat)
