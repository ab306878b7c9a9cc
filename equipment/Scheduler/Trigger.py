"""When a job runs: frozen values whose answers depend only on their definition and arguments.

Every trigger answers with aware UTC datetimes:

- `first(anchor)`: the first occurrence of a grid anchored at `anchor`, the instant the job
  was first registered (ever: the anchor is stored, so a restart or a replica asks with
  the same anchor and gets the same answer);
- `next_after(previous)`: the occurrence that follows `previous`;
- `first_at_or_after(previous, moment)`: the first occurrence after `previous` that is not
  before `moment`, computed without stepping through every missed one where it can be.

None of them looks at the clock. What to do with occurrences already past (skip, coalesce,
catch up) is decided once, in `Occurrences.py`. Random `.to()` ranges draw from a generator
seeded by the job's ID and the previous occurrence, so every process draws the same.

`IntervalTrigger` counts elapsed time (DST cannot stretch it); `AlignedTrigger` does too,
but sits on a wall-clock minute or second (`every().hour.at(":30")`); `CalendarTrigger`
counts days in the job's zone and resolves each date's wall time with `Zones.wall_to_utc`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
from abc import ABC, abstractmethod
from dataclasses import dataclass, field

from equipment.Scheduler.Zones import to_local, wall_to_utc, zone_name

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

#: `first_at_or_after` steps a trigger without a shortcut at most this many times.
STEP_LIMIT = 1_000_000
#: A random range (`.to()`) further than this many of its shortest intervals behind a
#: moment picks its chain of draws up again near that moment (see `IntervalTrigger`).
REJOIN_STEPS = 10_000


class Trigger(ABC):
    # Triggers are small values (100,000 jobs hold 100,000 of them), so the dataclasses
    # below use slots; their methods therefore name their base class instead of super().
    __slots__ = ()

    zone: dt.tzinfo
    #: Seeds random draws (`.to()`); the job's ID, so that every process draws the same.
    seed: str = ""
    #: True when due times are wall-clock times (a daily 03:00); False when they are
    #: elapsed time from the last run, which a backward clock step must not stretch.
    follows_wall_clock: bool = True

    @abstractmethod
    def first(self, anchor: dt.datetime) -> dt.datetime:
        """The first occurrence of the grid anchored at `anchor`, strictly after it."""

    @abstractmethod
    def next_after(self, previous: dt.datetime) -> dt.datetime:
        """The occurrence that follows `previous` (strictly after it)."""

    @abstractmethod
    def period(self) -> dt.timedelta:
        """The shortest nominal spacing between runs (for overrun warnings)."""

    @abstractmethod
    def words(self) -> str:
        """The schedule in words, without its zone ('every day at 03:00:00')."""

    def first_at_or_after(self, previous: dt.datetime, moment: dt.datetime) -> dt.datetime:
        """The first occurrence after `previous` that is at or after `moment`."""
        candidate = self.next_after(previous)
        for _ in range(STEP_LIMIT):
            if candidate >= moment:
                return candidate
            candidate = self.next_after(candidate)
        raise OverflowError(f"{self.words()}: no occurrence within {STEP_LIMIT} steps")

    def describe(self) -> str:
        """The schedule in words as logs and `schedule list` show it (with a zone if it has one)."""
        return self.words()

    def fixed_period(self) -> dt.timedelta | None:
        """The spacing, when every occurrence is exactly that far from the last (so runs can
        be counted and skipped in constant time); None otherwise."""
        return None

    def realign(self, instant: dt.datetime) -> dt.datetime:
        """Where a run moved by a clock step belongs: by default, where it landed."""
        return instant

    def anchored(self, anchor: dt.datetime) -> Trigger:
        """This trigger completed by its grid's anchor (a daily job without `.at()` keeps
        the anchor's time of day); most triggers need nothing from it."""
        return self

    def seeded(self, seed: str) -> Trigger:
        """This trigger drawing its random offsets from `seed` (the job's ID)."""
        if getattr(self, "latest", None) is None:
            return self  # nothing random to draw
        return dataclasses.replace(self, seed=seed)

    def fingerprint(self) -> str:
        """What defines the grid: a job whose fingerprint changed starts a fresh one."""
        return f"{type(self).__name__}: {self.words()} ({zone_name(self.zone)})"


def _unit_words(interval: int, latest: int | None, unit: str) -> str:
    if latest is not None:
        return f"every {interval} to {latest} {unit}"
    if interval == 1:
        return f"every {unit[:-1]}"
    return f"every {interval} {unit}"


def _ceil_steps(behind: dt.timedelta, period: dt.timedelta) -> int:
    """How many periods cover `behind` (rounded up), in exact integer arithmetic."""
    return -((-behind) // period)


def _draw(seed: str, previous: dt.datetime, low: int, high: int) -> int:
    """A number in [low, high] that every process computes the same for this occurrence."""
    stamp = previous.astimezone(dt.UTC).isoformat()
    return random.Random(f"{seed}|{stamp}").randint(low, high)


@dataclass(frozen=True, slots=True)
class IntervalTrigger(Trigger):
    """Every N seconds/minutes/hours of elapsed time, or a random N in [interval, latest]."""

    interval: int
    unit: str
    zone: dt.tzinfo
    latest: int | None = None
    seed: str = ""
    _period: dt.timedelta = field(init=False, repr=False, compare=False)
    follows_wall_clock = False

    def __post_init__(self) -> None:
        # Asked on every run (next run, overrun check): computed once.
        object.__setattr__(self, "_period", dt.timedelta(**{self.unit: self.interval}))

    def _step(self, previous: dt.datetime) -> dt.timedelta:
        count = (
            self.interval
            if self.latest is None
            else _draw(self.seed, previous, self.interval, self.latest)
        )
        return dt.timedelta(**{self.unit: count})

    def first(self, anchor: dt.datetime) -> dt.datetime:
        """One interval after the anchor, on a whole second: the grid (and so every run ID)
        then reads `...T10:20:01Z`. Rounding down keeps the first run within one interval,
        and still after the anchor (intervals are whole seconds)."""
        return (anchor + self._step(anchor)).replace(microsecond=0)

    def next_after(self, previous: dt.datetime) -> dt.datetime:
        return previous + self._step(previous)

    def first_at_or_after(self, previous: dt.datetime, moment: dt.datetime) -> dt.datetime:
        if self.latest is not None:
            return Trigger.first_at_or_after(self, self._rejoined(previous, moment), moment)
        period = self._period
        following = previous + period
        if following >= moment:  # the usual case: the very next occurrence
            return following
        return previous + _ceil_steps(moment - previous, period) * period

    def period(self) -> dt.timedelta:
        return self._period

    def _rejoined(self, previous: dt.datetime, moment: dt.datetime) -> dt.datetime:
        """Where to step a random range's draws from towards `moment`. Each draw is seeded
        by the occurrence before it, so the exact chain is known only by stepping, and a
        month of an every-1-to-2-seconds job is two million draws (a start after such a
        downtime stepped for seconds, then gave up). Further behind than `REJOIN_STEPS`
        shortest intervals, the chain is picked up again at `previous` plus whole blocks of
        that many intervals, at most two blocks before `moment`: a point that depends on
        the gap's length in blocks only, so that every process names the same occurrences."""
        block = self._period * REJOIN_STEPS
        behind = moment - previous
        if behind <= 2 * block:
            return previous
        return previous + (behind // block - 1) * block

    def fixed_period(self) -> dt.timedelta | None:
        return self.period() if self.latest is None else None

    def words(self) -> str:
        return _unit_words(self.interval, self.latest, self.unit)


@dataclass(frozen=True, slots=True)
class AlignedTrigger(IntervalTrigger):
    """Every N hours at minute:second, or every N minutes at a second, in elapsed time.

    Runs follow in real hours, so the repeated hour of a fall-back day runs twice (it is two
    real hours) and none is skipped; each one is snapped back onto its mark, which keeps it
    on the wall clock where offsets change by half an hour (Lord Howe).
    """

    at: dt.time = dt.time(0)

    def fixed_period(self) -> dt.timedelta | None:
        return None  # snapped onto wall-clock marks: half-hour offset changes move them

    def _snap(self, moment: dt.datetime) -> dt.datetime:
        """The mark (minute:second, or second) in the wall-clock hour or minute of `moment`,
        in the same pass of a repeated hour as `moment` (its fold is kept)."""
        local = moment.astimezone(self.zone)
        if self.unit == "hours":
            snapped = local.replace(minute=self.at.minute, second=self.at.second, microsecond=0)
        else:
            snapped = local.replace(second=self.at.second, microsecond=0)
        instant = snapped.astimezone(dt.UTC)
        if to_local(instant, self.zone) != snapped.replace(tzinfo=None, fold=0):
            return wall_to_utc(snapped.replace(tzinfo=None, fold=0), self.zone)  # in a gap
        return instant

    def realign(self, instant: dt.datetime) -> dt.datetime:
        """The first mark at or after `instant` on the wall clock."""
        step = dt.timedelta(**{self.unit: 1})
        for hours_on in range(3):
            candidate = self._snap(instant + hours_on * step)
            if candidate >= instant:
                return candidate
        return instant + step

    def next_after(self, previous: dt.datetime) -> dt.datetime:
        return self.realign(IntervalTrigger.next_after(self, previous))

    def first_at_or_after(self, previous: dt.datetime, moment: dt.datetime) -> dt.datetime:
        if self.latest is None:
            # Far behind: jump in whole periods to just short of `moment`, then step.
            jumps = _ceil_steps(moment - previous, self.period()) - 2
            if jumps > 0:
                previous = self.realign(previous + jumps * self.period())
        return Trigger.first_at_or_after(self, previous, moment)

    def first(self, anchor: dt.datetime) -> dt.datetime:
        candidate = self._snap(anchor)
        if self.interval != 1:
            candidate += self.period()
        if candidate <= anchor:
            candidate += _ceil_steps(anchor - candidate, self.period()) * self.period()
            if candidate <= anchor:
                candidate += self.period()
        return candidate

    def words(self) -> str:
        mark = (
            f":{self.at.minute:02d}:{self.at.second:02d}"
            if self.unit == "hours"
            else (f":{self.at.second:02d}")
        )
        return f"{_unit_words(self.interval, self.latest, self.unit)} at {mark}"

    def describe(self) -> str:
        # The mark is on the wall clock of the zone (Asia/Kathmandu's :15 is UTC's :30), so
        # the zone is part of the schedule in words, and of the ID of a job that names it.
        return f"{self.words()} ({zone_name(self.zone)})"


@dataclass(frozen=True, slots=True)
class CalendarTrigger(Trigger):
    """Every N days or weeks (optionally on a weekday) at a wall time in `zone`.

    Without `.at()` the wall time is the anchor's: the time of the job's first registration
    ever, as in `schedule` (which takes the registration's time), but stored.
    """

    interval: int
    unit: str  # "days" or "weeks"
    zone: dt.tzinfo
    at: dt.time | None = None
    weekday: int | None = None
    latest: int | None = None
    seed: str = ""

    def anchored(self, anchor: dt.datetime) -> CalendarTrigger:
        if self.at is not None:
            return self
        return dataclasses.replace(self, at=to_local(anchor, self.zone).time())

    def _days(self, previous: dt.datetime) -> int:
        count = (
            self.interval
            if self.latest is None
            else _draw(self.seed, previous, self.interval, self.latest)
        )
        return count * (7 if self.unit == "weeks" else 1)

    def _instant(self, day: dt.date) -> dt.datetime:
        if self.at is None:
            raise ValueError(f"{self.words()}: a day job without .at() needs its anchor first")
        return wall_to_utc(dt.datetime.combine(day, self.at), self.zone)

    def first(self, anchor: dt.datetime) -> dt.datetime:
        trigger = self.anchored(anchor)
        day = to_local(anchor, trigger.zone).date()
        if trigger.weekday is not None:
            day += dt.timedelta(days=(trigger.weekday - day.weekday()) % 7)
        if trigger.interval != 1:
            day += dt.timedelta(days=trigger._days(anchor))
        candidate = trigger._instant(day)
        while candidate <= anchor:
            day += dt.timedelta(days=trigger._days(candidate))
            candidate = trigger._instant(day)
        return candidate

    def next_after(self, previous: dt.datetime) -> dt.datetime:
        day = self._day_of(previous) + dt.timedelta(days=self._days(previous))
        return self._instant(day)

    def first_at_or_after(self, previous: dt.datetime, moment: dt.datetime) -> dt.datetime:
        if self.latest is not None:
            return Trigger.first_at_or_after(self, previous, moment)
        step = self._days(previous)
        day = self._day_of(previous) + dt.timedelta(days=step)
        behind = (to_local(moment, self.zone).date() - day).days
        if behind > 0:
            day += dt.timedelta(days=(behind // step) * step)
        candidate = self._instant(day)
        while candidate < moment:
            day += dt.timedelta(days=step)
            candidate = self._instant(day)
        return candidate

    def _day_of(self, run: dt.datetime) -> dt.date:
        """The local date a run was meant for: a time in a gap that crosses midnight
        (23:30 where clocks jump from 23:00 to 00:00) resolves into the next day."""
        day = to_local(run, self.zone).date()
        if self.at is not None and self._instant(day) != run:
            before = day - dt.timedelta(days=1)
            if self._instant(before) == run:
                return before
        return day

    def period(self) -> dt.timedelta:
        return dt.timedelta(days=self.interval * (7 if self.unit == "weeks" else 1))

    def words(self) -> str:
        at = f" at {self.at:%H:%M:%S}" if self.at is not None else ""
        if self.weekday is None:
            return _unit_words(self.interval, self.latest, self.unit) + at
        if self.latest is None:
            return f"every {WEEKDAYS[self.weekday]}{at}"
        return f"every {self.interval} to {self.latest} weeks on {WEEKDAYS[self.weekday]}{at}"

    def describe(self) -> str:
        return f"{self.words()} ({zone_name(self.zone)})"
