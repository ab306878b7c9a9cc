"""The scheduler's current run ID, visible to everything the run calls.

The scheduler sets it around each job it runs; the queue drivers read it so that every push
logs the run ID next to the RQ job ID and the job carries it in its metadata; the worker sets
it again around the job, so a push made from inside a job keeps the same run ID.

A scheduled run also sets a `PushScope`: its pushes get RQ job IDs derived from the run ID
(a retried push cannot queue twice) and, under coordination, carry the lease `Fence`.
"""

from __future__ import annotations

import contextvars
import hashlib
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

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


@dataclass(frozen=True)
class Fence:
    """The scheduler lease a scheduled run was claimed under: a push from the run is
    enqueued only while Redis key `key` still holds `value` (checked in the same step)."""

    key: str
    value: str


@dataclass
class PushScope:
    """How the pushes of one scheduled run are named and fenced.

    The n-th push of run R gets the RQ job ID `rq_job_id(R, n)`, so a retried push finds
    its job already queued and queues nothing twice; with a `fence`, a push is enqueued
    only while this process still holds the lease the run was claimed under."""

    run_id: str
    fence: Fence | None = None
    pushes: int = 0

    def next_job_id(self) -> str:
        self.pushes += 1
        return rq_job_id(self.run_id, self.pushes)


current_scope: contextvars.ContextVar[PushScope | None] = contextvars.ContextVar(
    "equipment_push_scope", default=None
)


class push_scope:  # noqa: N801 (used like the function-style context managers here)
    """Run the block as scheduled run `scope.run_id`: its run ID, its push IDs, its fence.

    A class rather than a generator: the scheduler enters one per run, and this costs a
    third of a `@contextmanager`."""

    __slots__ = ("scope", "_tokens")

    def __init__(self, scope: PushScope) -> None:
        self.scope = scope

    def __enter__(self) -> PushScope:
        scope = self.scope
        self._tokens = (
            current_scope.set(scope),
            current_run_id.set(scope.run_id),
            _pushed.set([]),
        )
        return scope

    def __exit__(self, *exc: object) -> None:
        scope, run_id, pushed = self._tokens
        _pushed.reset(pushed)
        current_run_id.reset(run_id)
        current_scope.reset(scope)


def get_push_scope() -> PushScope | None:
    """The scheduled run pushing now, or None (a worker's job, a push outside any run)."""
    return current_scope.get()


def rq_job_id(run_id: str, ordinal: int) -> str:
    """An RQ job ID for the `ordinal`-th push of run `run_id`: RQ allows letters, digits,
    '_' and '-' only, so other characters become '_' and a hash of the whole run ID keeps
    IDs that differ only there apart."""
    readable = re.sub(r"[^A-Za-z0-9_-]", "_", run_id)[:120]
    digest = hashlib.blake2b(run_id.encode(), digest_size=6).hexdigest()
    return f"{readable}-{digest}-{ordinal}"
