"""What the status page shows per job, read from the state store at each request.

The page's process is not the scheduler: it registers the jobs (collect-only) for their
definitions, and takes their grid, last run, pause and history from the state store, so
what it shows follows the scheduler running elsewhere. No setting, argument or secret of
a job is shown: only its ID, its schedule in words and its zone.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from equipment.Scheduler import History, HistoryText
from equipment.Scheduler.History import Occurrence
from equipment.Scheduler.LastOutcome import last_outcome
from equipment.Scheduler.Occurrences import next_run
from equipment.Scheduler.State.StateStore import JobState, StateStore
from equipment.Scheduler.WindowedNextRun import a_scheduler_runs, next_run_text
from equipment.Scheduler.Zones import format_instant, zone_name

DAY = dt.timedelta(hours=24)


def job_rows(scheduler: Any, now: dt.datetime) -> list[dict[str, Any]]:
    """One row per job, sorted by ID."""
    state: StateStore = scheduler.state
    stored = state.load()
    paused = state.paused()
    windows = _Windows(scheduler, now)
    return [
        _row(job, stored.get(job.id), paused.get(job.id), state, now, windows)
        for job in sorted(scheduler.schedule.jobs, key=lambda job: job.id)
    ]


class _Windows:
    """The stored `until(timedelta)` windows and whether a scheduler runs: read once per
    page, and only if a job has such a window (see `WindowedNextRun`)."""

    def __init__(self, scheduler: Any, now: dt.datetime) -> None:
        self._scheduler, self._now = scheduler, now
        self._read: tuple[dict[str, dt.datetime], bool] | None = None

    def next_run(self, job: Any, stored: JobState | None, next_at: dt.datetime | None) -> str:
        """The job's next-run cell (`WindowedNextRun.next_run_text`)."""
        end, running = None, False
        if job.window_opened is not None:
            if self._read is None:
                state, max_sleep = self._scheduler.state, self._scheduler.settings.max_sleep
                self._read = (state.windows(), a_scheduler_runs(state, max_sleep, self._now))
            ends, running = self._read
            end = ends.get(job.id)
        return next_run_text(job, next_at, stored is not None, end, running, self._now)


def _row(
    job: Any, stored: JobState | None, paused: dt.datetime | None, state: StateStore,
    now: dt.datetime, windows: _Windows,
) -> dict[str, Any]:
    zone = job.trigger.zone
    next_at = upcoming(job, stored, now)
    day = state.history(job.id, limit=5000, after=now - DAY)  # newest first
    recent = History.collapse(day)
    last = stored.last_started if stored else None
    # The outcome in words, a skip with its own instant and reason (see `LastOutcome`): its
    # row is the day's newest, read once (a skip older than the day is read on its own).
    outcome = last_outcome(stored, state, zone, day) if stored and stored.last_run_id else ""
    return {
        "id": job.id,
        "registered": True,
        # On the stored grid: a day job without .at() has the time of day of its anchor.
        "schedule": job.grid(stored.anchor if stored else now).describe(),
        "zone": zone_name(zone),
        "next_run": windows.next_run(job, stored, next_at),
        "last_run": format_instant(last, zone) if last else "never",
        "last_outcome": (stored.last_outcome if stored else None) or "",
        "last_error": (stored.last_error if stored else None) or "",
        "last_outcome_text": outcome,
        "last_duration": HistoryText.seconds_text(stored.last_duration if stored else None),
        "failures_24h": sum(1 for row in recent if row.outcome == "failure"),
        "paused": paused is not None,
        "paused_since": format_instant(paused, zone) if paused else "",
    }


def job_row(scheduler: Any, job: Any, now: dt.datetime) -> dict[str, Any]:
    """The row of one job, for its page: its history read, not every job's."""
    state: StateStore = scheduler.state
    stored, paused = state.load().get(job.id), state.paused().get(job.id)
    return _row(job, stored, paused, state, now, _Windows(scheduler, now))


def left_out_row(scheduler: Any, job: Any, now: dt.datetime) -> dict[str, Any]:
    """The row of a job left out at registration for its until() deadline: it has none of
    its next runs left, and the page says so where the next run goes."""
    row = job_row(scheduler, job, now)
    return {**row, "next_run": f"none: {job.left_out_because(now)}"}


def removed_row(scheduler: Any, job_id: str) -> dict[str, Any]:
    """The row of a job the code no longer registers but whose runs the store keeps (until
    they age out): no schedule, no next run; its times in the scheduler's zone, as
    `schedule history` shows them."""
    zone = zone_name(scheduler.schedule.zone)
    note = (
        "no longer registered in this project's code: no schedule, no next run; its stored "
        f"runs (times in {zone}) stay until they age out (history_days)"
    )
    return {"id": job_id, "registered": False, "zone": zone, "note": note}


def upcoming(job: Any, stored: JobState | None, now: dt.datetime) -> dt.datetime:
    """The job's next occurrence on its stored grid (the scheduler's, not this process's);
    with none stored yet, the first a scheduler started now would make (this long-running
    process registered the job when it started, and that first run falls into the past)."""
    if stored is None:
        return job.grid(now).first(now)
    trigger = job.grid(stored.anchor)
    base = stored.last_scheduled or trigger.first(stored.anchor)
    if stored.last_scheduled is None and base > now:
        return base
    return next_run(trigger, base, now)


def history_rows(scheduler: Any, job: Any, now: dt.datetime, limit: int) -> list[dict[str, Any]]:
    zone = job.trigger.zone
    settings = scheduler.settings
    lines = History.timeline(
        job, scheduler.state, now, settings.max_sleep, limit, settings.history_days
    )
    return [_history_row(line, zone) for line in lines]


def stored_history_rows(scheduler: Any, job_id: str, limit: int) -> list[dict[str, Any]]:
    """The stored history of a job the code no longer registers (none: no such job)."""
    zone = scheduler.schedule.zone
    lines = History.stored_lines(scheduler.state, job_id, limit)
    return [_history_row(line, zone) for line in lines]


def _history_row(line: Occurrence, zone: dt.tzinfo) -> dict[str, Any]:
    """The line's cells as `schedule history` words them, and its outcome for the badge."""
    return {**HistoryText.cells(line, zone), "kind": line.entry.outcome}
