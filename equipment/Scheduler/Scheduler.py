"""The scheduler process: register jobs in `run()`, then `super().run()` loops until stopped.

    class Scheduler(Equipment):
        def run(self) -> None:
            self.schedule.every(10).minutes.do(cleanup)
            super().run()

One pass is `tick()`; `run()` repeats it, sleeping until the next job is due (never longer
than `max_sleep`) on an interruptible wait, so `should_exit = True` or a stop signal ends
the loop at once. The clock is injected, so tests travel in time instead of sleeping.
"""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Mapping
from typing import Any

from equipment.Log.AbstractLogger import AbstractLogger
from equipment.Log.NullLogger import NullLogger
from equipment.Queue.AbstractQueue import AbstractQueue
from equipment.Scheduler.Clock import Clock, SystemClock
from equipment.Scheduler.ClockWatch import ClockWatch
from equipment.Scheduler.Errors import SchedulerError
from equipment.Scheduler.RunRecord import RunRecord
from equipment.Scheduler.Schedule import Phase, Schedule
from equipment.Scheduler.Settings import SchedulerSettings
from equipment.Scheduler.Signals import ShutdownGraceExpired, StopSignals
from equipment.Scheduler.Zones import format_instant, zone_name


class Scheduler:
    def __init__(
        self,
        log: AbstractLogger | None = None,
        queue: AbstractQueue | None = None,
        config: Any = None,
        settings: SchedulerSettings | Mapping[str, Any] | None = None,
        clock: Clock | None = None,
        **services: Any,
    ) -> None:
        self.log = log or NullLogger()
        self._queue = queue
        self.config = config
        self.settings = SchedulerSettings.coerce(settings)
        self.clock = clock or SystemClock()
        for name, service in services.items():
            setattr(self, name, service)
        self.schedule = Schedule(
            self.clock, self.log, self.settings.timezone, environment=self._environment()
        )
        self._wake = threading.Event()
        self._should_exit = False
        self._collect_only = False
        self._loop_entered = False
        self._run_depth = 0
        # What a stop "at once" names as abandoned: the run in progress, if any.
        self._signals = StopSignals(
            self._request_stop, lambda: self.schedule.runner.current, lambda: self.log
        )
        self._clock_watch = ClockWatch(self.clock, self.log)

    # -- services --------------------------------------------------------------------------

    @property
    def queue(self) -> AbstractQueue:
        """The app's queue; a `sync` queue when none was given."""
        if self._queue is None:
            from equipment.Queue.QueueFactory import QueueFactory

            self._queue = QueueFactory(config={"connection": "sync"}, log=self.log)
        return self._queue

    @queue.setter
    def queue(self, queue: AbstractQueue) -> None:
        self._queue = queue

    def _environment(self) -> str | None:
        try:
            env = self.config.app.env() if self.config is not None else None
        except AttributeError:
            return None
        return str(env) if env else None

    # -- stopping ----------------------------------------------------------------------------

    @property
    def should_exit(self) -> bool:
        """Set it to True to make `run()` return after the current pass."""
        return self._should_exit

    @should_exit.setter
    def should_exit(self, value: bool) -> None:
        self._should_exit = bool(value)
        if value:
            self._wake.set()
        else:
            self._wake.clear()

    def stop(self) -> None:
        """Stop as a signal would: no new runs start, the loop returns."""
        self.schedule.halted = True
        self.should_exit = True

    def _request_stop(self, signal_name: str) -> None:
        running = self.schedule.runner.current
        grace = self.settings.shutdown_grace
        if running is not None:
            self.log.info(
                "Scheduler stopping (%s): no new runs; waiting up to %ss for job %s",
                signal_name,
                f"{grace:g}",
                running.job_id,
                extra={"run_id": running.run_id},
            )
        else:
            self.log.info("Scheduler stopping (%s)", signal_name)
        # Armed even when no job seems to run: one may be starting this very instant.
        self._signals.arm_grace(grace)
        self.stop()

    # -- registration checks -------------------------------------------------------------------

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "run" in cls.__dict__:
            cls.run = _checked_run(cls.__dict__["run"])  # type: ignore[method-assign]

    def collect(self) -> list[Any]:
        """Call `run()` to register jobs without starting the loop; return the jobs."""
        self._collect_only = True
        try:
            self.run()
        finally:
            self._collect_only = False
        return self.schedule.get_jobs()

    # -- the loop ------------------------------------------------------------------------------

    def run(self) -> None:
        """Run registered jobs on time until `should_exit` is set or a stop signal arrives."""
        self._loop_entered = True
        if self._collect_only:
            return
        self.schedule.phase = Phase.RUNNING
        installed = self._signals.install()
        self._log_startup(installed)
        try:
            self._loop()
        except ShutdownGraceExpired:
            running = self.schedule.runner.interrupted
            self.log.error(
                "Job %s did not finish within shutdown_grace (%ss) and was interrupted",
                running.job_id if running else "(between runs)",
                f"{self.settings.shutdown_grace:g}",
                extra=running.log_fields() if running else {},
            )
        finally:
            self._signals.restore()
            self.schedule.phase = Phase.STOPPED
            self.log.info("Scheduler stopped")

    def _loop(self) -> None:
        while True:
            self.tick()
            if self.should_exit:
                return
            self._sleep_until_due()
            if self.should_exit:
                return

    def tick(self) -> list[RunRecord]:
        """One pass: run every job that is due now; return what ran (or was skipped)."""
        self._clock_watch.check(self.schedule)
        self.schedule.runner.drain()
        self.schedule.run_pending()
        return self.schedule.runner.drain()

    def _sleep_until_due(self) -> None:
        idle = self.schedule.idle_seconds
        timeout = self.settings.max_sleep if idle is None else min(idle, self.settings.max_sleep)
        if timeout > 0:
            self.clock.sleep(timeout, self._wake)

    def _log_startup(self, signals: bool) -> None:
        jobs = self.schedule.get_jobs()
        zone = self.schedule.zone
        self.log.info(
            "Scheduler starting: %d job(s), time zone %s, pid %d%s",
            len(jobs),
            zone_name(zone),
            os.getpid(),
            "" if signals else " (no signal handlers: not the main thread)",
            extra={"jobs": len(jobs), "timezone": zone_name(zone), "pid": os.getpid()},
        )
        for job in sorted(jobs):
            self.log.info(
                "  %s: %s, next run %s",
                job.id,
                job.describe(),
                format_instant(job.next_run_at, zone),
                extra={"job_id": job.id},
            )


def _checked_run(user_run: Any) -> Any:
    """Wrap a subclass's `run()` so that forgetting `super().run()` is reported, not silent."""

    @functools.wraps(user_run)
    def run(self: Scheduler, *args: Any, **kwargs: Any) -> Any:
        self._run_depth += 1
        try:
            result = user_run(self, *args, **kwargs)
        finally:
            self._run_depth -= 1
        if self._run_depth == 0 and not self._loop_entered:
            cls = type(self)
            raise SchedulerError(
                f"{cls.__module__}.{cls.__qualname__}.run() returned without calling "
                f"super().run(), so its {len(self.schedule.jobs)} job(s) never ran; call "
                "super().run() at the end of run()"
            )
        return result

    return run
