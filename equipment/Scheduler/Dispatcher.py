"""One occurrence of one job, from due to rescheduled; the only path every run takes.

    due ─► claim ─► conditions ─► execute ─► record ─► reschedule

1. *due*: which occurrence this is (`Occurrences`: a catch-up backlog first, else the
   latest due one) and so its run ID;
2. *claim*: whether this process may run it (`Coordinator`); a paused job
   (`equipment schedule pause`) is skipped before it claims anything;
3. *conditions*: `.when()` / `.skip()`;
4. *execute*: the `Runner` runs the job, logs it and calls its hooks;
5. *record*: the `RunRecord` joins this pass's batch, which the scheduler writes to its
   state store after the pass;
6. *reschedule*: the next run is the first occurrence strictly after now.

Nothing here raises for a job's sake: a job whose next run cannot be computed is cancelled
alone, and the loop goes on.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import schedule

from equipment.Log.AbstractLogger import AbstractLogger
from equipment.Scheduler import Occurrences
from equipment.Scheduler.Clock import Clock
from equipment.Scheduler.Coordination.Coordinator import Coordinator, SingleProcess
from equipment.Scheduler.Lifecycle import Lifecycle
from equipment.Scheduler.Pauses import Pauses
from equipment.Scheduler.Runner import Runner
from equipment.Scheduler.RunRecord import CONDITION, MANUAL, PAUSED, RunRecord, run_id_for

NOT_THE_OWNER = "not the owner"


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
        self.completed: list[RunRecord] = []  # handled since the last drain()
        #: The paused jobs (set by the Schedule, which knows the state store).
        self.pauses: Pauses | None = None
        #: This process's ID in the records it makes (`ProcessInfo.process_id`).
        self.replica: str | None = None

    def fire(self, job: Any) -> Any:
        """Handle `job`'s due occurrence; return what `schedule` expects of `Job.run()`."""
        now = self.clock.now()
        if job.is_overdue(now):
            return schedule.CancelJob
        if not self.lifecycle.accepts_runs:
            return None  # stopping: no new runs start
        scheduled = self._occurrence(job, now)
        record = RunRecord(
            job.id,
            run_id_for(job.id, scheduled, job.epoch),
            scheduled,
            epoch=job.epoch,
            replica=self.replica,
        )
        self._handle(job, record)
        self.completed.append(record)
        job.remember(record)
        try:
            job.next_run_at = self._next(job, scheduled)
        except Exception:
            self.log.exception(
                "Job %s could not compute its next run and was cancelled; the other jobs go on",
                job.id,
                extra={"job_id": job.id},
            )
            return schedule.CancelJob
        if job.is_overdue(job.next_run_at):
            return schedule.CancelJob
        return record.result

    def run_now(self, job: Any) -> RunRecord:
        """Run `job` once now, off its grid (`equipment schedule run`): claim, conditions,
        execute and record as for a scheduled occurrence; a pause does not hold it back,
        and its next scheduled run stays where it is."""
        now = self.clock.now()
        record = RunRecord(
            job.id, run_id_for(job.id, now, MANUAL), now, replica=self.replica, manual=True
        )
        self._handle(job, record, manual=True)
        self.completed.append(record)
        return record

    def drain(self) -> list[RunRecord]:
        records, self.completed = self.completed, []
        return records

    def _occurrence(self, job: Any, now: dt.datetime) -> dt.datetime:
        if job.backlog:
            return job.backlog.popleft()
        due = job.next_run_at
        if due is None:
            return now
        return Occurrences.latest_due(job.trigger, due, now)

    def _next(self, job: Any, scheduled: dt.datetime) -> dt.datetime:
        if job.backlog:
            return job.backlog[0]
        return Occurrences.next_run(job.trigger, scheduled, self.clock.now())

    def _handle(self, job: Any, record: RunRecord, manual: bool = False) -> None:
        if not manual and self.pauses is not None and self.pauses.is_paused(job.id):
            self._skip(job, record, PAUSED)
        elif not self.coordinator.claim(record):
            self._skip(job, record, NOT_THE_OWNER)
        elif not self._conditions_hold(job, record):
            self._skip(job, record, CONDITION)
        else:
            self.runner.run(job, record)

    def _skip(self, job: Any, record: RunRecord, reason: str) -> None:
        record.reason = reason
        self.log.debug(
            "Job %s skipped this occurrence (%s)", job.id, reason, extra=record.log_fields()
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
