"""Heartbeats of scheduler processes, and the warning when two run the same project.

Each running loop writes a heartbeat to the state store; a second process of the project
finds the first one's (not late, and on this host with a live pid) and says at start that
every job will run twice. A record of a process that died is stale and is cleared.

A heartbeat promises the next one (`next_beat_by`): a loop that will sleep an hour until
its next job says so, and wakes for nothing else meanwhile (an idle scheduler costs no CPU).
It is late, and the process presumed dead or stuck, only once that promise is broken.

While a job runs past the promise, a watch thread keeps beating and names the run in the
heartbeat (`running_job`, `running_since`): `equipment schedule health` tells a process
that is alive but stuck in one job from one that is gone. The watch thread sleeps until
shortly before the promise falls due, so it too wakes only when the loop does; the loop's
new promises wake it to look again. A clean stop writes a last beat, so the store's
heartbeat spans show when this process stopped.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable

from equipment.Log.AbstractLogger import AbstractLogger
from equipment.Scheduler.Clock import Clock
from equipment.Scheduler.Health import stale_after
from equipment.Scheduler.RunRecord import RunRecord
from equipment.Scheduler.State.StateStore import ProcessInfo, StateStore

#: How often a busy loop writes its heartbeat, and a long run's watch thread.
HEARTBEAT_INTERVAL = dt.timedelta(seconds=10)
#: What a promise adds to the moment the loop will wake: time for the pass it then makes.
PROMISE_SLACK = HEARTBEAT_INTERVAL


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
        self._watch_stop = False
        self._watch_look = threading.Event()  # set by a new promise, or by leave()
        self._watch: threading.Thread | None = None
        #: A heartbeat later than this past its promise is a dead process's.
        self.stale_after = stale_after(max_sleep)
        self.me: ProcessInfo | None = None

    def others(self) -> list[ProcessInfo]:
        """The project's other live scheduler processes; dead ones' records are cleared."""
        now = self.clock.now()
        alive = []
        for process in self.state.processes():
            if self.me is not None and process.process_id == self.me.process_id:
                continue
            if not self._reused_my_pid(process) and process.is_alive(now, self.stale_after):
                alive.append(process)
            else:
                self.state.forget(process.process_id)
        return alive

    def _reused_my_pid(self, process: ProcessInfo) -> bool:
        """Whether `process` had this process's pid on this host: it is gone, whatever its
        heartbeat says (a restarted container's scheduler is pid 1 again)."""
        me = self.me
        return me is not None and process.pid == me.pid and process.shares_my_pids()

    def announce(self) -> None:
        """Start beating; warn if another process of this project is already running."""
        try:
            self.me = ProcessInfo.this_process(self.clock.now())
            self.me.leader = self.leader()
            self.me.next_beat_by = self.me.heartbeat_at + PROMISE_SLACK  # the first pass's
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

    def beat(self, wakes_by: dt.datetime | None = None) -> None:
        """After a pass: write a heartbeat if the last one is `HEARTBEAT_INTERVAL` old, or
        if it promised the next one before the loop will have woken (`wakes_by`, None: at
        once) and made its pass. A busy loop then writes every interval, an idle one once
        a wake."""
        me = self.me
        if me is None:
            return
        now = self.clock.now()
        wakes = wakes_by or now
        with self._lock:
            kept = me.next_beat_by is not None and me.next_beat_by >= wakes + PROMISE_SLACK
            running = me.running_run_id is not None
            if now - me.heartbeat_at < HEARTBEAT_INTERVAL and kept and not running:
                return
            # Not less than an interval ahead: a busy loop's next few passes keep it.
            promise = max(wakes, now + HEARTBEAT_INTERVAL) + PROMISE_SLACK
            self._write(now, None, promise)
        self._watch_look.set()  # the watch thread sleeps until shortly before the promise

    def beat_during(self, record: RunRecord | None) -> None:
        """From the watch thread: while `record` runs, beat once an interval, naming it."""
        with self._lock:
            me = self.me
            if me is None or record is None or record.started_at is None:
                return
            now = self.clock.now()
            due = me.next_beat_by or me.heartbeat_at + HEARTBEAT_INTERVAL
            if now - me.heartbeat_at >= HEARTBEAT_INTERVAL or now >= due - HEARTBEAT_INTERVAL / 2:
                self._write(now, record, now + HEARTBEAT_INTERVAL + PROMISE_SLACK)

    def watch(
        self,
        current: Callable[[], RunRecord | None],
        during_long_run: Callable[[], object] | None = None,
    ) -> None:
        """Start the watch thread: it beats for a job that runs past the loop's promise
        (and calls `during_long_run()` each time: the loop collects garbage there).

        It sleeps until half an interval before the promise falls due, or until the loop
        makes a new one; while a run is going, it looks every `HEARTBEAT_INTERVAL`."""
        self._watch_stop = False
        self._watch_look.clear()
        busy = HEARTBEAT_INTERVAL.total_seconds()

        def loop() -> None:
            interval = self.until_look()
            while True:
                promised = self._watch_look.wait(interval)
                if self._watch_stop:
                    return
                if promised:
                    self._watch_look.clear()
                    interval = self.until_look()
                    continue
                interval = busy if self.look(current, during_long_run) else self.until_look()

        self._watch = threading.Thread(target=loop, name="equipment-heartbeat", daemon=True)
        self._watch.start()

    def until_look(self) -> float:
        """Seconds until the watch thread looks, when no run is going: half an interval
        before the promise falls due (an interval, before any promise)."""
        me = self.me
        if me is None or me.next_beat_by is None:
            return HEARTBEAT_INTERVAL.total_seconds()
        ahead = (me.next_beat_by - self.clock.now() - HEARTBEAT_INTERVAL / 2).total_seconds()
        return max(ahead, HEARTBEAT_INTERVAL.total_seconds() / 2)

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

    def _write(self, now: dt.datetime, record: RunRecord | None, promise: dt.datetime) -> None:
        me = self.me
        assert me is not None
        me.heartbeat_at = now
        me.next_beat_by = promise
        me.leader = self.leader()
        me.running_job = record.job_id if record else None
        me.running_run_id = record.run_id if record else None
        me.running_since = record.started_at if record else None
        try:
            self.state.heartbeat(me)
        except Exception as error:
            self._failed(error)

    def leave(self, goodbye: bool = True, stop_began: dt.datetime | None = None) -> None:
        """The process stops: no more heartbeats. With `goodbye`, a last one ends the span
        as a stop begun at `stop_began` (default: now). It promises that every run this
        process began is recorded: a start soon after runs what fell due meanwhile
        (`Handover`). Without it (run records the store did not take) the span ends as a
        crash's does."""
        self._watch_stop = True
        self._watch_look.set()
        if self._watch is not None:
            self._watch.join(timeout=5)
            self._watch = None
        if self.me is None:
            return
        if goodbye:
            with self._lock:
                now = self.clock.now()
                self.me.stopping_since = stop_began or now
                self._write(now, None, now)  # the span's end: when this process stopped
        try:
            self.state.forget(self.me.process_id)
        except Exception as error:
            self._failed(error)
        self.me = None

    def _failed(self, error: Exception) -> None:
        self.log.warning("Scheduler heartbeat not written (%s: %s)", type(error).__name__, error)
