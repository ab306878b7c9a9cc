"""The state store a scheduler's settings ask for: `memory`, or `sqlite` at a path.

An operator's command (`equipment schedule list`, `health`, `pause`...) opens the store a
scheduler keeps inside `as_an_operator()`: a file that is not a store is reported, not moved
aside (a probe must not pull the file from under a scheduler), and a command that only reads
makes nothing on disk (a probe of a mistyped path finds an empty store, and says where).
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator
from pathlib import Path

from equipment.Log.AbstractLogger import AbstractLogger
from equipment.Scheduler.State.StateStore import StateStore

#: Inside `as_an_operator()`: whether the command writes (a pause, a run's record).
_OPERATOR: contextvars.ContextVar[bool | None] = contextvars.ContextVar(
    "equipment_state_operator", default=None
)


@contextlib.contextmanager
def as_an_operator(writes: bool) -> Iterator[None]:
    """Stores made inside open what is there, moving nothing aside; and unless the
    command `writes`, they make nothing on disk either."""
    token = _OPERATOR.set(writes)
    try:
        yield
    finally:
        _OPERATOR.reset(token)


def make_state_store(
    kind: str, path: str | Path, base_path: str | Path | None, log: AbstractLogger
) -> StateStore:
    """A store of `kind`; a relative `path` is read from the project's `base_path`."""
    if kind == "memory":
        from equipment.Scheduler.State.MemoryStateStore import MemoryStateStore

        return MemoryStateStore()
    from equipment.Scheduler.State.SqliteStateStore import SqliteStateStore

    target = Path(path)
    if not target.is_absolute():
        target = Path(base_path or Path.cwd()) / target
    writes = _OPERATOR.get()
    if writes is None:  # a scheduler
        return SqliteStateStore(target, warn=log.warning)
    return SqliteStateStore(target, warn=log.warning, repair=False, create=writes)
