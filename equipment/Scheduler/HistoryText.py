"""A history line in words, the same for `equipment schedule history` and the status page.

    scheduled   2026-03-28 12:20:00 UTC (2026-03-28T12:20:00Z)
    outcome     success | failure: ValueError: boom | skipped: paused |
                missed x12 to 2026-03-28 14:10:00 UTC (...Z): no scheduler ran |
                manual run, success
    replica     the process that handled it
    lateness    '0.9 ms', '1.250 s'
    duration    as lateness
    queue job   the queue's job ID, when the run pushed one
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from equipment.Scheduler.History import Occurrence
from equipment.Scheduler.RunRecord import FAILURE, MANUAL
from equipment.Scheduler.State.StateStore import MISSED
from equipment.Scheduler.Zones import format_instant


def cells(line: Occurrence, zone: dt.tzinfo) -> dict[str, str]:
    """The line's cells, in the order a table shows them."""
    entry = line.entry
    return {
        "scheduled": format_instant(entry.scheduled_at, zone),
        "outcome": outcome_text(line, zone),
        "replica": entry.replica or "",
        "lateness": seconds_text(entry.lateness),
        "duration": seconds_text(entry.duration),
        "queue_job_id": entry.queue_job_id or "",
    }


def outcome_text(line: Occurrence, zone: dt.tzinfo) -> str:
    """'success', 'failure: ValueError: boom', 'skipped: paused', 'missed x12 to ...: why';
    a manual run (`schedule run`) says so first."""
    entry = line.entry
    if entry.run_id.endswith(f"~{MANUAL}"):
        plain = Occurrence(dataclasses.replace(entry, run_id=""))
        return "manual run, " + outcome_text(plain, zone)
    if entry.outcome == FAILURE:
        return f"failure: {entry.error}" if entry.error else FAILURE
    if entry.outcome == MISSED and line.count > 1:
        return f"missed x{line.count} to {format_instant(line.last, zone)}: {entry.reason}"
    if entry.reason:
        return f"{entry.outcome}: {entry.reason}"
    return entry.outcome


def seconds_text(value: float | None) -> str:
    """'0.9 ms' under a second, '1.250 s' from one on; '' for none."""
    if value is None:
        return ""
    return f"{value * 1000:.1f} ms" if value < 1 else f"{value:.3f} s"
