"""Heartbeats of scheduler processes, and the warning when two run the same project.

Each running loop writes a heartbeat to the state store; a second process of the project
finds the first one's (fresh, and on this host with a live pid) and says at start that
every job will run twice. A record of a process that died is stale and is cleared.

While a job runs longer than a heartbeat interval, a watch thread keeps beating and names
the run in the heartbeat (`running_job`, `running_since`): `equipment schedule health`
tells a process that is alive but stuck in one job from one that is gone. A clean stop
writes a last beat, so the store's heartbeat spans show when this process stopped.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable

from equipment.Log.AbstractLogger import AbstractLogger
from equipment.Scheduler.Clock import Clock
from equipment.Scheduler.RunRecord import RunRecord
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
        leader: Callable[[], bool] | None = None,
    ) -> None:
        self.state = state
        self.coordinated = coordinated  # replicas are expected: no warning about them
        self.clock = clock
        self.log = log
        self.leader = leader or (lambda: True)
        self._lock = threading.Lock()
        self._watch_stop = threading.Event()
        self._watch: threading.Thread | None = None
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
            self.me.leader = self.leader()
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
        with self._lock:
            running = self.me.running_run_id is not None
            if now - self.me.heartbeat_at < HEARTBEAT_INTERVAL and not running:
                return
            self._write(now, None)

    def beat_during(self, record: RunRecord | None) -> None:
        """From the watch thread: while `record` runs, beat once an interval, naming it."""
        with self._lock:
            if self.me is None or record is None or record.started_at is None:
                return
            now = self.clock.now()
            if now - self.me.heartbeat_at >= HEARTBEAT_INTERVAL:
                self._write(now, record)

    def watch(
        self,
        current: Callable[[], RunRecord | None],
        during_long_run: Callable[[], object] | None = None,
    ) -> None:
        """Start the watch thread: it beats for a job that runs longer than an interval
        (and calls `during_long_run()` each time: the loop collects garbage there).

        While no job runs the loop beats itself, so the thread looks only every third of
        `stale_after` (a run that starts meanwhile still gets a beat before it could look
        dead); while one runs, every `HEARTBEAT_INTERVAL`. An idle scheduler then wakes
        as rarely as its `max_sleep` allows."""
        self._watch_stop.clear()
        busy = HEARTBEAT_INTERVAL.total_seconds()
        idle = max(busy, self.stale_after.total_seconds() / 3)

        def loop() -> None:
            interval = idle
            while not self._watch_stop.wait(interval):
                interval = busy if self.look(current, during_long_run) else idle

        self._watch = threading.Thread(target=loop, name="equipment-heartbeat", daemon=True)
        self._watch.start()

    def look(
        self,
        current: Callable[[], RunRecord | None],
        during_long_run: Callable[[], object] | None = None,
    ) -> bool:
        """One look of the watch thread; returns whether a run is going."""
        running = current()
        self.beat_during(running)
        if running is not None and during_long_run is not None:
            during_long_run()
        return running is not None

    def _write(self, now: dt.datetime, record: RunRecord | None) -> None:
        me = self.me
        assert me is not None
        me.heartbeat_at = now
        me.leader = self.leader()
        me.running_job = record.job_id if record else None
        me.running_run_id = record.run_id if record else None
        me.running_since = record.started_at if record else None
        try:
            self.state.heartbeat(me)
        except Exception as error:
            self._failed(error)

    def leave(self) -> None:
        self._watch_stop.set()
        if self._watch is not None:
            self._watch.join(timeout=5)
            self._watch = None
        if self.me is None:
            return
        with self._lock:
            self._write(self.clock.now(), None)  # the span's end: when this process stopped
        try:
            self.state.forget(self.me.process_id)
        except Exception as error:
            self._failed(error)
        self.me = None

    def _failed(self, error: Exception) -> None:
        self.log.warning("Scheduler heartbeat not written (%s: %s)", type(error).__name__, error)
