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


@contextmanager
def run_context(run_id: str | None) -> Iterator[str | None]:
    """Make `run_id` the current run for the duration of the block."""
    token = current_run_id.set(run_id)
    try:
        yield run_id
    finally:
        current_run_id.reset(token)


def get_run_id() -> str | None:
    """The run ID set by the innermost `run_context`, or None outside any run."""
    return current_run_id.get()
