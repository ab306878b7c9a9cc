"""Notices the wall clock stepping (NTP, VM resume) by comparing it with the monotonic clock.

Forward steps need no repair: jobs that fell due run once, then return to their grid.
Backward steps would silence elapsed-time jobs for the length of the step, so those jobs
are moved back with the clock; wall-clock jobs keep their times and never run twice.
"""

from __future__ import annotations

import datetime as dt

from equipment.Log.AbstractLogger import AbstractLogger
from equipment.Scheduler.Clock import Clock

#: Differences below this between wall and monotonic elapsed time are ordinary noise.
JUMP_THRESHOLD = 1.0


class ClockWatch:
    def __init__(self, clock: Clock, log: AbstractLogger) -> None:
        self.clock = clock
        self.log = log
        self._last: tuple[dt.datetime, float] | None = None

    def check(self, schedule: object) -> float:
        """Compare the clocks since the last check; repair and warn on a step. Returns it."""
        now, mono = self.clock.now(), self.clock.monotonic()
        last, self._last = self._last, (now, mono)
        if last is None:
            return 0.0
        step = (now - last[0]).total_seconds() - (mono - last[1])
        if abs(step) < JUMP_THRESHOLD:
            return 0.0
        direction = "forward" if step > 0 else "back"
        self.log.warning(
            "The wall clock jumped %s by %s; %s",
            direction,
            dt.timedelta(seconds=round(abs(step), 3)),
            "jobs that fell due run once, then keep their schedule"
            if step > 0
            else "interval jobs keep their spacing, clock-time jobs do not run twice",
            extra={"clock_step_seconds": round(step, 3)},
        )
        if step < 0:
            for job in getattr(schedule, "jobs", []):
                if job.trigger is not None and not job.trigger.follows_wall_clock:
                    job.shift(dt.timedelta(seconds=step))
        return step
