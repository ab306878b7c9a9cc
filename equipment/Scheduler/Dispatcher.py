"""One occurrence of one job, from due to rescheduled; the only path every run takes.

    due ─► claim ─► conditions ─► execute ─► record ─► reschedule

1. *due*: which occurrence this is (`Occurrences`: a catch-up backlog first, else the
   latest due one) and so its run ID;
2. *claim*: whether this process may run it (`Coordinator`; a pass's claims are made in
   one batch beforehand by `prepare`); an occurrence that is not ours leaves no record; a
   paused job (`equipment schedule pause`) is skipped before it claims anything;
3. *conditions*: `.when()` / `.skip()`, then `.without_overlapping()`'s lock;
4. *execute*: the `Runner` runs the job, logs it and calls its hooks: inline, or on the
   background pool for `.in_background()` jobs;
5. *record*: the `RunRecord` joins this pass's batch (a background run's when it ends),
   which the scheduler writes to its state store after the pass;
6. *reschedule*: the next run is the first occurrence strictly after now.

Nothing here raises for a job's sake: a job whose next run cannot be computed is cancelled
alone, and the loop goes on.
"""

from __future__ import annotations

import datetime as dt
from collections import deque
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

import schedule

from equipment.Log.AbstractLogger import AbstractLogger
from equipment.Scheduler import Occurrences
from equipment.Scheduler.Clock import Clock
from equipment.Scheduler.Coordination.Coordinator import Coordinator, SingleProcess
from equipment.Scheduler.Executors import BackgroundPool
from equipment.Scheduler.History import LISTED_PER_GAP
from equipment.Scheduler.Lifecycle import Lifecycle
from equipment.Scheduler.Pauses import Pauses
from equipment.Scheduler.Runner import Runner
from equipment.Scheduler.RunRecord import (
    CATCH_UP,
    CONDITION,
    DEADLINE,
    MANUAL,
    OVERLAP,
    PAUSED,
    POOL_BUSY,
    SKIPPED,
    STOPPING,
    RunRecord,
    run_id_for,
)

if TYPE_CHECKING:
    from equipment.Queue.PushBatch import PushBatch

NOT_THE_OWNER = "not the owner"
# When an occurrence's record is complete (see Dispatcher._handle).
NOW, LATER, NEVER = "now", "later", "never"


class Dispatcher:
    def __init__(
        self,
        clock: Clock,
        log: AbstractLogger,
        lifecycle: Lifecycle | None = None,
        coordinator: Coordinator | None = None,
    ) -> None:
        self.clock = clock
        self.log = log
        self.lifecycle = lifecycle or Lifecycle()
        self.coordinator = coordinator or SingleProcess()
        self.runner = Runner(clock, log, self.lifecycle)
        self.background = BackgroundPool()
        # Handled since the last drain(), from any thread: a deque's appends and pops are
        # atomic, so no run takes a lock to file its record.
        self.completed: deque[RunRecord] = deque()
        # Claims made ahead by prepare(): job ID -> (run ID, granted). One per job, so an
        # occurrence claimed but never fired (the job was paused or removed meanwhile)
        # is replaced by the job's next claim rather than kept for ever.
        self._claims: dict[str, tuple[RunRecord, bool]] = {}  # job ID -> (claimed, granted)
        self._prepared: dict[str, Any] = {}  # job ID -> the next run it was prepared for
        self._ready: dict[str, RunRecord] = {}  # job ID -> its next record, made ahead
        self._batches: dict[int, PushBatch] = {}  # id(queue) -> this pass's batch of pushes
        #: The paused jobs (set by the Schedule, which knows the state store).
        self.pauses: Pauses | None = None
        #: This process's ID in the records it makes (`ProcessInfo.process_id`).
        self.replica: str | None = None
        #: Called when a background run completes: the loop wakes to store its record
        #: (it may otherwise sleep an hour until its next job).
        self.on_background_done: Callable[[], object] = lambda: None

    def fire(self, job: Any) -> Any:
        """Handle `job`'s due occurrence; return what `schedule` expects of `Job.run()`."""
        now = self.clock.now()
        if job.deadline is not None and job.is_overdue(now):
            return self._ended(job)
        if not self.lifecycle.accepts_runs:
            return None  # stopping: no new runs start
        record = self._due_record(job, now)
        done = self._handle(job, record) is NOW
        try:
            job.next_run_at = self._next(job, record.scheduled_at)
            if done:  # (before the run's record: the run stays the job's last outcome)
                self._skip_overrun(job, record.scheduled_at)
        except Exception:
            self.log.exception(
                "Job %s could not compute its next run and was cancelled; the other jobs go on",
                record.job_id,
                extra={"job_id": record.job_id},
            )
            return schedule.CancelJob
        finally:
            if done:
                self._complete(job, record)
        if job.deadline is not None and job.is_overdue(job.next_run_at):
            return self._ended(job)
        return record.result

    def _ended(self, job: Any) -> Any:
        """`job` has no run before its `until()` deadline left: it leaves the schedule. Its
        first occurrence past the deadline gets a row, so that `history` and `why` (in any
        process: an `until(timedelta)` window is this process's own) tell where it ended."""
        if job.next_run_at is not None:
            self._keep(
                RunRecord.skipped(
                    job.id, job.next_run_at, job.epoch, SKIPPED, DEADLINE, self.replica
                )
            )
        self.log.info(
            "Job %s reached its until() deadline (%s): no more runs; it leaves the schedule",
            job.id,
            job.deadline.isoformat(),
            extra={"job_id": job.id},
        )
        return schedule.CancelJob

    def _due_record(self, job: Any, now: dt.datetime) -> RunRecord:
        """The record of `job`'s due occurrence: the one `prepare_records()` made ahead
        when it is still that occurrence's, else a new one."""
        due = job.next_run_at
        scheduled = self._occurrence(job, now)
        if due is not None and scheduled > due:  # the loop came late: the latest runs
            self._skip_coalesced(job, due, scheduled)
        record = self._ready.pop(job.id, None) if self._ready else None
        if record is None or record.scheduled_at != scheduled or record.epoch != job.epoch:
            record = self._record(job, scheduled)
        return record

    def _skip_overrun(self, job: Any, scheduled: dt.datetime) -> None:
        """`job`'s run of `scheduled` outlasted its interval: the occurrences that fell due
        meanwhile are skipped (its next run is after now). The newest few get records, as
        a late loop's do, so that history shows them and the grid's last handled one moves
        past them: a start after this one does not take them for a downtime. (During a
        stop, those due from its beginning on are left for the next start, as no new run
        starts then: see `Handover`.)"""
        if self.clock.now() - scheduled < Occurrences.SHORTEST_SPACING:
            return  # the usual run, over before its next occurrence could be due
        following, lifecycle = job.next_run_at, self.lifecycle
        if job.backlog or following is None:
            return
        if not lifecycle.accepts_runs:
            if lifecycle.stop_began is None:
                return
            following = min(following, lifecycle.stop_began)
        first = job.trigger.next_after(scheduled)
        if first < following:
            self._keep_skipped(job, first, following - Occurrences.TICK, CATCH_UP)

    def _keep_skipped(self, job: Any, first: dt.datetime, last: dt.datetime, reason: str) -> None:
        """Records of `job`'s skipped occurrences in [first, last] (`first` on its grid),
        the newest few: as many as a history lists one by one (a log line counts them)."""
        moments = Occurrences.newest_in(job.trigger, first, last, LISTED_PER_GAP)
        self._keep(*[
            RunRecord.skipped(job.id, at, job.epoch, SKIPPED, reason, self.replica)
            for at in moments
        ])

    def _skip_coalesced(self, job: Any, first: dt.datetime, latest: dt.datetime) -> None:
        """The loop came to `job` late: of its occurrences from `first` on, only `latest`
        runs. The ones before it are skipped (catch-up policy): one line counts them, and
        the newest few get records, so that history shows them."""
        before = latest - Occurrences.TICK  # the skipped ones: [first, latest)
        paused = self.pauses is not None and self.pauses.is_paused(job.id)
        # (Paused: none of them would have run.) The log line below counts them all.
        self._keep_skipped(job, first, before, PAUSED if paused else CATCH_UP)
        if paused:
            return
        # Counted only where that is arithmetic: on the loop's path, a cron grid is not
        # walked through a week of suspend.
        fixed = job.trigger.fixed_period()
        count = (before - first) // fixed + 1 if fixed is not None else None
        self.log.info(
            "Job %s: %s from %s to %s fell due before the loop could run them (a long inline "
            "job, a suspend, a clock step) and are skipped; the latest, %s, runs now",
            job.id,
            "the occurrences" if count is None else f"{count} occurrence(s)",
            first.isoformat(),
            before.isoformat(timespec="seconds"),
            latest.isoformat(),
            extra={"job_id": job.id, "skipped": count},
        )

    def open_batches(self, due: Iterable[Any]) -> bool:
        """Before `due` jobs run: the pushes of `do(queue.push, ...)` jobs that share a
        queue will go to that queue in one batch, sent by `send_batches()`. Returns whether
        any batch was opened (when none is, there is nothing to send)."""
        by_queue: dict[int, list[Any]] = {}
        for job in due:
            if job.push_call is not None and not job.background:
                by_queue.setdefault(id(job.push_call[0]), []).append(job)
        for key, jobs in by_queue.items():
            batch = jobs[0].push_call[0].batch() if len(jobs) > 1 else None
            if batch is not None:
                self._batches[key] = batch
        return bool(self._batches)

    def send_batches(self) -> None:
        """Send this pass's batches, each resolving every push of its own whatever
        happens; a stop raised while sending one is raised after the others are sent."""
        batches, self._batches = self._batches, {}
        interrupted: BaseException | None = None
        for batch in batches.values():
            try:
                batch.send()
            except BaseException as error:  # a stop: the other batches still resolve
                interrupted = interrupted or error
        if interrupted is not None:
            raise interrupted

    def drain(self) -> list[RunRecord]:
        completed = self.completed
        if not completed:  # a record appended meanwhile is drained next time
            return []
        # As many as are there now, each popped on its own: one filed meanwhile waits. Another
        # drain may take some meanwhile (a stop at once drains in a thread of its own while
        # the main thread may be draining): each record goes to one of them, none is lost.
        records = []
        try:
            for _ in range(len(completed)):
                records.append(completed.popleft())
        except IndexError:
            pass
        return records

    def prepare(self, jobs: Iterable[Any]) -> None:
        """Claim the due (or next) occurrences of `jobs` in one batch (a pass's claims in
        one round trip, possibly made just before they fall due); `fire` then finds its
        answer here. An occurrence that is not the one prepared when it fires (a slow
        pass) is claimed on its own."""
        if not self.coordinator.batches_claims:
            return
        prepared = self._prepared
        fresh = [job for job in jobs if job.backlog or prepared.get(job.id) != job.next_run_at]
        records = self.prepare_records(fresh)
        claims = self._claims
        records = [r for r in records if not _holds(claims, r)]
        if not records:
            return
        granted = self.coordinator.claim_many(records)
        claims.update({r.job_id: (r, r.run_id in granted) for r in records})
        self._prepared.update({job.id: job.next_run_at for job in fresh})

    def prepare_records(self, jobs: Iterable[Any]) -> list[RunRecord]:
        """Make the records of `jobs`' due (or next) occurrences now, ahead of their time:
        `fire` takes them instead of making them while a burst is running (the loop calls
        this just before a burst falls due, with the claims of replicas)."""
        now, ready = self.clock.now(), self._ready
        records = [self._record(job, self._occurrence(job, now, peek=True)) for job in jobs]
        ready.update({record.job_id: record for record in records})
        return records

    def _complete(self, job: Any, record: RunRecord) -> None:
        self.completed.append(record)
        job.remember(record)

    def _keep(self, *records: RunRecord) -> None:
        """File finished records for the next `drain()` (from any thread)."""
        self.completed.extend(records)

    def _occurrence(self, job: Any, now: dt.datetime, peek: bool = False) -> dt.datetime:
        if job.backlog:
            return job.backlog[0] if peek else job.backlog.popleft()
        due = job.next_run_at
        if due is None:
            return now
        return due if due >= now else Occurrences.latest_due(job.trigger, due, now)

    def _next(self, job: Any, scheduled: dt.datetime) -> dt.datetime:
        """The occurrence after `scheduled` strictly after now: after the run and its
        hooks, which may have taken a while."""
        if job.backlog:
            return job.backlog[0]
        return Occurrences.next_run(job.trigger, scheduled, self.clock.now())

    def _record(self, job: Any, scheduled: dt.datetime) -> RunRecord:
        return RunRecord.of_occurrence(job.id, scheduled, job.epoch, self.replica)

    def run_now(self, job: Any) -> RunRecord:
        """Run `job` once now, off its grid (`equipment schedule run`): conditions, overlap
        lock, execution, hooks and record as for a scheduled occurrence, inline (the command
        waits for it). An operator asked for this run by name, so a pause does not hold it
        back and it needs no claim: its run ID (`...~manual`) is its own. The job's next
        scheduled run stays where it is."""
        now = self.clock.now()
        record = RunRecord(
            job.id, run_id_for(job.id, now, MANUAL), now, replica=self.replica, manual=True
        )
        self._handle(job, record, manual=True)
        self._complete(job, record)
        return record

    def _handle(self, job: Any, record: RunRecord, manual: bool = False) -> str:
        """Claim, check and run (or hand to the pool). Returns when the record is complete:
        NOW, LATER (a background run completes it) or NEVER (not ours: no record)."""
        if not manual and self.pauses is not None and self.pauses.is_paused(record.job_id):
            self._skip(job, record, PAUSED)
            return NOW
        if not manual and not self._claimed(record):
            self._skip(job, record, NOT_THE_OWNER)
            return NEVER
        if job.conditions and not self._conditions_hold(job, record):
            self._skip(job, record, CONDITION)
            return NOW
        if job.background and not manual and self.background.waiting(record.job_id):
            record.reason = POOL_BUSY
            self.log.info(
                "Job %s skipped occurrence %s: its previous occurrence is still waiting for a "
                "background thread (all %d busy)",
                record.job_id,
                record.run_id,
                self.background.threads,
                extra=record.log_fields(),
            )
            return NOW
        if job.exclusive and not self.coordinator.locks.acquire(record.job_id, record.run_id):
            record.reason = OVERLAP
            self.log.info(
                "Job %s skipped occurrence %s: its previous run is still going "
                "(without_overlapping)",
                record.job_id,
                record.run_id,
                extra=record.log_fields(),
            )
            return NOW
        if job.background and not manual:
            self.background.submit(
                record,
                lambda: self._run_background(job, record),
                lambda: self._not_started(job, record),
            )
            return LATER
        batch = self._batches.get(id(job.push_call[0])) if job.push_call else None
        try:
            self.runner.run(job, record, self.coordinator.fence(), batch)
        except BaseException:
            # Cut short by a stop (the grace ran out, a Ctrl-C): it ran, and its record
            # says how far; the scheduler writes it on the way out.
            if record is self.runner.interrupted:
                self._complete(job, record)
            raise
        finally:
            if job.exclusive:
                self._unlock(job, record)
        return NOW

    def _claimed(self, record: RunRecord) -> bool:
        prepared = self._claims.get(record.job_id)
        if prepared is None or prepared[0].run_id != record.run_id:
            return self.coordinator.claim(record)
        del self._claims[record.job_id]
        # Claimed earlier in this pass: still ours only if the lease is (a pass may be slow).
        return prepared[1] and self.coordinator.is_leader

    def unfired_claims(self) -> list[RunRecord]:
        """At a stop: the occurrences this process claimed ahead and did not fire (they
        fell due after the stop began, or had not yet); they are forgotten here."""
        claims, self._claims = self._claims, {}
        return [record for record, granted in claims.values() if granted]

    def drop_waiting(self, wait: bool = True) -> None:
        """At a stop: background runs still waiting for a thread are not started.
        `wait=False`: leaving at once, not if that means waiting for the pool's lock."""
        self.background.cancel_waiting(wait)

    def abandon_background(self, error: BaseException) -> list[RunRecord]:
        """The process leaves at once: the background runs still going end with `error`.
        (Read without the pool's lock: the main thread, stopped by a signal, may hold it.)"""
        now, abandoned = self.clock.now(), []
        for record in self.background.running_unlocked():
            if record.started_at is not None and record.finished_at is None:
                record.abandon(error, now, (now - record.started_at).total_seconds())
                abandoned.append(record)
        return abandoned

    def _not_started(self, job: Any, record: RunRecord) -> None:
        """A background run waited for a thread until a stop came: it is not run, and
        the overlap lock it took (a .without_overlapping() job) is released."""
        record.reason = STOPPING
        self.log.warning(
            "Background job %s did not start before the stop (all threads were busy); "
            "occurrence %s is not run",
            record.job_id,
            record.run_id,
            extra=record.log_fields(),
        )
        self._keep(record)
        self._unlock(job, record)

    def _run_background(self, job: Any, record: RunRecord) -> None:
        if not self.lifecycle.accepts_runs:  # it waited for a thread until a stop came
            self._not_started(job, record)
            self.on_background_done()
            return
        try:
            Runner(self.clock, self.log, self.lifecycle).run(job, record, self.coordinator.fence())
        except BaseException:  # noqa: BLE001 - a pool thread must survive anything
            self.log.exception("Job %s: background run ended abnormally", job.id)
        finally:
            self._unlock(job, record)
            self._complete(job, record)
            self.on_background_done()

    def _unlock(self, job: Any, record: RunRecord) -> None:
        if not job.exclusive:
            return
        try:
            self.coordinator.locks.release(job.id, record.run_id)
        except Exception as error:  # the lock expires by itself (see RunLocks)
            self.log.warning(
                "Job %s: its overlap lock was not released (%s: %s); it expires by itself",
                job.id,
                type(error).__name__,
                error,
                extra=record.log_fields(),
            )

    def _skip(self, job: Any, record: RunRecord, reason: str) -> None:
        record.reason = reason
        self.log.debug(
            "Job %s skipped this occurrence (%s)", record.job_id, reason, extra=record.log_fields()
        )

    def _conditions_hold(self, job: Any, record: RunRecord) -> bool:
        for predicate, wanted in job.conditions:
            try:
                if bool(predicate()) is not wanted:
                    return False
            except Exception:
                self.log.exception(
                    "Job %s: its when()/skip() condition raised; occurrence skipped",
                    job.id,
                    extra=record.log_fields(),
                )
                return False
        return True


def _holds(claims: dict[str, tuple[RunRecord, bool]], record: RunRecord) -> bool:
    """Whether `record`'s occurrence is the one its job has claimed already."""
    held = claims.get(record.job_id)
    return held is not None and held[0].run_id == record.run_id
