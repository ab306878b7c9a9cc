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
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Fence:
    """The scheduler lease a scheduled run was claimed under: a push from the run is
    enqueued only while Redis key `key` still holds `value` (checked in the same step)."""

    key: str
    value: str


@dataclass(slots=True)
class PushScope:
    """How the pushes of one scheduled run are named and fenced.

    The n-th push of run R to queue Q gets the RQ job ID `rq_job_id(R, n, Q)`, so a retried
    push finds its job already queued and queues nothing twice; with a `fence`, a push is enqueued
    only while this process still holds the lease the run was claimed under. While the run
    is current, the scope is what the context variable holds (with the queue job IDs it
    pushed): entering a scheduled run costs one object and one `ContextVar.set`."""

    run_id: str
    fence: Fence | None = None
    pushes: int = 0
    pushed: list[str] | None = None

    def next_job_id(self, queue: str) -> str:
        """The RQ job ID of the run's next push, to `queue`."""
        self.pushes += 1
        return rq_job_id(self.run_id, self.pushes, queue)


@dataclass(slots=True)
class _Run:
    """A run that is not a scheduled one (a worker's job): its ID and what it pushed."""

    run_id: str | None
    pushed: list[str] | None = None


_current: contextvars.ContextVar[_Run | PushScope | None] = contextvars.ContextVar(
    "equipment_run", default=None
)


@contextmanager
def run_context(run_id: str | None) -> Iterator[str | None]:
    """Make `run_id` the current run for the duration of the block."""
    token = _current.set(_Run(run_id))
    try:
        yield run_id
    finally:
        _current.reset(token)


Entered = tuple[contextvars.Token[Any], "list[str] | None"]


def enter_run(scope: PushScope) -> Entered:
    """Make scheduled run `scope.run_id` current: its run ID, its push IDs, its fence.
    `leave_run(entered)` ends it. Two calls rather than a context manager: the scheduler
    enters one per run, and this is the cheapest way there is. The scope counts the
    pushes made while it is entered; entered again inside itself, the outer count is kept
    and given back when the inner one is left."""
    entered = (_current.set(scope), scope.pushed)
    scope.pushed = None
    return entered


def leave_run(entered: Entered) -> str | None:
    """End the run `enter_run` began; returns the queue job ID of its last push, if any."""
    token, outer = entered
    scope = _current.get()
    pushed = scope.pushed  # type: ignore[union-attr]
    scope.pushed = outer  # type: ignore[union-attr]
    _current.reset(token)
    return pushed[-1] if pushed else None


class push_scope:  # noqa: N801 (used like the function-style context managers here)
    """`with push_scope(scope):` runs the block as `enter_run(scope)` ... `leave_run()`."""

    __slots__ = ("scope", "_token")

    def __init__(self, scope: PushScope) -> None:
        self.scope = scope

    def __enter__(self) -> PushScope:
        self._token = enter_run(self.scope)
        return self.scope

    def __exit__(self, *exc: object) -> None:
        leave_run(self._token)


def note_push(queue_job_id: str) -> None:
    """A queue driver says it queued `queue_job_id` (a no-op outside a run)."""
    run = _current.get()
    if run is not None:
        if run.pushed is None:
            run.pushed = []
        run.pushed.append(queue_job_id)


def get_run_id() -> str | None:
    """The run ID set by the innermost `run_context`, or None outside any run."""
    run = _current.get()
    return None if run is None else run.run_id


def get_push_scope() -> PushScope | None:
    """The scheduled run pushing now, or None (a worker's job, a push outside any run)."""
    run = _current.get()
    return run if type(run) is PushScope else None


class _RqSafe(dict):
    """A `str.translate` table: letters, digits, '_' and '-' stay, anything else is '_'."""

    def __missing__(self, code: int) -> int | str:
        char = chr(code)
        keep = char.isascii() and (char.isalnum() or char in "_-")
        self[code] = code if keep else "_"
        return self[code]


_RQ_SAFE = _RqSafe()
#: The same for ASCII text, as a `bytes.translate` table (a run ID is ASCII but for names).
_RQ_SAFE_ASCII = bytes(
    code if chr(code).isalnum() or chr(code) in "_-" else ord("_") for code in range(128)
) + b"_" * 128


def rq_job_id(run_id: str, ordinal: int, queue: str) -> str:
    """An RQ job ID for the `ordinal`-th push of run `run_id`, to queue `queue`: RQ allows
    letters, digits, '_' and '-' only, so other characters become '_' and a hash of the
    whole run ID keeps IDs that differ only there apart. The hash covers the queue too: a
    run ID is unique within one project, but RQ job IDs are global to the Redis database,
    and projects sharing one Redis (each with its own queues) may well have a run of the
    same ID (`cleanup:every-hour@...T03:00:00Z`); without it, the second project's push
    would be taken for a retry of the first's and not queued."""
    head = run_id[:120]
    readable = (
        head.encode("ascii").translate(_RQ_SAFE_ASCII).decode("ascii")
        if head.isascii()
        else head.translate(_RQ_SAFE)
    )
    scoped = f"{len(queue)}:{queue}|{run_id}"  # the length: no two pairs read the same
    digest = hashlib.blake2b(scoped.encode(), digest_size=6).hexdigest()
    return f"{readable}-{digest}-{ordinal}"
