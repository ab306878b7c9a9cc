"""`self.schedule`: a `schedule.Scheduler` whose jobs are ours, with a clock and a zone.

`run_pending` is deliberately *not* overridden: the loop calls it, so patching
`schedule.Scheduler.run_pending` in a test takes effect, as the user's guide promises.
"""

from __future__ import annotations

import datetime as dt
import random
from enum import Enum
from typing import Any

import schedule

from equipment.Log.AbstractLogger import AbstractLogger
from equipment.Log.NullLogger import NullLogger
from equipment.Scheduler.Clock import Clock, SystemClock
from equipment.Scheduler.Errors import SchedulerError
from equipment.Scheduler.Job import Job
from equipment.Scheduler.Runner import Runner
from equipment.Scheduler.Zones import TzLike, local_zone, resolve_zone


class Phase(Enum):
    COLLECTING = "collecting"  # run() of the subclass is registering jobs
    RUNNING = "running"  # the loop is going
    STOPPED = "stopped"  # the loop has ended


class Schedule(schedule.Scheduler):
    def __init__(
        self,
        clock: Clock | None = None,
        log: AbstractLogger | None = None,
        zone: TzLike = None,
        environment: str | None = None,
        rng: random.Random | None = None,
    ) -> None:
        super().__init__()
        self.clock = clock or SystemClock()
        self.log = log or NullLogger()
        resolved = resolve_zone(zone, "scheduler.timezone")
        # "local" (or no zone) follows the machine's zone as it is at each computation, as
        # `schedule`'s naive `datetime.now()` does; a named zone is fixed.
        self._zone: dt.tzinfo | None = None if _is_local(zone) else resolved
        self.environment = environment
        self.rng = rng
        self.runner = Runner(self.clock, self.log)
        self.phase = Phase.COLLECTING
        self.halted = False  # a stop was requested: due jobs no longer start

    @property
    def zone(self) -> dt.tzinfo:
        """The zone jobs without their own `at(..., tz)` are computed in."""
        return self._zone if self._zone is not None else local_zone()

    @zone.setter
    def zone(self, zone: TzLike) -> None:
        self._zone = None if _is_local(zone) else resolve_zone(zone, "scheduler.timezone")

    def every(self, interval: int = 1) -> Job:
        return Job(interval, self)

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
        return job

    def admits(self, job: Job) -> bool:
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

    def register(self, job: Job) -> None:
        if self.phase is Phase.STOPPED:
            raise SchedulerError(
                f"job {job.id!r} was registered after super().run() returned; register jobs "
                "in run() before calling super().run()"
            )
        for other in self.jobs:
            if getattr(other, "id", None) == job.id:
                raise SchedulerError(
                    f"two jobs have the ID {job.id!r}: {other!r} and {job!r}; give one of "
                    "them its own ID with .name('...') before .do()"
                )
        if self.phase is Phase.RUNNING:
            self.log.warning(
                "Job %s was registered while the scheduler was running; register jobs in "
                "run() before super().run()",
                job.id,
                extra={"job_id": job.id},
            )
        self.jobs.append(job)

    def _run_job(self, job: schedule.Job) -> None:
        """Run one due job; if even its rescheduling fails, cancel it, never the loop."""
        try:
            result = job.run()
        except Exception:
            job_id = getattr(job, "id", repr(job))
            self.log.exception(
                "Job %s could not compute its next run and was cancelled; the other jobs go on",
                job_id,
                extra={"job_id": job_id},
            )
            self.cancel_job(job)
            return
        if isinstance(result, schedule.CancelJob) or result is schedule.CancelJob:
            self.cancel_job(job)

    def get_job(self, job_id: str) -> Job | None:
        return next((job for job in self.jobs if getattr(job, "id", None) == job_id), None)

    def next_run_at(self, tag: Any = None) -> dt.datetime | None:
        """The earliest next run as an aware UTC instant."""
        jobs = self.get_jobs(tag)
        return min(jobs).next_run_at if jobs else None  # type: ignore[attr-defined]

    @property
    def idle_seconds(self) -> float | None:
        """Seconds until the next run, computed on aware instants (right across DST)."""
        next_at = self.next_run_at()
        if next_at is None:
            return None
        return (next_at - self.clock.now()).total_seconds()


def _is_local(zone: TzLike) -> bool:
    return zone is None or (isinstance(zone, str) and zone.strip().lower() in ("", "local"))
