"""Keeps the history bounded: rows older than `history_days`, and beyond `history_per_job`
per job, are dropped once at start and then after the first pass of each new hour (the
loop asks between passes), on a background thread so the loop never waits for it (the
store's own lock serialises it with the pass's write)."""

from __future__ import annotations

import datetime as dt
import threading

from equipment.Log.AbstractLogger import AbstractLogger
from equipment.Scheduler.Clock import Clock
from equipment.Scheduler.State.StateStore import StateStore

PRUNE_EVERY = 3600.0


class Retention:
    def __init__(
        self, state: StateStore, clock: Clock, log: AbstractLogger, days: float, per_job: int
    ) -> None:
        self.state = state
        self.clock = clock
        self.log = log
        self.max_age = dt.timedelta(days=days)
        self.per_job = per_job
        self._last: float | None = None
        self._thread: threading.Thread | None = None

    def maybe_prune(self) -> None:
        """Prune in the background if an hour has passed since the last prune."""
        now = self.clock.monotonic()
        if self._last is not None and now - self._last < PRUNE_EVERY:
            return
        if self._thread is not None and self._thread.is_alive():
            return
        self._last = now
        self._thread = threading.Thread(target=self.prune, name="equipment-history", daemon=True)
        self._thread.start()

    def prune(self) -> None:
        try:
            self.state.prune_history(self.clock.now() - self.max_age, self.per_job)
        except Exception as error:
            self.log.warning(
                "Scheduler history not pruned (%s: %s); trying again in an hour",
                type(error).__name__,
                error,
            )

    def join(self, timeout: float = 5.0) -> None:
        if self._thread is not None:
            self._thread.join(timeout)
