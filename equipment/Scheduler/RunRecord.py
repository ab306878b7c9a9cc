"""What happened in one run of one job: the unit hooks, logs and (later) the state store see."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
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

#: The epoch-like suffix of a manual run's ID ('<job>@<now>Z~manual').
MANUAL = "manual"


def run_id_for(job_id: str, scheduled_at: dt.datetime, epoch: str = "") -> str:
    """'<job id>@<scheduled instant, UTC ISO-8601>': one ID per occurrence, on every replica.

    After a backward clock step has moved an interval job's grid, its instants can repeat;
    '~<epoch>' then keeps the IDs of the new grid apart from those already used. The epoch
    is derived from the grid itself (see `Job.shift`), never counted per process.
    """
    # '2026-01-05T12:00:10', with '.123456' only when there are microseconds
    stamp = scheduled_at.astimezone(dt.UTC).replace(tzinfo=None).isoformat()
    suffix = f"~{epoch}" if epoch else ""
    return f"{job_id}@{stamp}Z{suffix}"


@dataclass
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

    def error_line(self) -> str | None:
        """The error's type and first line, as state and history keep it."""
        if self.error is None:
            return None
        first = str(self.error).strip().splitlines()[:1]
        return type(self.error).__name__ + (f": {first[0]}" if first else "")

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
            "scheduled_at": self._scheduled_text(),
        }

    def _scheduled_text(self) -> str:
        text = self.__dict__.get("_scheduled_iso")
        if text is None:  # computed once: every line of a run carries it
            text = self.__dict__["_scheduled_iso"] = self.scheduled_at.astimezone(
                dt.UTC
            ).isoformat()
        return text

    def log_fields(self) -> dict[str, Any]:
        """The `extra` fields of a run's end line: the occurrence and how it went."""
        return {
            **self.start_fields(),
            "duration_ms": round(self.duration * 1000, 3),
            "outcome": self.outcome,
            **({"reason": self.reason} if self.reason else {}),
        }
