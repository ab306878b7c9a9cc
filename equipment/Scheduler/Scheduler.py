"""The scheduler process: register jobs in `run()`, then `super().run()` loops until stopped.

    class Scheduler(Equipment):
        def run(self) -> None:
            self.schedule.every(10).minutes.do(cleanup)
            super().run()

One pass is `tick()`; `run()` repeats it, sleeping until the next job is due on an
interruptible wait, so `should_exit = True` or a stop signal ends the loop at once. The
sleep lasts at most an hour where the clock wakes the loop when the wall clock is set
(`WallTimer`, Linux), else at most `max_sleep`, and for replicas `max_sleep` too. The clock
is injected, so tests travel in time instead of sleeping.

This module wires the parts (see docs/architecture.md): the `Schedule` (registration and
the due index), the `Dispatcher` (one occurrence, due to rescheduled), the state store
(what survives a restart) and the process around them: lifecycle, signals, heartbeats.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
from collections.abc import Callable, Mapping
from typing import Any

from equipment.Log.AbstractLogger import AbstractLogger
from equipment.Log.NullLogger import NullLogger
from equipment.Queue.AbstractQueue import AbstractQueue
from equipment.Scheduler.Abandon import LAST_WRITE, Abandoned, within
from equipment.Scheduler.Clock import Clock, SystemClock
from equipment.Scheduler.ClockWatch import ClockWatch
from equipment.Scheduler.CollectorPause import CollectorPause
from equipment.Scheduler.Coordination.CoordinationFactory import Coordination, make_coordination
from equipment.Scheduler.Coordination.Coordinator import Coordinator
from equipment.Scheduler.Dispatcher import Dispatcher
from equipment.Scheduler.Errors import SchedulerError
from equipment.Scheduler.Executors import BackgroundPool
from equipment.Scheduler.History import (
    LISTED_PER_GAP,
    NO_LEADER,
    grace,
    missed_at_start,
    missed_rows,
)
from equipment.Scheduler.Lifecycle import Lifecycle, Phase
from equipment.Scheduler.MissedLine import log_missed, state_shows
from equipment.Scheduler.Presence import Presence
from equipment.Scheduler.Retention import Retention
from equipment.Scheduler.RunRecord import RunRecord
from equipment.Scheduler.Schedule import Schedule
from equipment.Scheduler.Settings import SchedulerSettings
from equipment.Scheduler.Signals import ShutdownGraceExpired, StopSignals
from equipment.Scheduler.State.StateFactory import make_state_store
from equipment.Scheduler.State.StateStore import HeartbeatSpan, StateStore
from equipment.Scheduler.StateWriter import StateWriter
from equipment.Scheduler.Wakeup import Wakeup
from equipment.Scheduler.Zones import format_instant, zone_name

#: A takeover stores missed rows for this many jobs at most (the log names every one).
MISSED_JOBS_STORED = 100
#: The longest a standby sleeps between looks at the lease (it is woken at once when it
#: takes the lead; this only bounds a missed wake-up).
STANDBY_SLEEP = 1.0
#: A leader claims the occurrences of its next wake-up before sleeping, when that is at most
#: this many seconds away, so that their claims cost nothing once they are due.
CLAIM_AHEAD = 1.0
#: How long a burst may run on the paused set read just before it (see `_get_ready`).
BURST_ALLOWANCE = 0.25
#: The earliest before it that the loop gets a burst ready (twice what the last one took).
LONGEST_READY = 0.25
#: What getting one due job ready takes (off the heap, its record made): 2.5 µs on our
#: 2-core VM, counted as 3.
READY_PER_JOB = 3e-6
#: Where the clock wakes the loop when the wall clock is set (`Clock.watches_wall_clock`),
#: the loop sleeps until its next job, but at most this long: a bound on anything unforeseen.
LONGEST_SLEEP = 3600.0


class Scheduler:
    def __init__(
        self,
        log: AbstractLogger | None = None,
        queue: AbstractQueue | None = None,
        config: Any = None,
        settings: SchedulerSettings | Mapping[str, Any] | None = None,
        clock: Clock | None = None,
        state: StateStore | None = None,
        coordinator: Coordinator | None = None,
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
        coordination = (
            Coordination(coordinator)
            if coordinator is not None
            else make_coordination(self.settings, queue, config, self.clock, self.log)
        )
        self.coordinator = coordination.coordinator
        self.state = (
            state
            or coordination.state
            or make_state_store(
                self.settings.state, self.settings.state_path, self._base_path(), self.log
            )
        )
        dispatcher = Dispatcher(self.clock, self.log, self.lifecycle, self.coordinator)
        dispatcher.on_background_done = lambda: self._wake.set()  # its record is due
        dispatcher.background = BackgroundPool(self.settings.background_threads)
        self.schedule = Schedule(
            self.clock,
            self.log,
            self.settings.timezone,
            environment=self._environment(),
            state=self.state,
            lifecycle=self.lifecycle,
            catch_up=self.settings.catch_up(),
            dispatcher=dispatcher,
        )
        self._writer = StateWriter(self.state, self.log)
        self._presence = Presence(
            self.state,
            self.clock,
            self.log,
            self.settings.max_sleep,
            self.coordinated,
            leader=self._is_leader,
        )
        #: Whether this process dispatches: always alone; a replica once it has taken over.
        self._leading = not self.coordinated
        self._led_with: int | None = None  # the fencing token this replica took over with
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
            self._request_stop,
            lambda: self.schedule.dispatcher.runner.current,
            lambda: self.log,
            self._store_abandoned,
        )
        self._clock_watch = ClockWatch(self.clock, self.log)
        self._ready_took = 0.0  # how long the last `_get_ready` took, in seconds

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

    @property
    def coordinated(self) -> bool:
        """Whether this is one of several replicas (`coordination` is not `none`)."""
        return self.coordinator.mode != "none"

    @property
    def leading(self) -> bool:
        """Whether this process runs jobs now (alone, or the replicas' leader)."""
        return self._leading

    def _is_leader(self) -> bool:
        return self.coordinator.is_leader

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
        if self.lifecycle.stop_began is None:  # (kept with the goodbye: see Handover)
            self.lifecycle.stop_began = self.clock.now()
        self.lifecycle.phase = Phase.HALTED
        self.should_exit = True

    @property
    def _grace(self) -> str:
        """`shutdown_grace` as the stop's log lines write it ('30', '2.5')."""
        return f"{self.settings.shutdown_grace:g}"

    def _request_stop(self, signal_name: str) -> None:
        # Halted first: from here on, an interrupt inside the running job is the stop's, not
        # the job's own, even if a second signal lands while the lines below are written.
        self.stop()
        running = self.schedule.dispatcher.runner.current
        if running is not None:
            self.log.info(
                "Scheduler stopping (%s): no new runs; waiting up to %ss for job %s",
                signal_name,
                self._grace,
                running.job_id,
                extra={"run_id": running.run_id},
            )
        else:
            self.log.info("Scheduler stopping (%s)", signal_name)
        # Armed even when no job seems to run: one may be starting this very instant.
        self._signals.arm_grace(self.settings.shutdown_grace)

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
        for job in self.schedule.without_do():
            self.log.warning(
                "A job built with %s has no .do(...), so it never runs: end it with "
                ".do(function)",
                job.describe(),
            )
        if self._collect_only:
            return
        self.queue.check()  # a database its Redis does not have: one line now, not every push
        self.lifecycle.phase = Phase.RUNNING
        self.lifecycle.stop_began = None  # (a stop() before this run is not this run's)
        installed = self._signals.install()
        try:
            if self._leading:  # a replica stores its definitions once it leads (see tick)
                self.schedule.sync_state()
            self._log_startup(installed)
            self._serve_metrics()  # before the first heartbeat: a port in use leaves no span
            self._presence.announce()
            self.coordinator.start(self._wake.set)
            self._start_operations()
        except BaseException:
            self._undo_start()
            raise
        self._collector.freeze()
        try:
            self._loop()
            self._finish_background()
        except ShutdownGraceExpired:
            running = self.schedule.dispatcher.runner.interrupted
            grace = self._grace
            if running is not None:
                self.log.error(
                    "Job %s did not finish within shutdown_grace (%ss) and was interrupted",
                    running.job_id,
                    grace,
                    extra=running.log_fields(),
                )
            elif not self.schedule.dispatcher.background.running():  # (those are named below)
                self.log.error(
                    "shutdown_grace (%ss) ran out between runs (writing state, a claim or a "
                    "hook took that long); the scheduler stops",
                    grace,
                )
        finally:
            self._collector.thaw()
            self._signals.restore()
            self._wake.close()
            self.clock.close()  # its wall-clock timer: a later run() opens another
            if self.lifecycle.phase is not Phase.HALTED:
                self.lifecycle.phase = Phase.STOPPED
            dispatcher = self.schedule.dispatcher
            dispatcher.drop_waiting()  # (the grace may have run out before they were)
            self._report_background()
            grace = self._grace
            left = dispatcher.abandon_background(
                Abandoned(f"still running when shutdown_grace ({grace}s) ran out")
            )
            self._writer.write(dispatcher.drain() + left)
            self._give_back_claims()
            # A goodbye says every run began here is recorded: not while some records are
            # not (a start soon after would run their occurrences again).
            stop_began = self.lifecycle.stop_began
            self._presence.leave(goodbye=not self._writer.pending, stop_began=stop_began)
            self.coordinator.close()  # after the records: the next leader reads them
            if self._metrics is not None:
                self._metrics.close()
            self.log.info("Scheduler stopped")

    def _loop(self) -> None:
        while True:
            self.tick()
            if self.should_exit:
                return
            self._collector.collect_due()
            self._retention.maybe_prune()
            self._sleep_until_due()
            if self.should_exit:
                return
            self._wake.clear()  # woken by the coordinator (a change of leader): go on

    def tick(self) -> list[RunRecord]:
        """One pass: run every job that is due now; return what ran (or was skipped), with
        the background runs that finished since the last pass.

        The pass's records are written to the state store in one batch after it, with any
        run outside a pass (`job.run()`, a background run) since the last one."""
        schedule, dispatcher = self.schedule, self.schedule.dispatcher
        self._clock_watch.check(schedule)
        # Before a takeover reads the shared state: background runs finished since the last
        # pass, and records a failing store kept.
        earlier = self.store_finished() if dispatcher.completed or self._writer.pending else None
        self._follow_lead()
        if self._leading:
            # Only the leader writes definitions: in a rolling deploy, a standby of the new
            # version must not replace the grid the old leader is running.
            schedule.sync_state()
            schedule.tick()
        records = dispatcher.drain()
        self._writer.write(records)
        handled = earlier + records if earlier else records
        presence, metrics = self._presence, self._metrics
        # When the loop will wake next: what its heartbeat promises and its gauge shows
        # (nobody asks in a test that only ticks).
        wakes = self._wakes_by() if presence.me is not None or metrics is not None else None
        presence.beat(wakes)
        if metrics is not None:
            metrics.observe(handled, self.clock.now(), self._is_leader(), wakes)
        return handled

    def store_finished(self) -> list[RunRecord]:
        """Store the records of the runs that finished since the last pass (background
        runs) and return them: a pass does this first; the test kit at the end."""
        records = self.schedule.dispatcher.drain()
        self._writer.write(records)
        return records

    def _follow_lead(self) -> None:
        """Under coordination: dispatch only while leading; on taking the lead (a new
        fencing token), go on from the shared state first."""
        if not self.coordinated:
            return
        token = self.coordinator.fencing_token  # None unless this replica leads
        if token is not None and token != self._led_with and not self._take_over():
            token = None
        self._led_with = token
        self._leading = token is not None

    def _take_over(self) -> bool:
        try:
            missed = self.schedule.take_over(self.coordinator.claimed())
        except Exception as error:
            self.log.warning(
                "Scheduler state could not be read to take over (%s: %s); retrying",
                type(error).__name__,
                error,
            )
            return False
        self.log.info(
            "Leading with fencing token %s: %d job(s) go on from the shared state",
            self.coordinator.fencing_token,
            len(self.schedule.get_jobs()),
            extra={"fencing_token": self.coordinator.fencing_token},
        )
        for job in missed:
            log_missed(self.log, job, self.schedule.zone, "while no replica led")
        # Those of a leader's stop fell due while it finished a job (a handover): not for
        # want of a leader. The leader's, not a standby's: a standby's span covers all its
        # life, and it ran none of them.
        stops = {span.process_id: span for span in self.state.spans() if span.stopped}
        self._store_missed(
            missed,
            lambda job: missed_at_start(self._last_handler(job, stops), otherwise=NO_LEADER),
        )
        # This process's own claims are not a dead leader's: a run still going here, or a
        # record waiting for the store to take it (a leader may lose and retake the lease).
        dispatcher = self.schedule.dispatcher
        mine = {r.run_id for r in [*self._writer.pending, *dispatcher.background.running()]}
        unrecorded = [r for r in self.schedule.unrecorded_claims if r.run_id not in mine]
        for row in unrecorded:
            self.log.warning(
                "Job %s: occurrence %s was claimed by the previous leader, which died before "
                "recording it; it is not run again (it may have started)",
                row.job_id,
                row.run_id,
                extra=row.log_fields(),
            )
        self._writer.write(unrecorded)
        return True

    def _last_handler(self, job: Any, stops: dict[str, HeartbeatSpan]) -> list[HeartbeatSpan]:
        """The stopped span of the replica that handled `job` last (its newest row that
        names one), as `History.stop_tails` tells it: none if that one did not stop."""
        if not stops:
            return []
        for row in self.state.history(job.id, limit=LISTED_PER_GAP + 1):
            if row.replica is not None:
                span = stops.get(row.replica)
                return [] if span is None else [span]
        return []

    def _store_missed(
        self,
        missed: list[Any],
        reason: Callable[[Any], Callable[[dt.datetime], str]],
    ) -> None:
        """History rows for the newest of what nobody ran (a few per job, a bounded batch
        in all): a replica's heartbeats cover the time no replica led, and with them stored
        the next start does not count the same occurrences missed again. `reason(job)`
        tells why the job missed an instant."""
        rows: list[RunRecord] = []
        for job in missed[:MISSED_JOBS_STORED]:
            try:
                rows += missed_rows(job, reason(job))
            except OverflowError:  # a grid too far to walk: the log line has the count
                continue
        self._writer.write(rows)

    def _store_abandoned(self, why: str) -> None:
        """The process leaves at once: store what ran, the abandoned run's record too (a
        failure: `Abandoned`, why), if that is done within `LAST_WRITE`. All of it in a
        thread of its own: called from a signal handler, this thread may hold the very locks
        it takes."""
        dispatcher = self.schedule.dispatcher

        def store() -> None:
            records = dispatcher.drain()
            abandoned = dispatcher.runner.abandon(Abandoned(why))
            if abandoned is not None:
                records.append(abandoned)
            background = dispatcher.abandon_background(Abandoned(why))
            for record in background:  # (the signal's own line names the inline run)
                self.log.error(
                    "Background job %s abandoned (run %s): %s",
                    record.job_id,
                    record.run_id,
                    why,
                    extra=record.log_fields(),
                )
            records += background
            records += dispatcher.drain()  # a background run that finished meanwhile
            self._writer.write(records)
            # Then those that never got a thread (it logs each), unless the main thread,
            # stopped by the signal, holds the pool's lock: they never start anyway.
            dispatcher.drop_waiting(wait=False)
            self._writer.write(dispatcher.drain())

        within(LAST_WRITE, store, "equipment-last-records")

    def _give_back_claims(self) -> None:
        """The occurrences claimed ahead (up to `CLAIM_AHEAD`) that this stop keeps from
        running go back, so that the next leader runs them: a rolling deploy loses none.
        Not when the last records were not stored: then the marks are what keeps the next
        leader from running those runs again."""
        if self._writer.pending:
            return
        given = self.schedule.give_back_claims()
        if given:
            self.log.info(
                "Gave back %d occurrence(s) claimed ahead that this scheduler will not run: "
                "the next leader runs them",
                given,
            )

    def _finish_background(self) -> None:
        """At the stop: let background runs finish, up to `shutdown_grace`; those still
        waiting for a thread do not start."""
        self.schedule.dispatcher.drop_waiting()
        pool = self.schedule.dispatcher.background
        if pool.running():
            self.log.info(
                "Waiting up to %ss for %d background run(s)",
                self._grace,
                len(pool.running()),
            )
            pool.wait(self.settings.shutdown_grace)

    def _report_background(self) -> None:
        grace = self._grace
        for record in self.schedule.dispatcher.background.running():
            self.log.error(
                "Background job %s did not finish within shutdown_grace (%ss); the process "
                "exits without it",
                record.job_id,
                grace,
                extra=record.start_fields(),
            )

    def _undo_start(self) -> None:
        """A start that failed (the coordinator's) leaves nothing running, for an app
        that goes on after it: no lease held with no loop to run the jobs (a standby leads
        at once), no threads, no heartbeat of a running replica, the signal handlers as they
        were. No goodbye: its span must not tell the next start that the scheduler before
        it stopped cleanly (`Handover`); that one may have crashed."""
        if self._metrics is not None:
            self._metrics.close()
            self._metrics = None
        self._presence.leave(goodbye=False)
        self.coordinator.close()
        self._signals.restore()
        self.lifecycle.phase = Phase.STOPPED

    def _start_operations(self) -> None:
        """Name this process in its records, watch long runs, prune history."""
        me = self._presence.me
        self.schedule.dispatcher.replica = me.process_id if me is not None else None
        self._presence.watch(
            lambda: self.schedule.dispatcher.runner.current, self._collector.collect_due
        )
        self._retention.maybe_prune()

    def _serve_metrics(self) -> None:
        """Listen on metrics_port, if set. Before the first heartbeat: a start refused for a
        port in use ran nothing, and a heartbeat span of it would read in `history` and `why`
        as a scheduler that ran and died without a stop ("it may have started")."""
        port = self.settings.metrics_port
        if not port:
            return
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
        if not self._leading:  # a standby: the coordinator wakes it when it may lead
            self.clock.sleep(self._longest_sleep(), self._wake)
            return
        idle = self.schedule.idle_seconds
        if self.coordinated and idle is not None and idle > 0:
            if idle > CLAIM_AHEAD:  # wake up in time to claim ahead
                idle -= CLAIM_AHEAD / 2
            else:
                self.schedule.claim_ahead(self.clock.now() + dt.timedelta(seconds=idle))
                idle = self.schedule.idle_seconds
        longest = self._longest_sleep()
        timeout = longest if idle is None else min(idle, longest)
        if timeout <= 0:
            return
        if idle is not None and timeout >= idle:  # a job is due at the end: wake on time
            due = self.schedule.next_run_at()
            # A burst of thousands takes tens of ms to get ready: begin twice as early as
            # the last one took (bursts recur: every 10 s, every hour at :00) or as all
            # the indexed jobs at once would take, whichever is longer.
            guess = max(self._ready_took, READY_PER_JOB * len(self.schedule.index))
            ahead = min(2 * guess, LONGEST_READY)
            self.clock.sleep_until_due(
                timeout, self._wake, ready=lambda: self._get_ready(due), ready_ahead=ahead
            )
        else:
            self.clock.sleep(timeout, self._wake)

    def _longest_sleep(self) -> float:
        """`max_sleep`, unless the clock wakes the loop when the wall clock is set: then
        nothing needs a look before the next job (or `LONGEST_SLEEP`). Replicas keep to
        `max_sleep`: on other hosts, a crashed one can be told only by its heartbeat
        (their leases wake them anyway)."""
        if not self._leading:
            return min(self.settings.max_sleep, STANDBY_SLEEP)
        if self.clock.watches_wall_clock and not self.coordinated:
            return max(self.settings.max_sleep, LONGEST_SLEEP)
        return self.settings.max_sleep

    def _wakes_by(self) -> dt.datetime:
        """The latest the loop wakes after this pass (its heartbeat promises the next beat
        soon after): at its next job, or after its longest sleep."""
        now = self.clock.now()
        latest = now + dt.timedelta(seconds=self._longest_sleep())
        due = self.schedule.next_run_at() if self._leading else None
        return latest if due is None else max(now, min(due, latest))

    def _get_ready(self, due: dt.datetime) -> None:
        """Just before `due`: get the pass ready (`Schedule.get_ready`) and read the paused
        set, so that the pass starts running jobs at once."""
        began = self.clock.monotonic()
        self.schedule.get_ready(due)
        pauses = self.schedule.dispatcher.pauses
        if pauses is not None:
            pauses.refresh(ahead=BURST_ALLOWANCE)
        self._ready_took = self.clock.monotonic() - began

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
            deadline = job.deadline
            self.log.info(
                "  %s: %s, next run %s%s",
                job.id,
                job.describe(),
                format_instant(job.next_run_at, job.trigger.zone),  # as list shows it
                "" if deadline is None else f", until {format_instant(deadline, job.trigger.zone)}",
                extra={"job_id": job.id},
            )
        if self.coordinated:
            self._log_coordination()
            return  # what was missed is the leader's to report, when it takes over
        missed = [job for job in jobs if job.missed is not None]
        spans = self.state.spans() if missed else []
        for job in missed:
            log_missed(self.log, job, zone, shows=state_shows(job, spans, zone))
        me = self.schedule.dispatcher.replica  # (its own span says nothing of before it)
        before = [span for span in spans if span.process_id != me]
        at_start = missed_at_start(before, grace(self.settings.max_sleep))
        self._store_missed(missed, lambda job: at_start)

    def _log_coordination(self) -> None:
        coordinator: Any = self.coordinator
        self.log.info(
            "Coordination: %s at %s, lease %ss; this replica is %s",
            coordinator.mode,
            getattr(coordinator, "where", "?"),
            f"{self.settings.lease_seconds:g}",
            getattr(coordinator, "replica", "?"),
            extra={"coordination": coordinator.mode},
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
