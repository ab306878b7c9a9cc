"""The scheduler process: register jobs in `run()`, then `super().run()` loops until stopped.

    class Scheduler(Equipment):
        def run(self) -> None:
            self.schedule.every(10).minutes.do(cleanup)
            super().run()

One pass is `tick()`; `run()` repeats it, sleeping until the next job is due (never longer
than `max_sleep`) on an interruptible wait, so `should_exit = True` or a stop signal ends
the loop at once. The clock is injected, so tests travel in time instead of sleeping.

This module wires the parts (see docs/architecture.md): the `Schedule` (registration and
the due index), the `Dispatcher` (one occurrence, due to rescheduled), the state store
(what survives a restart) and the process around them: lifecycle, signals, heartbeats.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping
from typing import Any

from equipment.Log.AbstractLogger import AbstractLogger
from equipment.Log.NullLogger import NullLogger
from equipment.Queue.AbstractQueue import AbstractQueue
from equipment.Scheduler.Clock import Clock, SystemClock
from equipment.Scheduler.ClockWatch import ClockWatch
from equipment.Scheduler.CollectorPause import CollectorPause
from equipment.Scheduler.Errors import SchedulerError
from equipment.Scheduler.Lifecycle import Lifecycle, Phase
from equipment.Scheduler.Presence import Presence
from equipment.Scheduler.Retention import Retention
from equipment.Scheduler.RunRecord import RunRecord
from equipment.Scheduler.Schedule import Schedule
from equipment.Scheduler.Settings import SchedulerSettings
from equipment.Scheduler.Signals import ShutdownGraceExpired, StopSignals
from equipment.Scheduler.State.StateFactory import make_state_store
from equipment.Scheduler.State.StateStore import StateStore
from equipment.Scheduler.StateWriter import StateWriter
from equipment.Scheduler.Wakeup import Wakeup
from equipment.Scheduler.Zones import format_instant, zone_name


class Scheduler:
    def __init__(
        self,
        log: AbstractLogger | None = None,
        queue: AbstractQueue | None = None,
        config: Any = None,
        settings: SchedulerSettings | Mapping[str, Any] | None = None,
        clock: Clock | None = None,
        state: StateStore | None = None,
        **services: Any,
    ) -> None:
        self.log = log or NullLogger()
        self._queue = queue
        self.config = config
        self.settings = SchedulerSettings.coerce(settings)
        self.clock = clock or SystemClock()
        for name, service in services.items():
            setattr(self, name, service)
        self.lifecycle = Lifecycle()
        self.state = state or make_state_store(
            self.settings.state, self.settings.state_path, self._base_path(), self.log
        )
        self.schedule = Schedule(
            self.clock,
            self.log,
            self.settings.timezone,
            environment=self._environment(),
            state=self.state,
            lifecycle=self.lifecycle,
            catch_up=self.settings.catch_up(),
        )
        self._writer = StateWriter(self.state, self.log)
        self._presence = Presence(
            self.state, self.clock, self.log, self.settings.max_sleep, leader=self._is_leader
        )
        self._retention = Retention(
            self.state,
            self.clock,
            self.log,
            self.settings.history_days,
            self.settings.history_per_job,
        )
        self._metrics: Any = None
        self._wake = Wakeup()
        self._should_exit = False
        self._collect_only = False
        self._loop_entered = False
        self._run_depth = 0
        self._collector = CollectorPause()
        # What a stop "at once" names as abandoned: the run in progress, if any.
        self._signals = StopSignals(
            self._request_stop, lambda: self.schedule.dispatcher.runner.current, lambda: self.log
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

    def _base_path(self) -> str | None:
        try:
            path = self.config.base_path() if self.config is not None else None
        except AttributeError:
            return None
        return str(path) if path else None

    def _is_leader(self) -> bool:
        return self.schedule.dispatcher.coordinator.is_leader

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
        self.lifecycle.phase = Phase.HALTED
        self.should_exit = True

    def _request_stop(self, signal_name: str) -> None:
        # Halted first: from here on, an interrupt inside the running job is the stop's, not
        # the job's own, even if a second signal lands while the lines below are written.
        self.stop()
        running = self.schedule.dispatcher.runner.current
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
        self._collector.end()
        if self._collect_only:
            return
        self.lifecycle.phase = Phase.RUNNING
        installed = self._signals.install()
        self.schedule.sync_state()
        self._log_startup(installed)
        self._presence.announce()
        self._start_operations()
        try:
            self._loop()
        except ShutdownGraceExpired:
            running = self.schedule.dispatcher.runner.interrupted
            self.log.error(
                "Job %s did not finish within shutdown_grace (%ss) and was interrupted",
                running.job_id if running else "(between runs)",
                f"{self.settings.shutdown_grace:g}",
                extra=running.log_fields() if running else {},
            )
        finally:
            self._signals.restore()
            if self.lifecycle.phase is not Phase.HALTED:
                self.lifecycle.phase = Phase.STOPPED
            self._writer.write(self.schedule.dispatcher.drain())
            self._presence.leave()
            if self._metrics is not None:
                self._metrics.close()
            self._wake.close()
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
        """One pass: run every job that is due now; return what ran (or was skipped).

        The pass's records are written to the state store in one batch after it, with any
        run outside a pass (`job.run()`) since the last one."""
        self._clock_watch.check(self.schedule)
        self.schedule.sync_state()
        earlier = self.schedule.dispatcher.drain()
        self.schedule.tick()
        records = self.schedule.dispatcher.drain()
        self._writer.write(earlier + records)
        self._presence.beat()
        if self._metrics is not None:
            self._metrics.observe(earlier + records, self.clock.now(), self._is_leader())
        return records

    def _start_operations(self) -> None:
        """Name this process in its records, watch long runs, prune history, serve metrics."""
        me = self._presence.me
        self.schedule.dispatcher.replica = me.process_id if me is not None else None
        self._presence.watch(lambda: self.schedule.dispatcher.runner.current)
        self._retention.maybe_prune()
        port = self.settings.metrics_port
        if port:
            from equipment.Scheduler.Metrics import Metrics

            self._metrics = Metrics()
            try:
                self._metrics.serve(self.settings.metrics_host, port)
            except OSError as error:
                raise SchedulerError(
                    f"scheduler.metrics_port: cannot listen on {self.settings.metrics_host}:"
                    f"{port} ({error.strerror}); choose a free port or unset metrics_port"
                ) from None
            self.log.info(
                "Scheduler metrics on http://%s:%d/metrics", self.settings.metrics_host, port
            )

    def _sleep_until_due(self) -> None:
        idle = self.schedule.idle_seconds
        timeout = self.settings.max_sleep if idle is None else min(idle, self.settings.max_sleep)
        if timeout > 0:
            self.clock.sleep(timeout, self._wake)

    def _log_startup(self, signals: bool) -> None:
        jobs = self.schedule.get_jobs()
        zone = self.schedule.zone
        queue = self.queue.describe()
        self.log.info(
            "Scheduler starting: %d job(s), time zone %s, queue %s, state %s, pid %d%s",
            len(jobs),
            zone_name(zone),
            queue,
            self.state.location,
            os.getpid(),
            "" if signals else " (no signal handlers: not the main thread)",
            extra={
                "jobs": len(jobs),
                "timezone": zone_name(zone),
                "queue": queue,
                "state": self.state.location,
                "pid": os.getpid(),
            },
        )
        for job in sorted(jobs):
            self.log.info(
                "  %s: %s, next run %s",
                job.id,
                job.describe(),
                format_instant(job.next_run_at, zone),
                extra={"job_id": job.id},
            )
        for job in jobs:
            if job.missed is not None:
                _log_missed(self.log, job, zone)


def _log_missed(log: AbstractLogger, job: Any, zone: Any) -> None:
    """One line per job that missed occurrences while no scheduler ran."""
    missed = job.missed
    count = f"{missed.count}" if missed.complete else f"at least {missed.count}"
    if missed.caught_up == 0:
        outcome = "skipped (.catch_up(within=...) runs them after downtime)"
    elif missed.caught_up == 1:
        outcome = "the latest runs now (catch-up)"
    else:
        outcome = f"the latest {missed.caught_up} run now, oldest first (catch-up)"
    log.warning(
        "Job %s missed %s occurrence(s) while no scheduler ran, from %s to %s: %s",
        job.id,
        count,
        format_instant(missed.first, zone),
        format_instant(missed.last, zone),
        outcome,
        extra={"job_id": job.id, "missed": missed.count, "caught_up": missed.caught_up},
    )


def _checked_run(user_run: Any) -> Any:
    """Wrap a subclass's `run()` so that forgetting `super().run()` is reported, not silent."""

    @functools.wraps(user_run)
    def run(self: Scheduler, *args: Any, **kwargs: Any) -> Any:
        if self._run_depth == 0:
            self._collector.begin()
        self._run_depth += 1
        try:
            result = user_run(self, *args, **kwargs)
        finally:
            self._run_depth -= 1
            if self._run_depth == 0:
                self._collector.end()
        if self._run_depth == 0 and not self._loop_entered:
            cls = type(self)
            raise SchedulerError(
                f"{cls.__module__}.{cls.__qualname__}.run() returned without calling "
                f"super().run(), so its {len(self.schedule.jobs)} job(s) never ran; call "
                "super().run() at the end of run()"
            )
        return result

    return run
