"""A job's history as operators read it: the stored rows, one per occurrence, with the
occurrences that fell due while no scheduler was running derived from the job's trigger
and the heartbeat spans (they have no row: nothing was there to write one).

Under coordination the standbys' heartbeats cover the time no replica led, so the replica
that takes the lead stores rows for what it finds missed instead (`missed_rows`).

Rows of several replicas for one occurrence collapse to the most telling one: the run (or
the pause, the condition) over the "not the owner" skips of the replicas that stood aside.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from equipment.Scheduler import Occurrences
from equipment.Scheduler.Health import stale_after
from equipment.Scheduler.Presence import HEARTBEAT_INTERVAL
from equipment.Scheduler.RunRecord import DEADLINE, SKIPPED, RunRecord, run_id_for
from equipment.Scheduler.State.StateStore import (
    MISSED,
    HeartbeatSpan,
    HistoryEntry,
    StateStore,
)

NO_SCHEDULER = "no scheduler was running"
#: A start's missed row for an occurrence that fell due while the scheduler before it was
#: stopping (from its stop signal to its goodbye): no new run starts during a stop.
LAST_STOPPING = "the scheduler was stopping (no new run starts during a stop)"
#: The same, for one that fell due before that scheduler's stop began, after its last row
#: of the job: a long run held its loop until then.
LOOP_HELD = "a long run held the scheduler's loop until its stop (no new run starts then)"
#: A start's missed row for an occurrence that fell due while the scheduler before it may
#: still have been running: its last beat was shortly before, and it left no goodbye.
DIED = "the scheduler running then died without a stop (a kill -9, a crash): it may have started"
NO_LEADER = "no replica led"
#: Missed occurrences listed one by one in a gap; more are one line with their count.
LISTED_PER_GAP = 3
_RANK = {"success": 0, "failure": 0, "skipped": 1, MISSED: 2}


@dataclass
class Occurrence:
    """One history line: an entry, or a run of `count` missed occurrences up to `last`."""

    entry: HistoryEntry
    count: int = 1
    last: dt.datetime | None = None


def grace(max_sleep: float) -> dt.timedelta:
    """How long after its last beat a process still counts as running when an occurrence
    fell due: a loop beats after the pass that runs a due job (an idle loop sleeps until
    then, so no occurrence falls due in its longer silences), at least once per heartbeat
    interval while busy, and once per `max_sleep` where it polls the clock; plus one
    interval of slack."""
    return max(HEARTBEAT_INTERVAL, dt.timedelta(seconds=max_sleep)) + HEARTBEAT_INTERVAL


def covering(
    spans: list[HeartbeatSpan],
    moment: dt.datetime,
    slack: dt.timedelta,
    alive: set[str] | frozenset[str] = frozenset(),
) -> list[HeartbeatSpan]:
    """The spans during which a scheduler was running at `moment` (not at the moment it
    stopped: an occurrence due then was not run). A process still `alive` (its IDs) runs
    on from its first beat, however long ago its last."""
    return [
        s
        for s in spans
        if _begin(s) <= moment
        and (moment < _end(s, slack) or (not s.stopped and s.process_id in alive))
    ]


def alive_now(state: StateStore, now: dt.datetime, max_sleep: float) -> set[str]:
    """The IDs of the processes alive now, by `health`'s rule (promise, pid)."""
    stale = stale_after(max_sleep)
    return {p.process_id for p in state.processes() if p.is_alive(now, stale)}


def _begin(span: HeartbeatSpan) -> dt.datetime:
    """From when `span`'s process may have run a job: its first beat comes after its first
    pass, within a second of its start."""
    return span.first_beat - dt.timedelta(seconds=1)


def _end(span: HeartbeatSpan, slack: dt.timedelta) -> dt.datetime:
    """Until when `span`'s process may have run: its goodbye, or `slack` after its last beat
    (it may have died just before its next one)."""
    return span.last_beat if span.stopped else span.last_beat + slack


def gaps(
    spans: list[HeartbeatSpan], start: dt.datetime, end: dt.datetime, alive: set[str]
) -> list[tuple[dt.datetime, dt.datetime]]:
    """The parts of [start, end) no heartbeat span covers. A process still alive (`alive`:
    its process IDs) covers up to `end`, as it would have written the row of whatever it
    is running; a process that stopped or died ran nothing after its last beat (a pass's
    rows are written before its beat)."""
    found, cursor = [], start
    for span in sorted(spans, key=lambda s: s.first_beat):
        alive_now = not span.stopped and span.process_id in alive
        begin, finish = _begin(span), end if alive_now else span.last_beat
        if finish <= cursor:
            continue
        if begin > cursor:
            found.append((cursor, min(begin, end)))
        cursor = max(cursor, finish)
        if cursor >= end:
            break
    if cursor < end:
        found.append((cursor, end))
    return [(a, b) for a, b in found if a < b]


def collapse(rows: list[HistoryEntry]) -> list[HistoryEntry]:
    """One row per occurrence (run ID), newest first: the most telling of the replicas'.
    Except where it ran more than once (two schedulers without coordination each run
    every job): then each run is a row, which is what such a history must show."""
    best: dict[str, HistoryEntry] = {}
    runs: dict[str, list[HistoryEntry]] = {}
    for row in rows:
        kept = best.get(row.run_id)
        if kept is None or _telling(row) < _telling(kept):
            best[row.run_id] = row
        if row.started_at is not None:
            runs.setdefault(row.run_id, []).append(row)
    kept_rows = [
        row
        for run_id, telling in best.items()
        for row in (runs[run_id] if len(runs.get(run_id, ())) > 1 else [telling])
    ]
    return sorted(kept_rows, key=lambda row: row.scheduled_at, reverse=True)


def _telling(row: HistoryEntry) -> tuple[int, int]:
    return (_RANK.get(row.outcome, 3), 1 if row.reason == "not the owner" else 0)


def timeline(
    job: Any,
    state: StateStore,
    now: dt.datetime,
    max_sleep: float,
    limit: int = 50,
    history_days: float = 30.0,
) -> list[Occurrence]:
    """The newest `limit` history lines of `job`: stored rows and derived missed runs.

    Missed runs are derived only where there is evidence: after the job's anchor, within
    the retention window (older spans are pruned) and from the first heartbeat or history
    row on record (a store from before these existed says nothing about that time)."""
    rows = collapse(_rows_with_left(job, state, now, limit * 4))
    spans = state.spans()
    lines = [Occurrence(row) for row in rows]
    evidence = [span.first_beat for span in spans[:1]] + [row.scheduled_at for row in rows[-1:]]
    if not evidence:
        return lines[:limit]
    start = max(job.anchor or now, now - dt.timedelta(days=history_days), min(evidence))
    if len(rows) >= limit:
        start = max(start, rows[-1].scheduled_at)
    alive = alive_now(state, now, max_sleep)
    stored = {row.scheduled_at for row in rows}
    out = _left(rows, now)
    deadline = job.deadline if job.window_opened is None else None  # (a window is its own)
    if deadline is not None and deadline < now:  # nothing of the job's is due after it
        out.append((deadline + Occurrences.TICK, now))
    for gap_start, gap_end in _minus(gaps(spans, start, now, alive), out):
        lines.extend(missed_in(job, gap_start, gap_end, stored))
    for tail_start, tail_end, reason in stop_tails(spans, rows, start):
        for missed_start, missed_end in _minus([(tail_start, tail_end)], out):
            lines.extend(missed_in(job, missed_start, missed_end, stored, reason))
    lines.sort(key=lambda line: line.entry.scheduled_at, reverse=True)
    return lines[:limit]


def stop_tails(
    spans: list[HeartbeatSpan], rows: list[HistoryEntry], start: dt.datetime
) -> list[tuple[dt.datetime, dt.datetime, str]]:
    """Where a scheduler that stopped ran none of the job's occurrences though it was alive,
    and why: after its newest row of the job (a pass writes the row of every occurrence it
    comes to) up to its goodbye, as when a long job held the loop until the stop signal
    came. A stop records every run it began, so what fell due there without a row did not
    run. Split where its stop began, when the goodbye says."""
    tails = []
    for span in spans:
        mine = [row.scheduled_at for row in rows if row.replica == span.process_id]
        if not (span.stopped and mine):
            continue
        first, began = max(start, max(mine) + Occurrences.TICK), span.stop_began
        if began is not None and first < began:
            tails.append((first, began, LOOP_HELD))
            first = began
        tails.append((first, span.last_beat, LAST_STOPPING))
    return [(a, b, reason) for a, b, reason in tails if a < b]


def stored_lines(state: StateStore, job_id: str, limit: int = 50) -> list[Occurrence]:
    """The newest `limit` history lines of a job the code does not register now (removed
    from it; its rows stay until they age out): its stored rows alone, as without its
    trigger nothing says what else was due."""
    return [Occurrence(row) for row in collapse(state.history(job_id, limit=limit * 4))[:limit]]


Span = tuple[dt.datetime, dt.datetime]


def _rows_with_left(
    job: Any, state: StateStore, now: dt.datetime, fetch: int
) -> list[HistoryEntry]:
    """The newest `fetch` rows, with the row of where the job left its closed window, if it
    is among them (`window_left`)."""
    rows = state.history(job.id, limit=fetch)
    left = window_left(job, state, now)
    if left is not None and (len(rows) < fetch or left.scheduled_at >= rows[-1].scheduled_at):
        rows.append(left)
    return rows


def window_left(job: Any, state: StateStore, now: dt.datetime) -> HistoryEntry | None:
    """Where `job` left the schedule at the end of its stored `until(timedelta)` window (the
    window of the scheduler that ran it last), once that has closed: the row of its first
    occurrence past it, as that scheduler stores it when it runs until then
    (`Dispatcher._ended`); one that stopped before does not. None while the window is open,
    or where none is stored."""
    closed = state.windows().get(job.id)
    if closed is None or closed >= now or job.anchor is None:
        return None
    moment = Occurrences.first_after(job.trigger, job.anchor, closed)
    return HistoryEntry(
        job.id, run_id_for(job.id, moment, job.epoch), moment, SKIPPED, reason=DEADLINE
    )


def _left(rows: list[HistoryEntry], now: dt.datetime) -> list[Span]:
    """Where the job was out of the schedule: from its until() deadline's row to the next
    row (a later start that registered it again), or to now. Nothing was due there."""
    ordered = sorted(rows, key=lambda row: row.scheduled_at)
    ends = [row.scheduled_at for row in ordered[1:]] + [now]
    return [
        (row.scheduled_at, ends[n]) for n, row in enumerate(ordered) if row.reason == DEADLINE
    ]


def _minus(spans: Iterable[Span], taken: list[Span]) -> list[Span]:
    """`spans` without the parts `taken` covers."""
    pieces = list(spans)
    for out_start, out_end in taken:
        pieces = [
            piece
            for start, end in pieces
            for piece in ((start, min(end, out_start)), (max(start, out_end), end))
            if piece[0] < piece[1]
        ]
    return pieces


def missed_in(
    job: Any,
    start: dt.datetime,
    end: dt.datetime,
    stored: set[dt.datetime],
    reason: str = NO_SCHEDULER,
) -> list[Occurrence]:
    """The job's occurrences in [start, end) without a row: missed for `reason`."""
    trigger = job.trigger
    first_ever = trigger.first(job.anchor)
    moment = first_ever if first_ever >= start else trigger.first_at_or_after(first_ever, start)
    listed: list[Occurrence] = []
    while moment < end and len(listed) < LISTED_PER_GAP:
        if moment not in stored:
            listed.append(Occurrence(_missed(job, moment, reason)))
        moment = trigger.next_after(moment)
    # The rest in one line, up to the rows stored at the gap's end (the newest missed ones
    # the next start stored, the catch-up runs): those are lines of their own.
    end = min([end, *(at for at in stored if moment <= at < end)])
    if moment >= end:
        return listed
    last = Occurrences.latest_due(trigger, moment, end - Occurrences.TICK)
    count, _ = Occurrences.count_between(trigger, moment, last)
    listed.append(Occurrence(_missed(job, moment, reason), count=count, last=last))
    return listed


def _missed(job: Any, moment: dt.datetime, reason: str = NO_SCHEDULER) -> HistoryEntry:
    return HistoryEntry(
        job.id, run_id_for(job.id, moment, job.epoch), moment, MISSED, reason=reason
    )


def missed_at_start(
    spans: Iterable[HeartbeatSpan],
    slack: dt.timedelta = dt.timedelta(0),
    otherwise: str = NO_SCHEDULER,
) -> Callable[[dt.datetime], str]:
    """Why a start found an occurrence missed: the scheduler before it was stopping then
    (a span that ended in a goodbye holds it; before its stop began, a long run held it),
    it may have been running and died (within `slack` of the last beat of a span without
    one: see `grace`), or `otherwise` (none was running)."""
    spans = list(spans)
    stopped = [span for span in spans if span.stopped]
    died = [(_begin(span), _end(span, slack)) for span in spans if not span.stopped]

    def reason(moment: dt.datetime) -> str:
        for span in stopped:
            if span.first_beat <= moment <= span.last_beat:
                began = span.stop_began
                return LOOP_HELD if began is not None and moment < began else LAST_STOPPING
        if any(first <= moment <= last for first, last in died):
            return DIED
        return otherwise

    return reason


def missed_rows(
    job: Any, reason: Callable[[dt.datetime], str], wanted: int = LISTED_PER_GAP
) -> list[RunRecord]:
    """Records of the newest `wanted` occurrences `job.missed` counts that do not run now
    (catch-up runs the latest ones), oldest first, each missed for `reason(it)`: as many as a
    history lists one by one (the rest of the stretch is the log line's count). Missed in
    an earlier scheduler's `until(timedelta)` window, then the row of where the job left it
    (`window_left`), which that scheduler, stopped before, did not store."""
    missed = job.missed
    moments = Occurrences.newest_in(
        job.trigger, missed.first, missed.last, wanted, set(job.backlog)
    )
    rows = [
        RunRecord.skipped(job.id, moment, job.epoch, MISSED, reason(moment)) for moment in moments
    ]
    if missed.window_closed is not None:
        left = Occurrences.first_after(job.trigger, job.anchor, missed.window_closed)
        rows.append(RunRecord.skipped(job.id, left, job.epoch, SKIPPED, DEADLINE))
    return rows
