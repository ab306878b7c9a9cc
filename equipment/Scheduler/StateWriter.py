"""Writes each pass's run records to the state store, and rides out a store that fails.

A store that cannot be written (a locked or full disk, an unreachable server) must not
stop the loop or lose what ran: the records are kept and written with the next pass's,
the failure is logged once, and its end is logged too.
"""

from __future__ import annotations

from equipment.Log.AbstractLogger import AbstractLogger
from equipment.Scheduler.RunRecord import RunRecord
from equipment.Scheduler.State.StateStore import StateStore

#: Records kept while the store fails; past this the oldest are dropped (and said so).
PENDING_LIMIT = 100_000


class StateWriter:
    def __init__(self, state: StateStore, log: AbstractLogger) -> None:
        self.state = state
        self.log = log
        self.pending: list[RunRecord] = []
        self.failing = False

    def write(self, records: list[RunRecord]) -> bool:
        """Write `records` (and any kept from failed passes); True when all are stored."""
        if self.pending:
            self.pending.extend(records)
        elif not records:
            return True
        try:
            self.state.record(self.pending or records)
        except Exception as error:
            if not self.pending:
                self.pending = list(records)
            self._failed(error)
            return False
        if self.failing:
            stored = len(self.pending)
            self.log.info("Scheduler state is writable again: %d record(s) stored", stored)
            self.failing = False
        if self.pending:
            self.pending = []
        return True

    def _failed(self, error: Exception) -> None:
        if not self.failing:
            self.log.warning(
                "Scheduler state %s cannot be written (%s: %s); runs go on and their records "
                "are kept for the next pass",
                self.state.location,
                type(error).__name__,
                error,
            )
            self.failing = True
        if len(self.pending) > PENDING_LIMIT:
            dropped = len(self.pending) - PENDING_LIMIT
            self.pending = self.pending[dropped:]
            self.log.warning("Scheduler state: %d unwritten record(s) dropped", dropped)
