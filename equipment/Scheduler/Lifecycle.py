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
        #: Whether a due occurrence may start: until a stop is requested. An attribute kept
        #: with the phase rather than a property, as every run reads it.
        self.accepts_runs = True
        self.phase = Phase.COLLECTING
        #: When the stop of this run began (its signal, `stop()`), else None: no run starts
        #: from then on, and the goodbye says so (see `Handover`).
        self.stop_began: dt.datetime | None = None

    @property
    def phase(self) -> Phase:
        return self._phase

    @phase.setter
    def phase(self, phase: Phase) -> None:
        self._phase = phase
        self.accepts_runs = phase is not Phase.HALTED

    @property
    def loop_over(self) -> bool:
        """The loop has returned or was told to stop: registering now is too late."""
        return self.phase in (Phase.STOPPED, Phase.HALTED)
