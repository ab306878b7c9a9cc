"""Heartbeats of scheduler processes, and the warning when two run the same project.

Each running loop writes a heartbeat to the state store; a second process of the project
finds the first one's (fresh, and on this host with a live pid) and says at start that
every job will run twice. A record of a process that died is stale and is cleared.
"""

from __future__ import annotations

import datetime as dt

from equipment.Log.AbstractLogger import AbstractLogger
from equipment.Scheduler.Clock import Clock
from equipment.Scheduler.State.StateStore import ProcessInfo, StateStore

#: How often a running loop writes its heartbeat.
HEARTBEAT_INTERVAL = dt.timedelta(seconds=10)


class Presence:
    def __init__(
        self,
        state: StateStore,
        clock: Clock,
        log: AbstractLogger,
        max_sleep: float,
        coordinated: bool = False,
    ) -> None:
        self.state = state
        self.coordinated = coordinated  # replicas are expected: no warning about them
        self.clock = clock
        self.log = log
        #: A heartbeat older than this is a dead process's: the loop beats at least once
        #: per `max_sleep`, so three missed beats (and never less than a minute) is death.
        self.stale_after = max(dt.timedelta(minutes=1), 3 * dt.timedelta(seconds=max_sleep))
        self.me: ProcessInfo | None = None

    def others(self) -> list[ProcessInfo]:
        """The project's other live scheduler processes; dead ones' records are cleared."""
        now = self.clock.now()
        alive = []
        for process in self.state.processes():
            if self.me is not None and process.process_id == self.me.process_id:
                continue
            if process.is_alive(now, self.stale_after):
                alive.append(process)
            else:
                self.state.forget(process.process_id)
        return alive

    def announce(self) -> None:
        """Start beating; warn if another process of this project is already running."""
        try:
            self.me = ProcessInfo.this_process(self.clock.now())
            for other in [] if self.coordinated else self.others():
                self.log.warning(
                    "Another scheduler of this project is running (pid %d on %s, since %s): "
                    "every job will run twice unless coordination is on",
                    other.pid,
                    other.host,
                    other.started_at.isoformat(timespec="seconds"),
                    extra={"other_pid": other.pid, "other_host": other.host},
                )
            self.state.heartbeat(self.me)
        except Exception as error:
            self._failed(error)

    def beat(self) -> None:
        """Write a heartbeat if the last one is `HEARTBEAT_INTERVAL` old."""
        if self.me is None:
            return
        now = self.clock.now()
        if now - self.me.heartbeat_at < HEARTBEAT_INTERVAL:
            return
        self.me.heartbeat_at = now
        try:
            self.state.heartbeat(self.me)
        except Exception as error:
            self._failed(error)

    def leave(self) -> None:
        if self.me is None:
            return
        try:
            self.state.forget(self.me.process_id)
        except Exception as error:
            self._failed(error)
        self.me = None

    def _failed(self, error: Exception) -> None:
        self.log.warning("Scheduler heartbeat not written (%s: %s)", type(error).__name__, error)
