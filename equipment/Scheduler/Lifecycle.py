"""The scheduler's one lifecycle state, shared by the process and its schedule."""

from __future__ import annotations

import datetime as dt
from enum import Enum


class Phase(Enum):
    COLLECTING = "collecting"  # the subclass's run() is registering jobs
    RUNNING = "running"  # the loop is going
    STOPPED = "stopped"  # the loop has returned (should_exit); tick() still runs due jobs
    HALTED = "halted"  # a stop was requested (signal, stop()): due jobs no longer start


class Lifecycle:
    """Where the scheduler is in its life; one object, read by every part that must know."""

    def __init__(self) -> None:
        self.phase = Phase.COLLECTING
        #: When the stop of this run began (its signal, `stop()`), else None: no run starts
        #: from then on, and the goodbye says so (see `Handover`).
        self.stop_began: dt.datetime | None = None

    @property
    def accepts_runs(self) -> bool:
        return self.phase is not Phase.HALTED

    @property
    def loop_over(self) -> bool:
        """The loop has returned or was told to stop: registering now is too late."""
        return self.phase in (Phase.STOPPED, Phase.HALTED)
