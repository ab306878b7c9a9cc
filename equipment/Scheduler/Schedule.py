"""`self.schedule`: a `schedule.Scheduler` whose jobs are ours, indexed for scale.

Registration files each job under its ID (a dict: no scan), continues its stored grid
(`Occurrences.resume`) and puts it in the due index (a heap by next run). `schedule`'s API
keeps working on top: `jobs` is a list that reports its edits to the index, and assigning
`job.next_run` re-indexes the job.

`run_pending` is deliberately *not* overridden: when a test patches
`schedule.Scheduler.run_pending`, the loop calls the patch, as the user's guide promises;
when nothing is patched, the loop takes due jobs from the index instead (`run_due`), which
is what `run_pending` would run, in the same order, without looking at the other jobs.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
from collections.abc import Iterable, Mapping
from typing import Any

import schedule

from equipment.Log.AbstractLogger import AbstractLogger
from equipment.Log.NullLogger import NullLogger
from equipment.Scheduler import Handover, Occurrences
from equipment.Scheduler.Clock import Clock, SystemClock
from equipment.Scheduler.CollectorPause import CollectorPause
from equipment.Scheduler.Dispatcher import Dispatcher
from equipment.Scheduler.DueIndex import DueIndex
from equipment.Scheduler.Errors import SchedulerError
from equipment.Scheduler.Job import Job
from equipment.Scheduler.JobId import twin_id
from equipment.Scheduler.JobList import JobList
from equipment.Scheduler.Lifecycle import Lifecycle, Phase
from equipment.Scheduler.Occurrences import CatchUp
from equipment.Scheduler.Pauses import Pauses
from equipment.Scheduler.RunRecord import UNRECORDED, RunRecord
from equipment.Scheduler.State.MemoryStateStore import MemoryStateStore
from equipment.Scheduler.State.StateStore import MISSED, HeartbeatSpan, JobState, StateStore
from equipment.Scheduler.Zones import TzLike, format_instant, local_zone, resolve_zone, to_local

_UPSTREAM_RUN_PENDING = schedule.Scheduler.run_pending
_JOB_RUN = Job.run
_CANCEL = schedule.CancelJob


class Schedule(schedule.Scheduler):
    def __init__(
        self,
        clock: Clock | None = None,
        log: AbstractLogger | None = None,
        zone: TzLike = None,
        environment: str | None = None,
        state: StateStore | None = None,
        lifecycle: Lifecycle | None = None,
        catch_up: CatchUp | None = None,
        dispatcher: Dispatcher | None = None,
    ) -> None:
        self.index = DueIndex()
        self._by_id: dict[str, Job] = {}
        self._twins: dict[str, int] = {}  # derived ID -> last ordinal given to a twin
        super().__init__()  # assigns self.jobs: the property below wraps it
        self.clock = clock or SystemClock()
        self.log = log or NullLogger()
        resolved = resolve_zone(zone, "scheduler.timezone")
        # "local" (or no zone) follows the machine's zone as it is at each computation, as
        # `schedule`'s naive `datetime.now()` does; a named zone is fixed.
        self._zone: dt.tzinfo | None = None if _is_local(zone) else resolved
        self.environment = environment
        self.lifecycle = lifecycle or Lifecycle()
        self.state = state or MemoryStateStore()
        self.catch_up = catch_up or CatchUp()
        self.dispatcher = dispatcher or Dispatcher(self.clock, self.log, self.lifecycle)
        self.dispatcher.pauses = self.dispatcher.pauses or Pauses(self.state, self.clock)
        self._stored: dict[str, JobState] | None = None
        self._unsynced: list[Job] = []
        #: Where the stored `until(timedelta)` windows close (read at the first that needs it).
        self._windows: dict[str, dt.datetime] | None = None
        #: How late an occurrence may run at this start (see `_restart_late`).
        self._late: dt.timedelta | None = None
        #: Jobs whose `until(timedelta)` window this process has not stored yet.
        self._unstored_windows: list[Job] = []
        #: After `take_over`: a row for each occurrence the previous leader claimed and did
        #: not record (it died first): missed as far as anyone can tell, it may have started.
        self.unrecorded_claims: list[RunRecord] = []
        self._registrations = itertools.count(1)
        #: Paused during a pass of several due jobs driven by `tick()` (see run_due).
        self.burst_collector = CollectorPause()
        #: Registering for an operator's command (`schedule list`...), which runs nothing:
        #: a definition unlike the stored one is news about this shell, not a fresh grid.
        self.describing = False
        self._built: dict[int, Job] = {}  # built by every()/cron(), not yet through .do()
        #: Jobs left out at registration for their until() deadline, by ID: not scheduled,
        #: still what `schedule why`/`history` of their ID ask about.
        self.left_out: dict[str, Job] = {}

    # -- the job list and the index --------------------------------------------------------

    @property  # type: ignore[override]
    def jobs(self) -> JobList:
        return self._jobs

    @jobs.setter
    def jobs(self, jobs: Iterable[Any]) -> None:
        self._by_id.clear()
        self._twins.clear()
        self.index.clear()
        self._jobs = JobList(jobs, self._jobs_changed)

    def _jobs_changed(self, added: list[Any], removed: list[Any]) -> None:
        for job in removed:
            self.index.discard(job)
            self._twins.pop(getattr(job, "derived_id", None), None)  # ordinals may free up
            job_id = getattr(job, "_id", None)
            if self._by_id.get(job_id) is job:
                del self._by_id[job_id]
        for job in added:
            job_id = getattr(job, "_id", None)
            if job_id is not None:
                self._by_id.setdefault(job_id, job)
            if isinstance(job, Job):
                self.index.push(job)

    def reindex(self, job: Job) -> None:
        """A job's next run changed: keep the index right (if the job is listed)."""
        if self._by_id.get(job._id) is job:  # type: ignore[arg-type]
            self.index.push(job)

    # -- zone and builders -------------------------------------------------------------------

    @property
    def zone(self) -> dt.tzinfo:
        """The zone jobs without their own `at(..., tz)` are computed in."""
        return self._zone if self._zone is not None else local_zone()

    @zone.setter
    def zone(self, zone: TzLike) -> None:
        self._zone = None if _is_local(zone) else resolve_zone(zone, "scheduler.timezone")

    @property
    def phase(self) -> Phase:
        return self.lifecycle.phase

    def every(self, interval: int = 1) -> Job:
        job = Job(interval, self)
        self._built[id(job)] = job
        return job

    def without_do(self) -> list[Job]:
        """The jobs built since the last call that never reached `.do()` (so never run),
        forgotten here once returned."""
        built, self._built = self._built, {}
        return list(built.values())

    def cron(self, expression: str, tz: TzLike = None) -> Job:
        """A job on a cron expression ("*/15 9-17 * * mon-fri", "@daily"), optionally zoned."""
        from equipment.Scheduler.CronTrigger import CronTrigger

        job = Job(1, self)
        zone = resolve_zone(tz, f"cron({expression!r}, {tz!r})") if tz is not None else self.zone
        job.trigger = CronTrigger(expression, zone)
        if tz is not None:
            job.at_time_zone = zone  # the job names its own zone
        job.unit = "cron"
        job.cron_expression = expression
        self._built[id(job)] = job
        return job

    # -- registration ----------------------------------------------------------------------------

    def register(self, job: Job) -> None:
        """File a job built by `.do()`: its ID, its stored grid, the index."""
        self._built.pop(id(job), None)
        if self.lifecycle.loop_over:
            raise SchedulerError(
                f"job {job.explicit_name or job.derived_id!r} was registered after super().run() "
                "returned; register jobs in run() before calling super().run()"
            )
        job.assign_id(self._free_id(job))
        if not self._admits(job):
            return
        stored = self._stored_state().get(job.id)
        self._resume(job, stored, self._restart_late())
        if job.window_opened is not None:
            self._miss_closed_window(job, stored)
        if not self._before_deadline(job):
            return
        if self.lifecycle.phase is Phase.RUNNING:
            self.log.warning(
                "Job %s was registered while the scheduler was running; register jobs in "
                "run() before super().run()",
                job.id,
                extra={"job_id": job.id},
            )
        if stored is None or stored.fingerprint != job.fingerprint:
            self._unsynced.append(job)  # its anchor is new: store it (others are stored)
        if job.window_opened is not None:
            self._unstored_windows.append(job)
        job.order = next(self._registrations)
        self.jobs.append(job)

    def _free_id(self, job: Job) -> str:
        name = job.explicit_name
        if name is not None:
            other = self._by_id.get(name)
            if other is not None:
                raise SchedulerError(
                    f"two jobs have the ID {name!r}: {_described(other)} and "
                    f"{_described(job)}; give one of them its own ID with .name('...') "
                    "before .do()"
                )
            return name
        base = job.derived_id
        if base not in self._by_id:
            return base
        # Twins: the next free ordinal, remembered so that N twins cost N steps, not N².
        ordinal = self._twins.get(base, 1)
        candidate = base
        while candidate in self._by_id:
            ordinal += 1
            candidate = twin_id(base, ordinal)
        self._twins[base] = ordinal
        return candidate

    def _admits(self, job: Job) -> bool:
        """Whether `job` belongs in this environment (`.environments(...)`)."""
        if job.only_in is None or self.environment in job.only_in:
            return True
        self.log.info(
            "Job %s not registered: it runs in %s, this is %s",
            job.id,
            ", ".join(job.only_in),
            self.environment or "an unnamed environment (set app.env)",
            extra={"job_id": job.id},
        )
        return False

    def _before_deadline(self, job: Job) -> bool:
        """Whether `job` has a run left before its `until()` deadline; if not, it is left
        out, said in one line, and the other jobs go on."""
        why = job.never_runs(self.clock.now())
        if why is None:
            return True
        self.left_out[job.id] = job
        self.log.warning(
            "Job %s not registered: its until() deadline, %s, %s; it has no run left",
            job.id,
            format_instant(job.deadline, job.trigger.zone),
            why,
            extra={"job_id": job.id},
        )
        return False

    def _stored_state(self) -> dict[str, JobState]:
        if self._stored is None:
            self._stored = self.state.load()  # every job's state in one read
        return self._stored

    def _restart_late(self) -> dt.timedelta:
        """How late an occurrence may run at this start (see `Handover`); read once, at
        the first registration."""
        if self._late is None:
            self._late = Handover.late_at_start(self._others_spans(), self.clock.now())
        return self._late

    def _others_spans(self) -> list[HeartbeatSpan]:
        return [s for s in self.state.spans() if s.process_id != self.dispatcher.replica]

    def _earlier_window_open(self, job: Job) -> bool:
        """`until(timedelta)`: whether the stored window of the scheduler that ran `job`
        before was still open when this one opened: what fell due since that scheduler's
        last run was due in its window, and is missed (or caught up) as after any downtime."""
        closed = self._stored_windows().get(job.id)
        return closed is not None and job.window_opened is not None and closed >= job.window_opened

    def _miss_closed_window(self, job: Job, stored: JobState | None) -> None:
        """`until(timedelta)`: what the window of the scheduler that ran `job` before this
        one missed, up to that window's stored end, if it closed before this one opened
        (none of it runs now; nothing after it was due)."""
        closed = self._stored_windows().get(job.id)
        opened = job.window_opened
        if closed is None or opened is None or closed >= opened or job.missed is not None:
            return
        job.missed = Occurrences.missed_in_closed_window(
            job.trigger, job.fingerprint, stored, closed
        )

    def _stored_windows(self) -> dict[str, dt.datetime]:
        if self._windows is None:
            self._windows = self.state.windows()
        return self._windows

    def _resume(
        self, job: Job, stored: JobState | None, late: dt.timedelta = dt.timedelta(0)
    ) -> None:
        rule = job.catch_up_rule or self.catch_up
        if job.window_opened is not None and not self._earlier_window_open(job):
            stored = _in_window(job, stored, job.window_opened)
        now = self.clock.now()
        # Past the job's until() deadline nothing is missed: its next run past it ends it.
        horizon = now if job.deadline is None else min(now, job.deadline)
        if horizon < now:  # what fell due before the deadline is missed: none can run now
            late, rule = dt.timedelta(0), CatchUp()
        if job.defined_trigger is None:
            job.defined_trigger = job.trigger  # before an anchor completes it, below
        plan = Occurrences.resume(job.defined_trigger, job.fingerprint, stored, horizon, rule, late)
        if plan.redefined and self.describing:
            self.log.warning(
                "Job %s is defined here as %s, unlike the state a scheduler stored: a "
                "scheduler with this code and these settings starts its runs afresh; if it "
                "should not, this shell's settings (SCHEDULER_TIMEZONE...) differ from the "
                "scheduler's",
                job.id,
                job.describe(),
                extra={"job_id": job.id},
            )
        elif plan.redefined:
            self.log.info(
                "Job %s changed its schedule since it last ran (now %s): its runs start "
                "afresh from %s",
                job.id,
                job.describe(),
                plan.anchor.isoformat(),
                extra={"job_id": job.id},
            )
        if plan.ahead is not None:
            self._log_ahead(job, plan, plan.ahead)
        job.anchor = plan.anchor
        job.trigger = job.grid(plan.anchor)
        if plan.epoch is not None:  # a grid moved back: its own epoch
            job.epoch = plan.epoch
        else:
            job.epoch = stored.epoch if stored is not None and not plan.redefined else ""
        job.backlog = plan.backlog
        job.missed = plan.missed
        job.next_run_at = plan.next_run_at

    def _log_ahead(self, job: Job, plan: Occurrences.Resumption, by: dt.timedelta) -> None:
        """The job's stored grid is `by` ahead of this clock: say so, and what the job does."""
        ahead = round(by.total_seconds(), 3)
        self.log.warning(
            "Job %s: its stored state is %s ahead of this clock (a clock ahead of this one "
            "stored it: this one was set back since, or another host's is ahead); %s, next "
            "run %s",
            job.id,
            dt.timedelta(seconds=round(ahead)),
            "its runs move back with the clock and keep their spacing"
            if plan.epoch is not None
            else "it keeps its next run, so that none runs twice",
            format_instant(plan.next_run_at, job.defined_trigger.zone),
            extra={"job_id": job.id, "state_ahead_seconds": ahead},
        )

    def sync_state(self) -> None:
        """Store the anchors of newly registered jobs (insert-if-absent, one batch); a job
        another process anchored first follows that process's grid. And where the
        `until(timedelta)` windows of the jobs this process runs now close."""
        if self._unstored_windows:
            self._store_windows()
        if not self._unsynced:
            return
        jobs, self._unsynced = self._unsynced, []
        proposals = [JobState(job.id, job.fingerprint, job.anchor) for job in jobs]
        stored = self.state.adopt(proposals)
        for job in jobs:
            row = stored.get(job.id)
            if row is not None and row.anchor != job.anchor:
                self._resume(job, row)
        if self._stored is not None:
            self._stored.update(stored)

    def _store_windows(self) -> None:
        """Store where the `until(timedelta)` windows this process opened close, over an
        earlier scheduler's (`StateStore.open_windows`): it runs these jobs now. (Called
        when some are unstored.)"""
        jobs, self._unstored_windows = self._unstored_windows, []
        ends = {job.id: job.deadline for job in jobs if job.deadline is not None}
        self.state.open_windows(ends)
        if self._windows is not None:
            self._windows.update(ends)

    def take_over(
        self, claimed: Mapping[str, tuple[str, dt.datetime]] | None = None
    ) -> list[Job]:
        """This process has just become the one that runs jobs (a replica took the lead):
        continue every job from the shared state, as a restart would, so the grid goes on
        and what nobody ran meanwhile follows each job's catch-up rule. An occurrence the
        previous leader `claimed` counts as handled even if it died before storing its
        record: it was not missed for want of a leader (`unrecorded_claims` lists those).
        Returns the jobs that missed occurrences."""
        self._stored = self.state.load()
        claimed = claimed or {}
        missed = []
        self.unrecorded_claims = []
        late = Handover.late_at_takeover(self._others_spans(), self.clock.now())
        for job in list(self._by_id.values()):
            if isinstance(job, Job):
                before = self._stored.get(job.id)
                stored = _with_claim(before, claimed.get(job.id))
                if stored is not before and stored is not None:
                    self.unrecorded_claims.append(
                        RunRecord.skipped(
                            job.id, stored.last_scheduled, stored.epoch, MISSED, UNRECORDED
                        )
                    )
                self._resume(job, stored, late)
                if stored is None:  # the shared state was lost (a Redis without persistence)
                    self._unsynced.append(job)
                if job.window_opened is not None:  # the window that counts is this one's
                    self._unstored_windows.append(job)
                if job.missed is not None:
                    missed.append(job)
        return missed

    # -- running -----------------------------------------------------------------------------------

    def tick(self) -> None:
        """Run what is due: through a patched `run_pending` if a test patched it, else from
        the index."""
        if type(self).run_pending is _UPSTREAM_RUN_PENDING and "run_pending" not in vars(self):
            self.run_due()
        else:
            self.run_pending()

    def run_due(self) -> None:
        """Run every job due now, earliest first, taking them from the index."""
        due = self.index.pop_due(self.clock.now())
        if not due:
            return
        dispatcher = self.dispatcher
        dispatcher.prepare(due)  # the pass's claims, in one batch
        if len(due) == 1:  # most passes: nothing to batch, too little to collect
            self._run(due)
            return
        # A burst: no collection until it is over (in the loop it is held already, see
        # CollectorPause; tick() alone needs this), and pushes falling due together reach
        # their queue in one round trip.
        collector = self.burst_collector
        collector.begin()
        try:
            if dispatcher.open_batches(due):
                try:
                    self._run(due)
                finally:
                    dispatcher.send_batches()
            else:
                self._run(due)
        finally:
            collector.end()

    def get_ready(self, due: dt.datetime) -> None:
        """Just before `due`: take its jobs off the heap and make their run records, so
        that the pass starts running them at once."""
        self.dispatcher.prepare_records(self.index.stage(due))

    def _run(self, due: list[Job]) -> None:
        cancelled = []
        index, by_id, fire = self.index, self._by_id, self.dispatcher.fire
        for job in due:
            try:
                # Straight to the dispatcher, unless a test or subclass replaced `run`.
                direct = type(job).run is _JOB_RUN and "run" not in job.__dict__
                result = fire(job) if direct else job.run()
            finally:  # a run that set no next run (it raised) is indexed again
                if not index.holds(job) and by_id.get(job.id) is job:
                    index.push(job)
            if result is _CANCEL or isinstance(result, _CANCEL):
                cancelled.append(job)
        for job in cancelled:
            self.cancel_job(job)

    def claim_ahead(self, until: dt.datetime) -> None:
        """Claim now, in one batch, the occurrences falling due up to `until`, so that the
        claims' round trip to a coordinator is not paid when they are due."""
        coming = self.index.pop_due(until)
        for job in coming:
            self.index.push(job)
        self.dispatcher.prepare(coming)

    def give_back_claims(self) -> int:
        """At a stop: give back the occurrences claimed ahead that will not run here, so
        that the next leader runs them. Returns how many were given back."""
        claims = []
        for claimed in self.dispatcher.unfired_claims():
            job = self._by_id.get(claimed.job_id)
            previous = job.last_record if isinstance(job, Job) else None
            if previous is not None and (
                previous.manual
                or previous.epoch != claimed.epoch
                or previous.scheduled_at >= claimed.scheduled_at
            ):
                previous = None
            claims.append((claimed, previous))
        return self.dispatcher.coordinator.give_back(claims) if claims else 0

    def get_job(self, job_id: str) -> Job | None:
        return self._by_id.get(job_id)

    def job_named(self, job_id: str) -> Job | None:
        """The job of `job_id`, registered or left out for its until() deadline: what an
        operator asks about by ID (`schedule why`, `history`, the status page)."""
        return self._by_id.get(job_id) or self.left_out.get(job_id)

    def next_run_at(self, tag: Any = None) -> dt.datetime | None:
        """The earliest next run as an aware UTC instant."""
        if tag is None:
            return self.index.next_at()
        jobs = self.get_jobs(tag)
        return min(jobs).next_run_at if jobs else None  # type: ignore[attr-defined]

    def get_next_run(self, tag: Any = None) -> dt.datetime | None:
        at = self.next_run_at(tag)
        return None if at is None else to_local(at, local_zone())

    next_run = property(get_next_run)

    @property
    def idle_seconds(self) -> float | None:
        """Seconds until the next run, computed on aware instants (right across DST)."""
        next_at = self.next_run_at()
        if next_at is None:
            return None
        return (next_at - self.clock.now()).total_seconds()


def _in_window(job: Job, stored: JobState | None, opened: dt.datetime) -> JobState | None:
    """`until(timedelta(hours=1))` runs the job for an hour from its registration. Where
    the window an earlier process opened had closed before this one opened, or is not
    stored (an older version's state), what fell due since its last run is not this
    window's: `stored` moved up to the window's opening, so that only this window's
    occurrences are missed (or caught up); a closed window's are counted up to its end
    (`Schedule._miss_closed_window`)."""
    if stored is None or stored.fingerprint != job.fingerprint:
        return stored
    trigger = job.grid(stored.anchor)
    first = trigger.first(stored.anchor)
    if first >= opened:
        return stored
    return _moved_up(stored, Occurrences.latest_due(trigger, first, opened - Occurrences.TICK))


def _with_claim(
    stored: JobState | None, claim: tuple[str, dt.datetime] | None
) -> JobState | None:
    """`stored`, its last handled occurrence moved up to a later one claimed on its grid."""
    if stored is None or claim is None or claim[0] != stored.epoch:
        return stored
    return _moved_up(stored, claim[1])


def _moved_up(stored: JobState, handled: dt.datetime) -> JobState:
    """`stored` with `handled` as its last handled occurrence, if that is later (a copy:
    the loaded state stays as the store has it)."""
    if stored.last_scheduled is not None and stored.last_scheduled >= handled:
        return stored
    return dataclasses.replace(stored, last_scheduled=handled)


def _is_local(zone: TzLike) -> bool:
    return zone is None or (isinstance(zone, str) and zone.strip().lower() in ("", "local"))


def _described(job: Job) -> str:
    """A job in words for an error message: what it calls and when, never its arguments."""
    return job.derived_id
