"""A test kit for schedulers: drive one through simulated time and see what ran.

    clock = FakeClock(datetime(2026, 3, 1, tzinfo=timezone.utc))
    scheduler = Scheduler(log=MemoryLogger(), clock=clock)   # or App.make(...).scheduler
    runs = run_until(scheduler, timedelta(days=1))
    assert [r.job_id for r in runs].count("cleanup:every-10-minutes") == 144

Nothing sleeps: the fake clock jumps straight to the next due job. `.in_background()` runs
take no simulated time: each pass waits for them before the clock moves on, so they run
once per occurrence and in order, as inline jobs do.
"""

from __future__ import annotations

import datetime as dt

from equipment.Scheduler.Clock import FakeClock
from equipment.Scheduler.CollectorPause import collector_paused
from equipment.Scheduler.Errors import SchedulerError
from equipment.Scheduler.Lifecycle import Phase
from equipment.Scheduler.RunRecord import RunRecord
from equipment.Scheduler.Scheduler import Scheduler


def run_until(scheduler: Scheduler, until: dt.datetime | dt.timedelta) -> list[RunRecord]:
    """Run `scheduler`'s jobs on its FakeClock up to `until`; return every run record.

    The window is half-open, as `plan()`'s is: runs due before `until` happen, a run due
    exactly at `until` does not (the clock ends there, so the next pass runs it). A day of
    a 1-second job is 86,400 runs in both. Jobs are registered first (the scheduler's
    `run()` in collect-only mode) unless the scheduler already has jobs. `until` is an
    aware instant, or a span from now.
    """
    clock = scheduler.clock
    if not isinstance(clock, FakeClock):
        raise SchedulerError("run_until() needs a scheduler built with clock=FakeClock(...)")
    end = _end(clock, until)
    if not scheduler.schedule.jobs and scheduler.schedule.phase is Phase.COLLECTING:
        scheduler.collect()
    scheduler.lifecycle.phase = Phase.RUNNING  # as in run(): late registrations are reported
    with collector_paused():  # a burst of records, none of them cyclic garbage
        return _simulate(scheduler, clock, end)


def _end(clock: FakeClock, until: dt.datetime | dt.timedelta) -> dt.datetime:
    """The window's end; one before the clock's now would silently run nothing, and
    FakeClock() starts at 2026-01-05 12:00 UTC, not at the real now."""
    if isinstance(until, dt.timedelta):
        end = clock.now() + until
    elif isinstance(until, dt.datetime) and until.tzinfo is not None:
        end = until
    else:
        raise SchedulerError(f"run_until(): give an aware datetime or a timedelta, got {until!r}")
    if end < clock.now():
        raise SchedulerError(
            f"run_until(): the window ends at {_utc(end)}, before the fake clock's now "
            f"({_utc(clock.now())}): give an instant after it, or a span from it"
        )
    return end


def _utc(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


#: How long a pass waits, in real seconds, for its background runs to finish.
BACKGROUND_WAIT = 60.0


def _simulate(scheduler: Scheduler, clock: FakeClock, end: dt.datetime) -> list[RunRecord]:
    records: list[RunRecord] = []
    background = scheduler.schedule.dispatcher.background
    while True:
        ran = scheduler.tick()
        if not background.idle:  # they take no simulated time (their records come next)
            background.wait(BACKGROUND_WAIT)
        records.extend(ran)
        next_at = scheduler.schedule.next_run_at()
        if next_at is None or next_at >= end:
            break
        if next_at <= clock.now() and not ran:
            raise SchedulerError(
                f"a job is due at {next_at.isoformat()} but the pass ran nothing "
                "(is run_pending patched, or the scheduler stopped?)"
            )
        clock.set(max(next_at, clock.now()))
    if clock.now() < end:
        clock.set(end)
    return records + scheduler.store_finished()
