"""A job's last outcome in words, for `schedule list` and the status page.

A job's state keeps its last run (when it started, how long it took) and its last handled
occurrence's outcome. The two are the same occurrence unless that one did not run: a paused
job's last run is from before the pause, its last outcome is the skip of its latest
occurrence (or the missed rows a start or a takeover stores). So a skip, or a miss, is told
with its reason and its own instant ("skipped (paused) at
2026-03-28 12:20:00 UTC (...Z)"), and never reads as the outcome of the run beside it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from equipment.Scheduler.RunRecord import FAILURE, SKIPPED, SUCCESS
from equipment.Scheduler.State.StateStore import MISSED, HistoryEntry, JobState, StateStore
from equipment.Scheduler.Zones import format_instant


def last_outcome(
    stored: JobState, state: StateStore, zone: dt.tzinfo, read: Sequence[HistoryEntry] = ()
) -> str:
    """'success in 12.0 ms', 'failure: ValueError: ... (3 failures in a row)', 'skipped
    (paused) at 2026-03-28 12:20:00 UTC (2026-03-28T12:20:00Z)'. `read`: the job's newest
    rows already read (newest first, no `before` bound), so a skip's is not read again."""
    outcome = stored.last_outcome or "unknown"
    if outcome == FAILURE and stored.last_error:
        outcome = f"failure: {stored.last_error}"
    elif outcome == SUCCESS and stored.last_duration is not None:
        outcome = f"success in {stored.last_duration * 1000:.1f} ms"
    elif outcome in (SKIPPED, MISSED):  # not a run: its own instant, beside the last run
        newest = _newest_row(state, stored.job_id, read)
        return _not_run(stored, newest, zone) + _failed_before(stored.consecutive_failures)
    if stored.consecutive_failures > 1:
        outcome += f" ({stored.consecutive_failures} failures in a row)"
    return outcome


def _newest_row(
    state: StateStore, job_id: str, read: Sequence[HistoryEntry]
) -> HistoryEntry | None:
    """The job's newest stored row: the head of `read` (its newest rows, already read),
    else one read of the store."""
    newest = read[:1] or state.history(job_id, limit=1)
    return newest[0] if newest else None


def _not_run(stored: JobState, newest: HistoryEntry | None, zone: dt.tzinfo) -> str:
    """Skipped or missed; why, from the occurrence's history row, and when it was due."""
    entry = newest if newest is not None and newest.run_id == stored.last_run_id else None
    words = str(stored.last_outcome)
    if entry is not None and entry.reason:
        words += f" ({entry.reason})"
    at = entry.scheduled_at if entry is not None else stored.last_scheduled
    return words if at is None else f"{words} at {format_instant(at, zone)}"


def _failed_before(failures: int) -> str:
    """A skip leaves the count of failures in a row as it was: say it of the runs before."""
    if failures <= 1:
        return "; the run before it failed" if failures else ""
    return f"; the {failures} runs before it failed"
