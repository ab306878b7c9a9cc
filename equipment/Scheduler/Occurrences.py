"""What to do with occurrences already past: the one place that decides it.

- In a running process, a job found late (the loop was blocked, the machine suspended)
  runs once, for the latest occurrence that is due (`latest_due`), and its next run is the
  first occurrence strictly after now (`next_run`): no burst, no double run.
- At start, occurrences past that the state does not record handled (no scheduler ran
  then, or the last one was stopping) are skipped and reported, unless the job (or
  `config/scheduler.yaml`) asks to catch up (`resume`): the latest one inside the window
  runs once (coalesced, like systemd's `Persistent=`), or with `all=True` each one inside
  the window runs, oldest first, at most `CATCH_UP_LIMIT` of them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import deque
from dataclasses import dataclass

from equipment.Scheduler.State.StateStore import JobState
from equipment.Scheduler.Trigger import STEP_LIMIT, Trigger

#: `catch_up(all=True)` runs at most this many missed occurrences (the latest ones).
CATCH_UP_LIMIT = 100
#: Missed occurrences are counted exactly up to this many (beyond, "at least").
COUNT_CAP = 100_000
#: The smallest step between two instants: `x - TICK` is the last instant before `x`.
TICK = dt.timedelta(microseconds=1)
#: The closest two occurrences of any grid are (intervals are whole seconds, cron has no
#: finer field): a run shorter than this cannot have overrun.
SHORTEST_SPACING = dt.timedelta(seconds=1)
#: A stored grid at most this far ahead of the clock is not a clock set back: a leader
#: claims the occurrences of the coming second ahead, and replicas' clocks differ a little.
AHEAD_TOLERANCE = dt.timedelta(seconds=2)


@dataclass(frozen=True)
class CatchUp:
    """A job's rule for occurrences missed while no scheduler ran."""

    #: How far back missed occurrences still run; None or zero: they are skipped.
    within: dt.timedelta | None = None
    #: Run every missed occurrence inside the window, not just the latest.
    all: bool = False

    @property
    def enabled(self) -> bool:
        return bool(self.within)


@dataclass(frozen=True)
class Missed:
    """Occurrences past that the state does not record handled, found at a start (or a
    takeover): no scheduler ran them (none ran then, or the last one was stopping)."""

    count: int
    first: dt.datetime
    last: dt.datetime
    #: False when there were more than `COUNT_CAP` (the count is a lower bound).
    complete: bool
    #: How many of them will run now (0: all skipped).
    caught_up: int
    #: The last occurrence the state records handled before them (None: none since the
    #: grid's anchor), what they are counted from.
    last_handled: dt.datetime | None = None
    #: They fell in an earlier scheduler's `until(timedelta)` window, which closed then:
    #: none of them runs now (see `missed_in_closed_window`).
    window_closed: dt.datetime | None = None


@dataclass
class Resumption:
    """Where a registered job's grid stands: its anchor, next run and any backlog."""

    anchor: dt.datetime
    next_run_at: dt.datetime
    backlog: deque[dt.datetime] | tuple[()] = ()
    missed: Missed | None = None
    #: The job had a stored grid for another definition: this one starts afresh.
    redefined: bool = False
    #: How far the stored grid was ahead of the clock (a clock set back since, or another
    #: host's ahead), when it was; an elapsed-time grid is then moved back with the clock.
    ahead: dt.timedelta | None = None
    #: The epoch of a grid moved back (None: the stored one goes on).
    epoch: str | None = None


def latest_due(trigger: Trigger, first_due: dt.datetime, now: dt.datetime) -> dt.datetime:
    """The latest occurrence from `first_due` on that is not after `now`."""
    if first_due >= now:
        return first_due
    fixed = trigger.fixed_period()
    if fixed is not None:
        return first_due + ((now - first_due) // fixed) * fixed
    current = first_due
    if now - trigger.period() > current:
        probe = trigger.first_at_or_after(current, now - trigger.period())
        if probe <= now:
            current = probe
    following = trigger.next_after(current)
    while following <= now:
        current, following = following, trigger.next_after(following)
    return current


def next_run(trigger: Trigger, scheduled: dt.datetime, now: dt.datetime) -> dt.datetime:
    """The first occurrence after `scheduled` that is strictly after `now`."""
    after_now = now + TICK
    return trigger.first_at_or_after(scheduled, after_now if after_now > scheduled else scheduled)


def first_after(trigger: Trigger, anchor: dt.datetime, moment: dt.datetime) -> dt.datetime:
    """The first occurrence of the grid anchored at `anchor` strictly after `moment`."""
    first = trigger.first(anchor)
    return first if first > moment else next_run(trigger, first, moment)


def newest_in(
    trigger: Trigger,
    first: dt.datetime,
    last: dt.datetime,
    wanted: int,
    leave_out: frozenset[dt.datetime] | set[dt.datetime] = frozenset(),
) -> list[dt.datetime]:
    """The newest `wanted` occurrences in [first, last] (`first` on the grid), oldest
    first, without those in `leave_out`: walked from as near `last` as gets that many."""
    span = (wanted + len(leave_out) + 1) * trigger.period()
    while True:  # widen the window until it holds enough (irregular spacing, left out ones)
        start = max(first, last - span)
        moment = first if start == first else trigger.first_at_or_after(first, start)
        moments = []
        while moment <= last:
            if moment not in leave_out:
                moments.append(moment)
            moment = trigger.next_after(moment)
        if len(moments) >= wanted or start == first:
            return moments[-wanted:]
        span *= 2


def count_between(trigger: Trigger, first: dt.datetime, last: dt.datetime) -> tuple[int, bool]:
    """How many occurrences lie in [first, last] (both on the grid); (count, complete)."""
    fixed = trigger.fixed_period()
    if fixed is not None:
        return (last - first) // fixed + 1, True
    count, moment = 1, first
    while moment < last:
        if count >= COUNT_CAP:
            return count, False
        moment, count = trigger.next_after(moment), count + 1
    return count, True


def resume(
    trigger: Trigger,
    fingerprint: str,
    stored: JobState | None,
    now: dt.datetime,
    catch_up: CatchUp,
    late: dt.timedelta = dt.timedelta(0),
) -> Resumption:
    """Continue a job's stored grid (or start one at `now`), applying its catch-up rule.
    The latest occurrence due, if due now or at most `late` ago, is not missed: it runs
    (late); the ones before it are missed."""
    if stored is None or stored.fingerprint != fingerprint:
        return Resumption(now, trigger.anchored(now).first(now), redefined=stored is not None)
    anchored = trigger.anchored(stored.anchor)
    if stored.last_scheduled is None:
        due = anchored.first(stored.anchor)
    else:
        due = anchored.next_after(stored.last_scheduled)
    ahead = (stored.last_scheduled or stored.anchor) - now
    if ahead > AHEAD_TOLERANCE:  # a clock ahead of this one stored it: nothing is missed
        return _set_back(anchored, due, now, ahead, stored.anchor)
    cutoff = now - late  # an occurrence from here on is due, not missed
    if due >= cutoff and (due > now or anchored.next_after(due) > now):
        return Resumption(stored.anchor, due)  # none missed: at most one due, and in time
    last = latest_due(anchored, due, now)
    due_now = last if last >= cutoff else None  # it runs, after any caught up
    if due_now is not None:
        last = latest_due(anchored, due, due_now - TICK)
    count, complete = count_between(anchored, due, last)
    backlog = _backlog(anchored, due, last, now, catch_up)
    missed = Missed(count, due, last, complete, len(backlog), stored.last_scheduled)
    if due_now is not None:
        backlog.append(due_now)
    after = next_run(anchored, last, now)
    return Resumption(stored.anchor, backlog[0] if backlog else after, backlog or (), missed)


def _set_back(
    trigger: Trigger, due: dt.datetime, now: dt.datetime, ahead: dt.timedelta, anchor: dt.datetime
) -> Resumption:
    """The stored grid is `ahead` of `now`: a clock ahead of this one handled it. As after
    a backward step in a running process (`Job.shift`), a clock-time job keeps its next
    time (none runs twice), and an elapsed-time one moves back with the clock, by whole
    periods (its phase stays), on a grid of its own epoch (its run IDs stay apart from
    those already used), instead of going silent until the clock gets there again.

    It moves back by the whole periods `ahead` holds, no more: its next run is then one to
    two periods away, never less than a period after the last one the state recorded (in
    this clock's time, that run was `ahead` ago). Less than a period ahead (replicas'
    clocks a few seconds apart, a small correction), that is where it already is."""
    periods = (ahead // trigger.period()) * trigger.period()
    if trigger.follows_wall_clock or not periods:
        return Resumption(anchor, due, ahead=ahead)
    moved = trigger.realign(due - periods)
    while moved <= now:  # (a mark moved by an offset change)
        moved = trigger.next_after(moved)
    return Resumption(anchor, moved, ahead=ahead, epoch=f"{due.astimezone(dt.UTC):%Y%m%dT%H%M%SZ}")


def missed_in_closed_window(
    trigger: Trigger, fingerprint: str, stored: JobState | None, closed: dt.datetime
) -> Missed | None:
    """What an earlier scheduler's `until(timedelta)` window, which closed at `closed`,
    missed after the stored grid's last handled occurrence: none of it runs now (the window
    has closed), and nothing after `closed` is missed (the job would have left then)."""
    # An occurrence at the deadline itself is inside the window (until() ends after it).
    missed = resume(trigger, fingerprint, stored, closed + TICK, CatchUp()).missed
    return None if missed is None else dataclasses.replace(missed, window_closed=closed)


def _backlog(
    trigger: Trigger, due: dt.datetime, last: dt.datetime, now: dt.datetime, rule: CatchUp
) -> deque[dt.datetime]:
    """The missed occurrences that run now, oldest first."""
    if not rule.enabled or rule.within is None:
        return deque()
    window_start = now - rule.within
    if last < window_start:
        return deque()
    if not rule.all:
        return deque([last])
    moment = due if due >= window_start else trigger.first_at_or_after(due, window_start)
    runs: deque[dt.datetime] = deque(maxlen=CATCH_UP_LIMIT)
    for _ in range(STEP_LIMIT):
        if moment > last:
            break
        runs.append(moment)
        moment = trigger.next_after(moment)
    return deque(runs)
