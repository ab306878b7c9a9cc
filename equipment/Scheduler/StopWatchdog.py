"""After a stop signal, make sure the process ends, whatever the jobs do.

Started by the first stop signal (never by `stop()` or `should_exit`, so a test process
that merely runs a scheduler is never touched), as a daemon thread that watches two bounds:

- the loop must end by `grace + UNWIND` seconds after the signal. A job that swallowed the
  `ShutdownGraceExpired` raised into it at the end of the grace and kept running is
  abandoned then: its record is stored if the store takes it within `LAST_WRITE`, a log line
  names it and its run, and the process exits 0.
- once the loop has ended, non-daemon threads that jobs left running get until the end of
  the grace (or, when the grace is already over, until the bound above). Those still alive
  then are named in a log line and the process exits 0, instead of Python waiting for them
  for ever after "Scheduler stopped".

A single stop signal therefore always ends the process with 0 within `grace + ABANDON_AFTER`
seconds (`UNWIND` + `LAST_WRITE`); the log says what had to be abandoned.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from equipment.Log.AbstractLogger import AbstractLogger
from equipment.Scheduler.Abandon import (
    LAST_WRITE,
    RunningRun,
    leave_now,
    leftover_threads,
    run_fields,
    thread_names,
)

# Seconds a job gets after the grace ran out, to let ShutdownGraceExpired unwind it.
UNWIND = 1.0
# The process is gone this long after the grace ran out, whatever the job does.
ABANDON_AFTER = UNWIND + LAST_WRITE


class StopWatchdog:
    def __init__(
        self,
        log: AbstractLogger,
        current_run: Callable[[], RunningRun | None],
        grace: float,
        on_abandon: Callable[[str], None] = lambda why: None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.log = log
        self.current_run = current_run
        self.on_abandon = on_abandon  # called just before the loop is abandoned
        self.grace = grace
        self.monotonic = monotonic
        self.grace_ends = monotonic() + grace
        self.hard_deadline = self.grace_ends + ABANDON_AFTER
        self._loop_ended = threading.Event()
        self._threads_deadline = self.hard_deadline
        self._thread = threading.Thread(target=self._watch, name="equipment-stop-watchdog")
        self._thread.daemon = True

    def start(self) -> None:
        self._thread.start()

    def loop_ended(self) -> None:
        """The scheduler loop returned: from now on, only leftover threads are waited for."""
        if self.monotonic() < self.grace_ends:
            self._threads_deadline = self.grace_ends
        self._loop_ended.set()

    def _watch(self) -> None:
        if not self._loop_ended.wait(self._left(self.grace_ends + UNWIND)):
            self._abandon_the_loop()
        for thread in leftover_threads():
            thread.join(self._left(self._threads_deadline))
        still_running = leftover_threads()
        if still_running:
            leave_now(
                0,
                self.log,
                "Scheduler stopped, but thread(s) still running at the end of shutdown_grace "
                "(%ss): %s: abandoned; exiting",
                f"{self.grace:g}",
                thread_names(still_running),
            )

    def _abandon_the_loop(self) -> None:
        run = self.current_run()
        grace = f"{self.grace:g}"
        after = f"{UNWIND:g}"
        self.on_abandon(f"still running {after}s after shutdown_grace ({grace}s) ran out")
        if run is None:
            leave_now(
                0,
                self.log,
                "The scheduler loop was still running %ss after shutdown_grace (%ss) ran out: "
                "abandoned; exiting",
                after,
                grace,
            )
        leave_now(
            0,
            self.log,
            "Job %s (run %s) was still running %ss after shutdown_grace (%ss) ran out: "
            "abandoned; exiting (it caught ShutdownGraceExpired?)",
            run.job_id,
            run.run_id,
            after,
            grace,
            **run_fields(run),
        )

    def _left(self, deadline: float) -> float:
        return max(deadline - self.monotonic(), 0.0)
