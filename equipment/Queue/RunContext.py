"""The scheduler's current run ID, visible to everything the run calls.

The scheduler sets it around each job it runs; the queue drivers read it so that every push
logs the run ID next to the RQ job ID and the job carries it in its metadata; the worker sets
it again around the job, so a push made from inside a job keeps the same run ID.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager

current_run_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "equipment_run_id", default=None
)
#: The queue job IDs pushed during the current run (the scheduler's history keeps the last).
_pushed: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar(
    "equipment_pushed", default=None
)


@contextmanager
def run_context(run_id: str | None) -> Iterator[str | None]:
    """Make `run_id` the current run for the duration of the block."""
    token = current_run_id.set(run_id)
    pushed = _pushed.set([])
    try:
        yield run_id
    finally:
        _pushed.reset(pushed)
        current_run_id.reset(token)


def note_push(queue_job_id: str) -> None:
    """A queue driver says it queued `queue_job_id` (a no-op outside a run)."""
    pushed = _pushed.get()
    if pushed is not None:
        pushed.append(queue_job_id)


def last_push() -> str | None:
    """The queue job ID of the current run's last push, if it pushed any."""
    pushed = _pushed.get()
    return pushed[-1] if pushed else None


def get_run_id() -> str | None:
    """The run ID set by the innermost `run_context`, or None outside any run."""
    return current_run_id.get()
