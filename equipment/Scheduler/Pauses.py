"""Which jobs are paused, read from the state store at most once a second per process.

`equipment schedule pause JOB_ID` writes to the state store; every scheduler process reads
the paused set when an occurrence falls due, through this cache, so one read serves every
job due within the same second, and a pause reaches every replica within about a second
(a pause only matters at the moment an occurrence is due, which is when it is looked up).
A store that cannot be read keeps the last known set.
"""

from __future__ import annotations

import math
from collections.abc import Collection

from equipment.Scheduler.Clock import Clock
from equipment.Scheduler.State.StateStore import StateStore

#: How long a read of the paused set is reused, in seconds.
PAUSE_TTL = 1.0


class Pauses:
    def __init__(self, state: StateStore, clock: Clock, ttl: float = PAUSE_TTL) -> None:
        self.state = state
        self.clock = clock
        self.ttl = ttl
        self._paused: Collection[str] = ()
        self._read_at = -math.inf  # never read

    def is_paused(self, job_id: str) -> bool:
        now = self.clock.monotonic()
        if now - self._read_at >= self.ttl:  # asked once per run: cheap
            self._read(now)
        return job_id in self._paused

    def refresh(self, ahead: float = 0.0) -> None:
        """Read the paused set again if the last read is `ttl` old, or will be within
        `ahead` seconds. The loop calls it just before a burst falls due, with time for the
        burst as `ahead`, so that the read is not paid inside the burst."""
        now = self.clock.monotonic()
        if now - self._read_at >= self.ttl - ahead:
            self._read(now)

    def _read(self, now: float) -> None:
        self._read_at = now
        try:
            self._paused = self.state.paused()  # job ID -> since when, read-only
        except Exception:
            pass  # keep the last known set; the store's own failure is logged on write
