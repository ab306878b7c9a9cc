"""The next run of an `until(timedelta)` job, as a process that is not its scheduler tells it.

`schedule list` and the status page register the jobs themselves, so such a job has a
window of theirs, opened from now, which is not the one of the scheduler running it. They
tell the next run inside the window that scheduler stored (`StateStore.windows`), or none
once it has closed; with no scheduler running (no live heartbeat), the run a start now
would make, in the window that start would open.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from equipment.Scheduler.History import alive_now
from equipment.Scheduler.State.StateStore import StateStore
from equipment.Scheduler.Zones import format_instant

IF_STARTED_NOW = " if started now"


def a_scheduler_runs(state: StateStore, max_sleep: float, now: dt.datetime) -> bool:
    """Whether a scheduler of this project runs now, by its heartbeat (`health`'s rule)."""
    return bool(alive_now(state, now, max_sleep))


def next_run_text(
    job: Any,
    next_at: dt.datetime | None,
    anchored: bool,
    window_end: dt.datetime | None,
    running: bool,
    now: dt.datetime,
) -> str:
    """The next-run cell of `job` in an operator's view (`schedule list`, the status page):
    `next_at` on its grid, told in its `until(timedelta)` window if it has one, and `if
    started now` while no scheduler has `anchored` its grid (it starts when one does)."""
    text = windowed_next_run(job, next_at, window_end, running, now)
    if text is None:
        text = format_instant(next_at, job.trigger.zone)
    if not anchored and not text.endswith(IF_STARTED_NOW):
        text += IF_STARTED_NOW
    return text


def windowed_next_run(
    job: Any,
    next_at: dt.datetime | None,
    window_end: dt.datetime | None,
    running: bool,
    now: dt.datetime,
) -> str | None:
    """The next-run text of `job` due next at `next_at` on its grid, or None when it has no
    `until(timedelta)` window (its next run is just that instant)."""
    if job.window_opened is None:
        return None
    zone = job.trigger.zone
    if not running or window_end is None:
        return format_instant(next_at, zone) + IF_STARTED_NOW
    if next_at is None or next_at > window_end:
        verb = "closed" if window_end <= now else "closes"
        return f"none: its until() window {verb} at {format_instant(window_end, zone)}"
    return format_instant(next_at, zone)
