"""The state store a scheduler's settings ask for: `memory`, or `sqlite` at a path."""

from __future__ import annotations

from pathlib import Path

from equipment.Log.AbstractLogger import AbstractLogger
from equipment.Scheduler.State.StateStore import StateStore


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
    return SqliteStateStore(target, warn=log.warning)
