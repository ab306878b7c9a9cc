"""Every run a scheduler would make in a window, computed without running anything.

    runs = plan(App.make(".").scheduler(), start, end)        # registers jobs if needed
    assert expect_daily(runs, "nightly-report", time(3), date(2027, 3, 1),
                        date(2027, 3, 31)) == []

Each job's trigger is iterated from the job's next run, as the loop would if every run took
no time; triggers are frozen values, so the real jobs are not touched. A job's `until()`
deadline ends its runs, as it does in the loop. Jobs with a random `.to()` range draw what
the loop will draw: a draw depends only on the job's ID and the previous occurrence.

Three forms, for windows of any size:

- `plan()` returns the runs as a list, exactly; a window with more than `limit` runs (a
  1-second job over a year) is refused with a `ScheduleValueError` instead of filling memory.
- `iter_plan()` yields the same runs in the same order, lazily: memory stays at one pending
  run per job, however long the window.
- `count_runs()` sums one job's runs up (count, first, last) without listing them: in
  constant time for a fixed interval, otherwise by stepping its trigger up to `cap` runs.
"""

from __future__ import annotations

import datetime as dt
import heapq
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from equipment.Scheduler.Errors import SchedulerError, ScheduleValueError
from equipment.Scheduler.RunRecord import run_id_for
from equipment.Scheduler.Zones import UTC, wall_to_utc, zone_name

#: A window holding more runs than this is almost surely a mistake (a 1-second job over a
#: year); `plan()` refuses it rather than filling memory.
DEFAULT_LIMIT = 200_000

#: `count_runs()` steps a trigger without a fixed interval (cron, a random `.to()` range) at
#: most this many times; beyond it the count is a lower bound (`JobCount.complete` is False).
COUNT_CAP = 100_000


@dataclass(frozen=True)
class PlannedRun:
    job_id: str
    #: When the run is due, aware, in UTC.
    scheduled_at: dt.datetime
    #: The same instant in the job's zone (aware), as the people who set it up read it.
    local: dt.datetime
    zone: str
    description: str

    @property
    def run_id(self) -> str:
        """The run ID this occurrence will carry in logs and records."""
        return run_id_for(self.job_id, self.scheduled_at)

    def local_text(self) -> str:
        """'2026-03-29 03:00:00 CEST'."""
        return f"{self.local:%Y-%m-%d %H:%M:%S} {self.local.tzname()}"

    def utc_text(self) -> str:
        """'2026-03-29T01:00:00Z'."""
        return f"{self.scheduled_at:%Y-%m-%dT%H:%M:%S}Z"


def plan(
    source: Any,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    *,
    hours: float = 24,
    limit: int = DEFAULT_LIMIT,
) -> list[PlannedRun]:
    """The runs due in [start, end), in order, as a list.

    `source` is a `Scheduler` (its `run()` is called in collect-only mode if it has no jobs
    yet), a `Schedule`, or jobs. `start` defaults to the scheduler clock's now and `end` to
    `hours` later; naive datetimes are wall times in the scheduler's zone. More than `limit`
    runs raise `ScheduleValueError`: use `iter_plan()` or `count_runs()` for such windows.
    """
    jobs, start, end = window(source, start, end, hours=hours)
    runs = []
    for run in _merged(jobs, start, end):
        runs.append(run)
        if len(runs) > limit:
            raise ScheduleValueError(
                f"plan: more than {limit} runs between {start.isoformat()} and "
                f"{end.isoformat()}; choose a shorter window, or use iter_plan() or count_runs()"
            )
    return runs


def iter_plan(
    source: Any,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    *,
    hours: float = 24,
) -> Iterator[PlannedRun]:
    """The same runs as `plan()`, in the same order, lazily: one pending run per job in memory.

    The window is checked when this is called, not when the first run is asked for.
    """
    jobs, start, end = window(source, start, end, hours=hours)
    return _merged(jobs, start, end)


def window(
    source: Any,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    *,
    hours: float = 24,
) -> tuple[list[Any], dt.datetime, dt.datetime]:
    """The jobs of `source` and the window [start, end) in UTC, as `plan()` reads them.

    Refuses (`ScheduleValueError`) a window that ends before it starts, `hours` that are not
    a finite number above 0, and times outside the range datetimes can hold.
    """
    jobs, zone, now = _source(source)
    start = _instant(start, zone, "start") if start is not None else now
    if end is not None:
        end = _instant(end, zone, "end")
    else:
        if isinstance(hours, bool) or not isinstance(hours, int | float):
            raise ScheduleValueError(f"plan: hours must be a number, got {hours!r}")
        if not math.isfinite(hours) or hours <= 0:
            raise ScheduleValueError(f"plan: hours must be a finite number above 0, got {hours}")
        try:
            end = start + dt.timedelta(hours=hours)
        except OverflowError:
            raise ScheduleValueError(
                f"plan: {hours} hours after {start.isoformat()} is past the year 9999"
            ) from None
    if end <= start:
        raise ScheduleValueError(
            f"plan: the window ends ({end.isoformat()}) before it starts ({start.isoformat()})"
        )
    return jobs, start, end


def _merged(jobs: list[Any], start: dt.datetime, end: dt.datetime) -> Iterator[PlannedRun]:
    """All jobs' runs in time order; runs due at the same instant in registration order."""
    streams = [
        ((run.scheduled_at, order, run) for run in job_runs(job, start, end))
        for order, job in enumerate(jobs)
    ]
    for _, _, run in heapq.merge(*streams, key=lambda item: item[:2]):
        yield run


@dataclass(frozen=True)
class JobCount:
    """One job's runs in a window, summed up."""

    job_id: str
    description: str
    zone: str
    #: How many runs; a lower bound when `complete` is False.
    runs: int
    first: PlannedRun | None
    #: The last run; None when there is no run, or when the count stopped at its cap.
    last: PlannedRun | None
    #: False when counting stopped at `cap` runs: there are more.
    complete: bool = True
    #: True for a random `.to()` range: the count is from one set of draws and may differ
    #: by a few runs in the loop.
    drawn: bool = False


def count_runs(
    job: Any, start: dt.datetime, end: dt.datetime, *, cap: int = COUNT_CAP
) -> JobCount:
    """How many runs `job` makes in [start, end) (aware datetimes), and its first and last.

    The same runs `job_runs()` yields, without listing them: a fixed interval (`every(5)
    .seconds`, `every().hour.at(":30")`) is counted in constant time; other triggers are
    stepped, at most `cap` times, from a copy.
    """
    zone = job.trigger.zone if job.trigger is not None else UTC
    drawn = getattr(job.trigger, "latest", None) is not None
    base = dict(job_id=job.id, description=job.describe(), zone=zone_name(zone), drawn=drawn)
    moment = job.next_run_at
    if job.trigger is None or moment is None:
        return JobCount(runs=0, first=None, last=None, **base)
    trigger = job.trigger
    deadline = getattr(job, "deadline", None)
    if moment < start:
        moment = trigger.first_at_or_after(moment, start)
    stop = end if deadline is None else min(end, deadline + dt.timedelta(microseconds=1))
    if moment >= stop:
        return JobCount(runs=0, first=None, last=None, **base)
    first = _planned(job, trigger.zone, moment)
    period = trigger.fixed_period()
    if period is not None:
        runs = -((moment - stop) // period)  # ceil((stop - moment) / period)
        last = _planned(job, trigger.zone, moment + (runs - 1) * period)
        return JobCount(runs=runs, first=first, last=last, **base)
    runs, last_moment = 0, moment
    while moment < stop:
        if runs == cap:
            return JobCount(runs=runs, first=first, last=None, complete=False, **base)
        runs, last_moment = runs + 1, moment
        following = trigger.next_after(moment)
        if following <= moment:
            raise SchedulerError(
                f"job {job.id!r}: its trigger did not move past {moment.isoformat()}"
            )
        moment = following
    return JobCount(runs=runs, first=first, last=_planned(job, trigger.zone, last_moment), **base)


def job_runs(job: Any, start: dt.datetime, end: dt.datetime) -> Iterator[PlannedRun]:
    """One job's runs in [start, end), from a copy of its trigger."""
    moment = job.next_run_at
    if job.trigger is None or moment is None:
        return
    trigger = job.trigger
    deadline = getattr(job, "deadline", None)
    if moment < start:
        moment = trigger.first_at_or_after(moment, start)
    while moment < end and (deadline is None or moment <= deadline):
        yield _planned(job, trigger.zone, moment)
        following = trigger.next_after(moment)
        if following <= moment:
            raise SchedulerError(
                f"job {job.id!r}: its trigger did not move past {moment.isoformat()}"
            )
        moment = following


def _planned(job: Any, zone: dt.tzinfo, moment: dt.datetime) -> PlannedRun:
    utc = moment.astimezone(UTC)
    return PlannedRun(job.id, utc, utc.astimezone(zone), zone_name(zone), job.describe())


def _source(source: Any) -> tuple[list[Any], dt.tzinfo, dt.datetime]:
    """The jobs, zone and now of a Scheduler, a Schedule, or a list of jobs."""
    from equipment.Scheduler.Lifecycle import Phase

    schedule = getattr(source, "schedule", None)
    if schedule is not None and hasattr(source, "collect"):
        if not schedule.jobs and schedule.phase is Phase.COLLECTING:
            source.collect()
        source = schedule
    if hasattr(source, "jobs") and hasattr(source, "clock"):
        return list(source.jobs), source.zone, source.clock.now()
    jobs = list(source) if isinstance(source, Iterable) else []
    if not jobs:
        return [], UTC, dt.datetime.now(UTC)
    first = jobs[0]
    zone = getattr(first.scheduler, "zone", None) or first.trigger.zone
    return jobs, zone, first._clock().now()


def _instant(value: dt.datetime, zone: dt.tzinfo, what: str) -> dt.datetime:
    if not isinstance(value, dt.datetime):
        raise ScheduleValueError(f"plan: {what} must be a datetime, got {value!r}")
    try:
        if value.tzinfo is None:
            return wall_to_utc(value, zone)
        return value.astimezone(UTC)
    except (OverflowError, ValueError):
        raise ScheduleValueError(
            f"plan: {what} {value.isoformat()} is outside the range of times (years 1 to 9999)"
        ) from None


# -- checking a plan in a test ------------------------------------------------------------------


def runs_of(runs: Iterable[PlannedRun], job_id: str) -> list[PlannedRun]:
    """The planned runs of one job."""
    return [run for run in runs if run.job_id == job_id]


def local_days(runs: Iterable[PlannedRun], job_id: str | None = None) -> dict[dt.date, list]:
    """Local date -> local times of the runs on that date (of one job, if given)."""
    days: dict[dt.date, list[dt.time]] = {}
    for run in runs:
        if job_id is None or run.job_id == job_id:
            days.setdefault(run.local.date(), []).append(run.local.time())
    return days


def expect_daily(
    runs: Iterable[PlannedRun],
    job_id: str,
    at: dt.time,
    first_day: dt.date,
    last_day: dt.date,
) -> list[str]:
    """What differs from "`job_id` runs once a day at `at` local time, first_day..last_day".

    Returns one line per day that differs; an empty list means the schedule is as expected,
    so `assert expect_daily(...) == []` shows the differing days when it fails.
    """
    days = local_days(runs, job_id)
    problems = []
    day = first_day
    while day <= last_day:
        times = days.get(day, [])
        if times != [at]:
            shown = ", ".join(f"{t:%H:%M:%S}" for t in times) or "no run"
            problems.append(f"{day}: {shown} (expected {at:%H:%M:%S})")
        day += dt.timedelta(days=1)
    return problems
