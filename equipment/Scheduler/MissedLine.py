"""The warning for a job's missed occurrences, when a scheduler starts or a replica takes
the lead: how many, from when to when, what becomes of them, and what the state shows.

A start says only what the state store knows: the job's last recorded occurrence (what the
count starts after) and the last heartbeat on record, with whether it was a goodbye. It
does not say that no scheduler ran: an occurrence may have fallen due while the last one
was stopping (no new runs start during a stop), or while one ran that kept no heartbeat.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from equipment.Log.AbstractLogger import AbstractLogger
from equipment.Scheduler.Occurrences import Missed
from equipment.Scheduler.State.StateStore import HeartbeatSpan
from equipment.Scheduler.Zones import format_instant


def log_missed(
    log: AbstractLogger, job: Any, zone: dt.tzinfo, when: str = "", shows: str = ""
) -> None:
    """One line for `job.missed`: `when` they fell due (if known), and what the state
    `shows` (a sentence after it)."""
    missed = job.missed
    count = f"{missed.count}" if missed.complete else f"at least {missed.count}"
    log.warning(
        "Job %s missed %s occurrence(s)%s, from %s to %s: %s%s",
        job.id,
        count,
        f" {when}" if when else "",
        format_instant(missed.first, zone),
        format_instant(missed.last, zone),
        _outcome(missed, zone),
        f". {shows}" if shows else "",
        extra={"job_id": job.id, "missed": missed.count, "caught_up": missed.caught_up},
    )


def _outcome(missed: Missed, zone: dt.tzinfo) -> str:
    if missed.window_closed is not None:
        closed = format_instant(missed.window_closed, zone)
        return f"skipped (the until() window they fell in closed at {closed})"
    if missed.caught_up == 0:
        return "skipped (.catch_up(within=...) runs them after downtime)"
    if missed.caught_up == 1:
        return "the latest runs now (catch-up)"
    return f"the latest {missed.caught_up} run now, oldest first (catch-up)"


def state_shows(job: Any, spans: list[HeartbeatSpan], zone: dt.tzinfo) -> str:
    """What the state shows before `job`'s missed occurrences: its last recorded one (or
    its registration) and the last heartbeat on record, `spans` being those on record."""
    handled = job.missed.last_handled
    if handled is not None:
        words = f"Its last recorded occurrence is {format_instant(handled, zone)}"
    else:
        words = (
            "No occurrence of it is recorded since its registration at "
            f"{format_instant(job.anchor, zone)}"
        )
    if not spans:
        return words
    last = max(spans, key=lambda span: span.last_beat)
    how = "as it stopped" if last.stopped else "with no stop recorded"
    return (
        f"{words}; the last heartbeat on record is {last.process_id}'s, at "
        f"{format_instant(last.last_beat, zone)}, {how}"
    )
