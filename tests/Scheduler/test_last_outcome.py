"""A job's last outcome in words: a run's, or a skip's or a miss's with its own instant."""

from __future__ import annotations

import datetime as dt

from equipment.Scheduler.LastOutcome import last_outcome
from equipment.Scheduler.RunRecord import RunRecord
from equipment.Scheduler.State.MemoryStateStore import MemoryStateStore
from equipment.Scheduler.State.StateStore import JobState

AT = dt.datetime(2026, 1, 5, 12, 0, tzinfo=dt.UTC)


def stored_after(*records: RunRecord) -> tuple[JobState, MemoryStateStore]:
    state = MemoryStateStore()
    state.adopt([JobState("job", "fingerprint", AT)])
    state.record(records)
    return state.load()["job"], state


def test_a_missed_last_occurrence_is_told_with_its_reason_and_instant() -> None:
    failed = RunRecord.of_occurrence("job", AT)
    failed.outcome, failed.started_at, failed.error = "failure", AT, ValueError("boom")
    missed = RunRecord.skipped("job", AT + dt.timedelta(hours=1), "", "missed", "no replica led")

    stored, state = stored_after(failed, missed)

    assert last_outcome(stored, state, dt.UTC) == (
        "missed (no replica led) at 2026-01-05 13:00:00 UTC (2026-01-05T13:00:00Z); "
        "the run before it failed"
    )


def test_a_success_is_told_with_its_duration() -> None:
    ran = RunRecord.of_occurrence("job", AT)
    ran.outcome, ran.started_at, ran.duration = "success", AT, 0.0123

    stored, state = stored_after(ran)

    assert last_outcome(stored, state, dt.UTC) == "success in 12.3 ms"
