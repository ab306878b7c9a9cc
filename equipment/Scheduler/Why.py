"""`equipment schedule why JOB_ID --at TIME`: what happened to one occurrence, in a paragraph.

Which occurrence: the one at `--at` (to the minute), else the nearest before and after are
named and the nearer one is explained. Around a clock change, the rule that moved or
removed a wall time is stated. Then what happened (its history row, or, with none, whether
a scheduler was running then) and the evidence: heartbeats, the pause, coordination.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from equipment.Scheduler import Occurrences
from equipment.Scheduler.History import (
    NO_SCHEDULER,
    alive_now,
    collapse,
    covering,
    grace,
    window_left,
)
from equipment.Scheduler.RunRecord import DEADLINE
from equipment.Scheduler.State.StateStore import MISSED, HeartbeatSpan, HistoryEntry, StateStore
from equipment.Scheduler.Zones import format_instant, offset_changes, wall_to_utc, zone_name

#: An occurrence this close to `--at` is the one asked about.
SAME_MINUTE = dt.timedelta(seconds=60)
GAP_RULE = (
    "a wall time inside a skipped hour runs at the first instant after the gap; a wall "
    "time that happens twice runs once, at its first occurrence"
)
REASONS = {
    "paused": "the job was paused (equipment schedule pause)",
    "condition": "its .when()/.skip() condition said not to run",
    "not the owner": "another replica owned this occurrence",
    "overlap": "its previous run was still going (overlap lock)",
    "pool busy": "its previous occurrence was still waiting for a background thread",
    "stopping": "it was waiting for a background thread when the scheduler stopped",
    "catch-up policy": "the loop was busy when it fell due (a long inline job, a suspend) "
    "and ran only the latest due occurrence",
    DEADLINE: "it came after the job's until() deadline, and the job left the schedule",
}


@dataclass
class Question:
    job: Any
    at: dt.datetime  # aware
    wall: dt.datetime | None  # the naive wall time typed, if no offset was given
    zone: dt.tzinfo  # the scheduler's zone
    now: dt.datetime
    max_sleep: float
    catch_up: Any  # the job's CatchUp rule
    coordination: str
    shutdown_grace: float = 30.0  # how long a stop may last: no new runs start meanwhile


def explain(question: Question, state: StateStore) -> str:
    """One paragraph: which occurrence, what happened to it, and the evidence."""
    job, zone = question.job, question.job.trigger.zone
    parts: list[str] = []
    clock_note = _clock_changes(question)
    first = job.trigger.first(job.anchor)
    if question.at < first and question.at < question.now:
        parts.append(
            f"{job.id} had no occurrence at {format_instant(question.at, zone)}: its schedule "
            f"({job.describe()}) starts at {format_instant(first, zone)}."
        )
        target = first
    else:
        target, located = _locate(job, question.at, first, zone, question.now)
        parts.append(located)
    if clock_note:
        parts.append(clock_note)
    beats = _Beats.read(state, question, target)
    parts.append(_what_happened(question, state, target, beats))
    parts.append(_evidence(question, state, beats))
    return " ".join(part for part in parts if part)


@dataclass
class _Beats:
    """The heartbeat evidence about one moment, read once for the whole answer."""

    spans: list[HeartbeatSpan]  # every process's
    covering: list[HeartbeatSpan]  # those of processes that were running then
    alive: set[str]  # the processes alive now (health's rule)

    @classmethod
    def read(cls, state: StateStore, question: Question, target: dt.datetime) -> _Beats:
        spans = state.spans()
        alive = alive_now(state, question.now, question.max_sleep)
        slack = grace(question.max_sleep)
        return cls(spans, covering(spans, target, slack, alive), alive)


def _locate(
    job: Any, at: dt.datetime, first: dt.datetime, zone: dt.tzinfo, now: dt.datetime
) -> tuple[dt.datetime, str]:
    """The occurrence asked about: the nearest within a minute of `at`, else the nearer of
    the two around it, named as such."""
    trigger = job.trigger
    before = Occurrences.latest_due(trigger, first, at) if first <= at else None
    after = trigger.first_at_or_after(before or first, at)
    near = after if before is None or (after - at) < (at - before) else before
    if abs(near - at) < SAME_MINUTE:
        due = "was due" if near <= now else "is due"
        return near, f"{job.id} ({job.describe()}) {due} at {format_instant(near, zone)}."
    return near, (
        f"No occurrence of {job.id} ({job.describe()}) {'was' if at <= now else 'is'} due at "
        f"{format_instant(at, zone)}: the nearest before is "
        f"{format_instant(before, zone) if before else 'none'} and after is "
        f"{format_instant(after, zone)}; about {format_instant(near, zone)}:"
    )


def _clock_changes(question: Question) -> str:
    zone, wall = question.zone, question.wall
    notes = []
    if wall is not None:
        instant = wall_to_utc(wall, zone)
        local = instant.astimezone(zone).replace(tzinfo=None)
        if local != wall:
            notes.append(
                f"{wall:%Y-%m-%d %H:%M:%S} does not exist in {zone_name(zone)} (the clocks "
                f"skip it), so it is read as {format_instant(instant, zone)}."
            )
        elif wall.replace(tzinfo=zone, fold=1).utcoffset() != wall.replace(
            tzinfo=zone, fold=0
        ).utcoffset():
            notes.append(
                f"{wall:%Y-%m-%d %H:%M:%S} happens twice in {zone_name(zone)}; it is read as "
                "the first."
            )
    near = dt.timedelta(hours=12)  # a change further away moved no occurrence near `at`
    # The job's wall times are read in its own zone (`.at("02:30", "Europe/Madrid")` on a
    # UTC scheduler): that zone's changes are the ones that moved or removed them.
    zone = question.job.trigger.zone
    for when, old, new in offset_changes(zone, question.at - near, question.at + near):
        way = "forward" if new > old else "back"
        notes.append(
            f"Clocks in {zone_name(zone)} went {way} {abs(new - old)} at "
            f"{format_instant(when, zone)}: {GAP_RULE}."
        )
    return " ".join(notes)


def _rows_for(state: StateStore, job: Any, target: dt.datetime) -> list[HistoryEntry]:
    """The occurrence's row, the most telling of the replicas'; a row per run if it ran
    more than once."""
    return collapse(
        state.history(job.id, limit=20, before=target + Occurrences.TICK, after=target)
    )


def _left(
    question: Question, state: StateStore, target: dt.datetime, rows: list[HistoryEntry]
) -> HistoryEntry | None:
    """The row of the job's until() deadline, if it is `target`'s own or, with none, the
    newest row before it: the job had left the schedule. A closed window's end, stored,
    counts as that row (`History.window_left`)."""
    job = question.job
    newest = rows or state.history(job.id, limit=1, before=target)
    left = window_left(job, state, question.now)
    if left is not None and left.scheduled_at <= target:
        newest = [row for row in newest if row.scheduled_at >= left.scheduled_at] or [left]
    return newest[0] if newest and newest[0].reason == DEADLINE else None


def _after_deadline(
    question: Question, state: StateStore, target: dt.datetime, rows: list[HistoryEntry]
) -> str | None:
    """Why `target` is after the job's until() deadline, if it is: by the row where a
    scheduler's job left (its window is that process's own), or by a date's deadline."""
    job, zone = question.job, question.job.trigger.zone
    left = _left(question, state, target, rows)
    if left is not None and target > question.now:  # a later start's window may hold it
        return (
            f"It is not due yet (now is {format_instant(question.now, zone)}), and the job "
            "left the schedule before it, at its until() deadline (its occurrence of "
            f"{format_instant(left.scheduled_at, zone)}): only a scheduler started since, "
            "whose until() window holds it, runs it."
        )
    if left is not None:
        return (
            f"It came after the job's until() deadline: the job left the schedule at its "
            f"occurrence of {format_instant(left.scheduled_at, zone)}, the first past the "
            "deadline, and no run of it is recorded since."
        )
    if job.deadline is None or job.window_opened is not None or target <= job.deadline:
        return None
    deadline = format_instant(job.deadline, zone)
    if target > question.now:
        return f"It comes after the job's until() deadline ({deadline}): it will not run."
    return f"It was after the job's until() deadline ({deadline}): the job had left the schedule."


def _what_happened(
    question: Question, state: StateStore, target: dt.datetime, beats: _Beats
) -> str:
    zone = question.job.trigger.zone
    rows = _rows_for(state, question.job, target)
    after_deadline = _after_deadline(question, state, target, rows)
    if after_deadline:
        return after_deadline
    if target > question.now:
        paused = question.job.id in state.paused()
        return f"It is not due yet (now is {format_instant(question.now, zone)})" + (
            "; the job is paused, so it will be skipped unless resumed before then."
            if paused
            else "."
        )
    if len(rows) > 1:
        return f"It ran {len(rows)} times, once per scheduler that ran it. " + " ".join(
            _outcome(row, zone) for row in rows
        ) + (
            " Several schedulers without coordination each run every job: run one, or "
            "set coordination: redis."
        )
    if rows:
        return _outcome(rows[0], zone)
    alive = beats.covering
    if alive and question.coordination != "none":  # standbys beat too
        return (
            f"Replicas were running ({', '.join(s.process_id for s in alive)}) but none "
            "recorded it: no replica led then (a leader died and the next had not taken "
            "over; it stores only the newest few it finds missed), or the leader was late "
            "and ran only the latest due occurrence (catch-up policy)."
        )
    span = max(alive, key=lambda span: span.last_beat) if alive else None
    if span is not None and target > span.last_beat and span.process_id not in beats.alive:
        return (
            f"A scheduler ({span.process_id}) had beaten at "
            f"{format_instant(span.last_beat, zone)}, shortly before, but recorded nothing "
            "for it: it died before its next heartbeat (a kill -9, a crash), or its loop was "
            "late and ran only the latest due occurrence (catch-up policy)."
        )
    stopping = [s for s in alive if s.stopped and _stopping_at(s, target, question)]
    if stopping:
        return (
            f"It fell due while a scheduler ({stopping[0].process_id}) was stopping, which "
            f"it finished at {format_instant(stopping[0].last_beat, zone)}: no new runs "
            "start during a stop (it lasts up to shutdown_grace, "
            f"{question.shutdown_grace:g}s); the next start counts it missed."
        )
    if alive:
        return (
            f"A scheduler was running ({alive[0].process_id}) but recorded nothing for it: "
            "the loop was late and ran only the latest due occurrence (catch-up policy), or "
            "its pass had not written its records yet."
        )
    return "It was missed: no scheduler was running. " + _downtime(question, beats.spans, target)


def _stopping_at(span: HeartbeatSpan, target: dt.datetime, question: Question) -> bool:
    """Whether `target` fell in the stop of a process that said goodbye, where the running
    job finishes and nothing new starts: from when its goodbye says the stop began (else
    its last `shutdown_grace` and a second)."""
    began = span.stop_began
    if began is None:
        began = span.last_beat - dt.timedelta(seconds=question.shutdown_grace + 1)
    return began <= target


def _outcome(row: HistoryEntry, zone: dt.tzinfo) -> str:
    where = f" on {row.replica}" if row.replica else ""
    if row.outcome == MISSED:  # stored by the replica that took the lead after the gap
        return f"It was missed: {row.reason or NO_SCHEDULER}."
    if row.outcome == "skipped":
        why = REASONS.get(row.reason or "", row.reason or "no reason recorded")
        return f"It was skipped{where}: {why}."
    started = format_instant(row.started_at, zone)
    late = f", {row.lateness:.3f} s late" if row.lateness is not None else ""
    took = f", took {row.duration:.3f} s" if row.duration is not None else ""
    pushed = f", and pushed queue job {row.queue_job_id}" if row.queue_job_id else ""
    if row.outcome == "failure":
        return f"It ran{where}, started {started}{late}{took}, and failed: {row.error}{pushed}."
    return f"It ran{where}, started {started}{late}{took}, and succeeded{pushed}."


def _downtime(question: Question, spans: list[HeartbeatSpan], target: dt.datetime) -> str:
    zone = question.job.trigger.zone
    earlier = [s for s in spans if s.last_beat < target]
    later = [s for s in spans if s.first_beat > target]
    words = []
    if earlier:
        last = max(earlier, key=lambda s: s.last_beat)
        words.append(
            f"The last heartbeat before it was at {format_instant(last.last_beat, zone)} "
            f"({last.process_id})"
        )
    else:
        words.append("No heartbeat before it is on record")
    if later:
        nxt = min(later, key=lambda s: s.first_beat)
        rule = question.catch_up
        catch = (
            f"its catch-up rule (within {rule.within}) did not run it"
            if rule.enabled
            else "catch-up is off for it, so it was skipped, not run late"
        )
        words.append(
            f"the next scheduler started at {format_instant(nxt.first_beat, zone)} "
            f"({nxt.process_id}) and {catch}"
        )
    else:
        words.append("no scheduler has run since")
    return "; ".join(words) + "."


def _evidence(question: Question, state: StateStore, beats: _Beats) -> str:
    zone = question.job.trigger.zone
    alive = beats.covering
    lines = (
        "; ".join(
            f"{s.process_id} beat from {format_instant(s.first_beat, zone)} to "
            f"{format_instant(s.last_beat, zone)}"
            for s in alive
        )
        or "no scheduler heartbeat covers it"
    )
    since = state.paused().get(question.job.id)
    pause = f"paused since {format_instant(since, zone)}" if since else "not paused now"
    lease = (
        "coordination: none (each scheduler runs every occurrence: no leases)"
        if question.coordination == "none"
        else f"coordination: {question.coordination}"
    )
    return f"Evidence: {lines}; {pause}; {lease}."
