"""What happened in one run of one job: the unit hooks, logs and (later) the state store see."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

SUCCESS = "success"
FAILURE = "failure"
SKIPPED = "skipped"

#: Why an occurrence did not run (`RunRecord.reason` of a skipped record).
CONDITION = "condition"
#: `.without_overlapping()`: the previous run of the job was still going.
OVERLAP = "overlap"
#: `equipment schedule pause`: the job is paused.
PAUSED = "paused"
#: `.in_background()`: the job's previous occurrence was still waiting for a pool thread.
POOL_BUSY = "pool busy"
#: `.in_background()`: the occurrence was waiting for a pool thread when the stop came.
STOPPING = "stopping"
#: The loop came late (a long inline job, a suspend): only the latest due occurrence ran.
CATCH_UP = "catch-up policy"
#: `.until()`: the occurrence came after the job's deadline; the job left the schedule.
DEADLINE = "until() deadline"
#: A missed row: the leader that claimed the occurrence died before recording it.
UNRECORDED = "claimed by a leader that died before recording it (it may have started)"

#: The epoch-like suffix of a manual run's ID ('<job>@<now>Z~manual').
MANUAL = "manual"


def run_id_for(job_id: str, scheduled_at: dt.datetime, epoch: str = "") -> str:
    """'<job id>@<scheduled instant, UTC ISO-8601>': one ID per occurrence, on every replica.

    After a backward clock step has moved an interval job's grid, its instants can repeat;
    '~<epoch>' then keeps the IDs of the new grid apart from those already used. The epoch
    is derived from the grid itself (see `Job.shift`), never counted per process.
    """
    return _run_id(job_id, _utc_iso(scheduled_at), epoch)


def _utc_iso(instant: dt.datetime) -> str:
    """'2026-01-05T12:00:10+00:00', with '.123456' only when there are microseconds: what
    `isoformat()` writes, written here from cached parts for whole seconds in UTC (every
    run computes one, and `isoformat()` is a good part of a run's cost)."""
    global _last_day
    if instant.tzinfo is not dt.UTC:
        return instant.astimezone(dt.UTC).isoformat()
    if instant.microsecond:
        return instant.isoformat()
    ordinal, day = _last_day
    if instant.toordinal() != ordinal:
        ordinal, day = instant.toordinal(), instant.date().isoformat() + "T"
        _last_day = (ordinal, day)  # one tuple, replaced whole: safe between threads
    return f"{day}{_TWO[instant.hour]}:{_TWO[instant.minute]}:{_TWO[instant.second]}+00:00"


_TWO = tuple(f"{number:02d}" for number in range(60))
#: The day `_utc_iso` last wrote: its ordinal and its 'YYYY-MM-DDT'.
_last_day: tuple[int, str] = (0, "")


def _run_id(job_id: str, utc_iso: str, epoch: str) -> str:
    suffix = f"~{epoch}" if epoch else ""
    return f"{job_id}@{utc_iso[:-6]}Z{suffix}"  # '+00:00' written as 'Z'


@dataclass(slots=True)
class RunRecord:
    job_id: str
    run_id: str
    scheduled_at: dt.datetime
    started_at: dt.datetime | None = None
    finished_at: dt.datetime | None = None
    duration: float = 0.0
    outcome: str = SKIPPED
    error: BaseException | None = None
    traceback: str | None = None
    result: Any = None
    #: For a skipped occurrence: why (`condition`, and the reasons later steps add).
    reason: str | None = None
    #: The grid's epoch after a backward clock step ('' before any), kept with the state.
    epoch: str = ""
    #: The process that handled the occurrence (`ProcessInfo.process_id`).
    replica: str | None = None
    #: The queue's job ID when the run pushed work to a queue (the last push's).
    queue_job_id: str | None = None
    #: Started by `equipment schedule run`, off the grid: it is history and the job's last
    #: outcome, never the grid's last handled occurrence.
    manual: bool = False
    #: `scheduled_at` in UTC ISO-8601, as every log line of the run carries it (computed
    #: once, with the run ID).
    scheduled_iso: str = field(default="", repr=False, compare=False)

    @classmethod
    def of_occurrence(
        cls, job_id: str, scheduled_at: dt.datetime, epoch: str = "", replica: str | None = None
    ) -> RunRecord:
        """The record of a job's occurrence at `scheduled_at`, named by `run_id_for`."""
        iso = _utc_iso(scheduled_at)
        record = cls(job_id, _run_id(job_id, iso, epoch), scheduled_at)
        # Set after: one per run, and keywords cost more than attributes here.
        record.epoch, record.replica, record.scheduled_iso = epoch, replica, iso
        return record

    @classmethod
    def skipped(
        cls,
        job_id: str,
        scheduled_at: dt.datetime,
        epoch: str,
        outcome: str,
        reason: str,
        replica: str | None = None,
    ) -> RunRecord:
        """The record of an occurrence that did not run (`outcome`: skipped or missed)."""
        record = cls.of_occurrence(job_id, scheduled_at, epoch, replica)
        record.outcome, record.reason = outcome, reason
        return record

    def abandon(self, error: BaseException, finished_at: dt.datetime, duration: float) -> None:
        """Close the record of a run the process leaves unfinished: a failure with `error`."""
        self.outcome = FAILURE
        self.error = error
        self.finished_at = finished_at
        self.duration = duration

    def error_line(self) -> str | None:
        """The error's type and first line, as state and history keep it."""
        if self.error is None:
            return None
        first = str(self.error).strip().splitlines()[:1]
        return type(self.error).__name__ + (f": {first[0]}" if first else "")

    @property
    def off_the_grid(self) -> bool:
        """Whether the record leaves the grid's last handled occurrence where it is: a
        manual run (`schedule run`), or the row of where an until() deadline ended the job
        (an occurrence nobody handled: a later start whose window holds it runs it)."""
        return self.manual or self.reason == DEADLINE

    @property
    def succeeded(self) -> bool:
        return self.outcome == SUCCESS

    @property
    def lateness(self) -> float:
        """Seconds between the scheduled instant and the actual start."""
        if self.started_at is None:
            return 0.0
        return (self.started_at - self.scheduled_at).total_seconds()

    def start_fields(self) -> dict[str, Any]:
        """The `extra` fields of a run's start line: which occurrence this is."""
        return {
            "job_id": self.job_id,
            "run_id": self.run_id,
            "scheduled_at": self.scheduled_iso or self._scheduled_text(),
        }

    def _scheduled_text(self) -> str:
        self.scheduled_iso = _utc_iso(self.scheduled_at)
        return self.scheduled_iso

    def log_fields(self) -> dict[str, Any]:
        """The `extra` fields of a run's end line: the occurrence and how it went."""
        fields = {
            "job_id": self.job_id,
            "run_id": self.run_id,
            "scheduled_at": self.scheduled_iso or self._scheduled_text(),
            # In ms to the µs; round() to a whole number is the fast one (every run's end).
            "duration_ms": round(self.duration * 1_000_000) / 1000,
            "outcome": self.outcome,
        }
        if self.reason:
            fields["reason"] = self.reason
        return fields
