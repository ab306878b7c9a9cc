"""What the scheduler remembers per job and per process, behind one small contract.

A backend keeps, per job ID: the grid's anchor (the instant the job was first registered,
ever) with the fingerprint of the definition it was anchored for, the last handled
scheduled instant, and how that run went. Per scheduler process: a heartbeat. The loop
loads everything once at start (`load`), proposes anchors for the jobs it registered
(`adopt`, insert-if-absent, so every process of a project continues the same grid), and
writes what happened at the end of each pass (`record`, one batch). Readers in other
processes (`equipment schedule list`, health checks, a status page) use the same calls.

Operations (`equipment schedule history|why|pause|health`, the status page) read four
more things: a history row per handled occurrence (written by `record`, in the same
transaction), the set of paused jobs, heartbeat spans (when each process was alive, kept
after it stops, so "no scheduler was running" can be shown rather than guessed), and where
the `until(timedelta)` window of the scheduler that runs a job closes (`open_windows`).

Backends: `MemoryStateStore` (tests, a bare `Scheduler()`), `SqliteStateStore` (a project's
default, one file shared by the processes of one host), `RedisStateStore` (replicas under
`coordination: redis`, on any number of hosts).
"""

from __future__ import annotations

import datetime as dt
import os
import socket
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from equipment.Errors import EquipmentError
from equipment.Scheduler.RunRecord import FAILURE, SUCCESS, RunRecord


class StateStoreError(EquipmentError):
    """The state store cannot be opened or written (a path, permissions, a full disk)."""


class StateNotOurs(StateStoreError):
    """The state file holds something else (not a database, another application's), or
    is a folder: no scheduler can use it as it is (one starting on a file moves it aside)."""


class StateUnreachable(StateStoreError):
    """The state store does not answer now (Redis is down): the state of the world, not a
    mistake in the configuration (`health` says unhealthy rather than refusing)."""

    @classmethod
    def of_redis(cls, error: Exception, location: str | None = None) -> StateUnreachable:
        """Redis, which keeps the state under coordination, did not answer with `error`."""
        where = (
            f"; it is at {location}: start Redis, or run with coordination: none"
            if location
            else ""
        )
        return cls(
            f"the scheduler state in Redis cannot be read ({type(error).__name__}: {error})"
            + where
        )


@contextmanager
def redis_errors_said(location: str) -> Iterator[None]:
    """A redis-py error in the block (coordination's Redis down, or refusing this process)
    raised as the `StateStoreError` that says so in one line naming where the state is
    (`location`): "start Redis" only when it is down. redis is imported only then."""
    try:
        yield
    except Exception as error:
        if not type(error).__module__.startswith("redis"):
            raise
        from equipment.Scheduler.State.RedisStateStore import unreadable

        raise unreadable(error, location) from None


@dataclass
class JobState:
    job_id: str
    fingerprint: str
    #: The instant the job was first registered with this definition: its grid's origin.
    anchor: dt.datetime
    #: The last scheduled instant that was handled (ran, failed or was skipped).
    last_scheduled: dt.datetime | None = None
    last_run_id: str | None = None
    last_outcome: str | None = None
    last_error: str | None = None
    last_started: dt.datetime | None = None
    last_finished: dt.datetime | None = None
    last_duration: float | None = None
    consecutive_failures: int = 0
    #: Marks the grid after a backward clock step moved it ('' before any step).
    epoch: str = ""

    def apply(self, record: RunRecord) -> None:
        """Update this state with how the occurrence `record` was handled."""
        if record.outcome == SUCCESS:
            self.consecutive_failures = 0
        elif record.outcome == FAILURE:
            self.consecutive_failures += 1
        if not record.off_the_grid and self._advances(record):
            self.last_scheduled = record.scheduled_at
            self.epoch = record.epoch
        self.last_run_id = record.run_id
        self.last_outcome = record.outcome
        self.last_error = None if record.error is None else record.error_line()
        if record.started_at is not None:
            self.last_started = record.started_at
            self.last_finished = record.finished_at
            self.last_duration = record.duration

    def _advances(self, record: RunRecord) -> bool:
        """Whether `record` moves the grid's last handled occurrence on: never back, on the
        same grid (a background run finishing after a later one, rows a takeover stored
        while an earlier run was still going)."""
        last = self.last_scheduled
        return last is None or record.epoch != self.epoch or record.scheduled_at >= last


MISSED = "missed"


@dataclass
class HistoryEntry:
    """One occurrence of one job as the history keeps it (or, for `missed`, derives it)."""

    job_id: str
    run_id: str
    scheduled_at: dt.datetime
    #: success | failure | skipped | missed
    outcome: str
    #: Why it was skipped: paused, condition, overlap, catch-up policy, not the owner.
    reason: str | None = None
    #: The error's type and first line.
    error: str | None = None
    #: The process that handled it (`ProcessInfo.process_id`).
    replica: str | None = None
    started_at: dt.datetime | None = None
    finished_at: dt.datetime | None = None
    duration: float | None = None
    #: Seconds between the scheduled instant and the start.
    lateness: float | None = None
    #: The queue's job ID when the run pushed work to a queue.
    queue_job_id: str | None = None

    @classmethod
    def of(cls, record: RunRecord) -> HistoryEntry:
        return cls(*history_row(record))


def history_row(record: RunRecord) -> tuple[Any, ...]:
    """`HistoryEntry`'s fields for `record`, in order: a tuple of plain values, which the
    garbage collector stops tracking (a store in memory keeps a thousand per job)."""
    started = record.started_at
    return (
        record.job_id,
        record.run_id,
        record.scheduled_at,
        record.outcome,
        record.reason,
        None if record.error is None else record.error_line(),
        record.replica,
        started,
        record.finished_at,
        None if started is None else record.duration,
        None if started is None else (started - record.scheduled_at).total_seconds(),
        record.queue_job_id,
    )


@dataclass
class HeartbeatSpan:
    """From a process's first heartbeat to its last: when a scheduler was alive."""

    process_id: str
    first_beat: dt.datetime
    last_beat: dt.datetime
    #: The last beat was the process's goodbye (a stop): it ran nothing after it. Without
    #: one (a crash, a kill) it may have run until its next beat was due.
    stopped: bool = False
    #: With a goodbye: when the stop began (its signal); no run started from then on,
    #: though one it was finishing kept it alive. None: not stopped, or not told.
    stop_began: dt.datetime | None = None


@dataclass
class ProcessInfo:
    """One scheduler process of the project, as its heartbeats describe it."""

    host: str
    pid: int
    started_at: dt.datetime
    heartbeat_at: dt.datetime
    process_id: str = field(default="")
    #: The run this process has been executing since `running_since` (written by the
    #: heartbeat of a run that lasts more than a heartbeat interval), else None.
    running_job: str | None = None
    running_run_id: str | None = None
    running_since: dt.datetime | None = None
    #: Whether its coordinator made it the leader (a single process always leads).
    leader: bool = True
    #: When its next heartbeat will have come at the latest: a loop that sleeps an hour
    #: until its next job says so, and is not late until then (None: `heartbeat_at`).
    next_beat_by: dt.datetime | None = None
    #: Its pid namespace (Linux), so that only a process in the same one reads `pid` as
    #: a pid: a sidecar in a pod shares the host name, not the pids (None: unknown).
    pid_namespace: str | None = None
    #: In its goodbye: when its stop began. Kept with its span (`HeartbeatSpan.stop_began`),
    #: not with the process, whose record the goodbye removes.
    stopping_since: dt.datetime | None = None

    def __post_init__(self) -> None:
        if not self.process_id:
            self.process_id = f"{self.host}:{self.pid}:{self.started_at:%Y%m%dT%H%M%S}"

    @classmethod
    def this_process(cls, now: dt.datetime) -> ProcessInfo:
        return cls(
            socket.gethostname(), os.getpid(), now, now, pid_namespace=pid_namespace()
        )

    def shares_my_pids(self) -> bool:
        """Whether this process's `pid` means the same process here: same host name and,
        where known, the same pid namespace."""
        if self.host != socket.gethostname():
            return False
        return self.pid_namespace is None or self.pid_namespace == pid_namespace()

    @property
    def says_goodbye(self) -> bool:
        """A beat that promises none after it: the process's last, written as it stops
        (`Presence.leave`)."""
        return self.next_beat_by is not None and self.next_beat_by <= self.heartbeat_at

    def lateness(self, now: dt.datetime) -> dt.timedelta:
        """How long past the heartbeat it promised this process is (negative: not yet)."""
        return now - (self.next_beat_by or self.heartbeat_at)

    def is_alive(self, now: dt.datetime, stale_after: dt.timedelta) -> bool:
        """Whether the process still runs: its heartbeat at most `stale_after` late, and on
        this host a live pid."""
        if self.lateness(now) > stale_after:
            return False
        if not self.shares_my_pids():
            return True
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True


def pid_namespace() -> str | None:
    """This process's pid namespace ('pid:[4026531836]'), or None where there is none."""
    try:
        return os.readlink("/proc/self/ns/pid")
    except OSError:
        return None


class StateStore(ABC):
    #: Where the state lives, for log lines ('memory', a file path, a Redis URL).
    location: str = "memory"

    @abstractmethod
    def load(self) -> dict[str, JobState]:
        """Every job's state, in one read."""

    @abstractmethod
    def adopt(self, proposals: Iterable[JobState]) -> dict[str, JobState]:
        """Store each proposed anchor unless the job already has one for the same
        fingerprint (a changed fingerprint replaces the row: a fresh grid). Returns what is
        stored for these jobs afterwards, which may be another process's anchor."""

    @abstractmethod
    def record(self, records: Iterable[RunRecord]) -> None:
        """Remember how these occurrences were handled (one batch, one transaction)."""

    @abstractmethod
    def heartbeat(self, process: ProcessInfo) -> None:
        """Say that `process` is alive now (`process.heartbeat_at`)."""

    @abstractmethod
    def processes(self) -> list[ProcessInfo]:
        """Every scheduler process that has sent a heartbeat and not said goodbye."""

    @abstractmethod
    def forget(self, process_id: str) -> None:
        """Remove a process's heartbeat (it stopped, or it is long dead)."""

    @abstractmethod
    def close(self) -> None:
        """Release connections and files."""

    # -- operations ----------------------------------------------------------------------

    @abstractmethod
    def history(
        self,
        job_id: str,
        limit: int = 50,
        before: dt.datetime | None = None,
        after: dt.datetime | None = None,
    ) -> list[HistoryEntry]:
        """A job's stored history rows, newest first: `after <= scheduled_at < before`."""

    @abstractmethod
    def set_paused(self, job_id: str, paused: bool, now: dt.datetime) -> None:
        """Pause a job (its occurrences are skipped, on every process) or resume it."""

    @abstractmethod
    def paused(self) -> Mapping[str, dt.datetime]:
        """The paused jobs: job ID -> since when (read-only: a store may share it)."""

    @abstractmethod
    def open_windows(self, ends: Mapping[str, dt.datetime]) -> None:
        """Store where the `until(timedelta)` window of the scheduler that runs each job now
        closes (job ID -> its end), over an earlier scheduler's: such a window is the
        process's own, and a reader in another process (`history`, `why`, a later start)
        derives nothing missed past it."""

    @abstractmethod
    def windows(self) -> dict[str, dt.datetime]:
        """Where each job's `until(timedelta)` window, as last stored, closes: job ID -> end."""

    @abstractmethod
    def prune_history(self, older_than: dt.datetime, keep_per_job: int) -> None:
        """Drop history rows scheduled before `older_than`, and all but each job's newest
        `keep_per_job`; drop heartbeat spans and `until(timedelta)` windows that ended
        before `older_than` (what fell due in them is pruned history too)."""

    @abstractmethod
    def spans(self, after: dt.datetime | None = None) -> list[HeartbeatSpan]:
        """Heartbeat spans (one per process, kept after it stops) whose last beat is at or
        after `after`, oldest first. `heartbeat()` opens and extends them."""
