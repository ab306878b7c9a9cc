"""When a job runs: pure functions from the previous scheduled instant and now.

Every trigger answers two questions with aware UTC datetimes:

- `first(now)`: the first run of a job registered at `now`;
- `next_after(previous, now)`: the first grid point after `previous` that is not already
  past. Runs missed while the process was busy or asleep are coalesced into the one run
  that is happening; the grid itself never moves, so there is no drift.

`IntervalTrigger` counts elapsed time (DST cannot stretch it); `AlignedTrigger` does too,
but starts on a wall-clock minute or second (`every().hour.at(":30")`); `CalendarTrigger`
counts days in the job's zone and resolves each date's wall time with `Zones.wall_to_utc`.
"""

from __future__ import annotations

import datetime as dt
import random
from abc import ABC, abstractmethod
from dataclasses import dataclass, field

from equipment.Scheduler.Zones import to_local, wall_to_utc, zone_name

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


class Trigger(ABC):
    zone: dt.tzinfo
    #: True when due times are wall-clock times (a daily 03:00); False when they are
    #: elapsed time from the last run, which a backward clock step must not stretch.
    follows_wall_clock: bool = True

    @abstractmethod
    def first(self, now: dt.datetime) -> dt.datetime:
        """The first run for a job registered at `now`, strictly after `now`."""

    @abstractmethod
    def next_after(self, previous: dt.datetime, now: dt.datetime) -> dt.datetime:
        """The first grid point after `previous` that is at or after `now`."""

    @abstractmethod
    def period(self) -> dt.timedelta:
        """The shortest nominal spacing between runs (for overrun warnings)."""

    @abstractmethod
    def words(self) -> str:
        """The schedule in words, without its zone ('every day at 03:00:00')."""

    def describe(self) -> str:
        """The schedule in words as logs and `schedule list` show it (with a zone if it has one)."""
        return self.words()

    def realign(self, instant: dt.datetime) -> dt.datetime:
        """Where a run moved by a clock step belongs: by default, where it landed."""
        return instant


def _unit_words(interval: int, latest: int | None, unit: str) -> str:
    if latest is not None:
        return f"every {interval} to {latest} {unit}"
    if interval == 1:
        return f"every {unit[:-1]}"
    return f"every {interval} {unit}"


def _ceil_steps(behind: dt.timedelta, period: dt.timedelta) -> int:
    """How many periods cover `behind` (rounded up), in exact integer arithmetic."""
    return -((-behind) // period)


@dataclass
class IntervalTrigger(Trigger):
    """Every N seconds/minutes/hours of elapsed time, or a random N in [interval, latest]."""

    interval: int
    unit: str
    zone: dt.tzinfo
    latest: int | None = None
    rng: random.Random = field(default_factory=random.Random, repr=False)
    follows_wall_clock = False

    def _draw(self) -> dt.timedelta:
        count = (
            self.interval if self.latest is None else self.rng.randint(self.interval, self.latest)
        )
        return dt.timedelta(**{self.unit: count})

    def first(self, now: dt.datetime) -> dt.datetime:
        """One interval from now, on a whole second: the grid (and so every run ID) then
        reads `...T10:20:01Z`, and processes started in the same second share it. Rounding
        down keeps the first run within one interval, and still after now (intervals are
        whole seconds)."""
        return (now + self._draw()).replace(microsecond=0)

    def next_after(self, previous: dt.datetime, now: dt.datetime) -> dt.datetime:
        if self.latest is not None:
            candidate = previous + self._draw()
            return candidate if candidate >= now else now + self._draw()
        period = self.period()
        candidate = previous + period
        if candidate < now:
            candidate = previous + _ceil_steps(now - previous, period) * period
        return candidate

    def period(self) -> dt.timedelta:
        return dt.timedelta(**{self.unit: self.interval})

    def words(self) -> str:
        return _unit_words(self.interval, self.latest, self.unit)


@dataclass
class AlignedTrigger(IntervalTrigger):
    """Every N hours at minute:second, or every N minutes at a second, in elapsed time.

    Only the first run is placed on the wall clock; later ones follow in real hours, so the
    repeated hour of a fall-back day runs twice (it is two real hours) and none is skipped.
    A backward clock step moves them like any interval job, then `realign` puts them back
    on their minute.
    """

    at: dt.time = dt.time(0)

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
        """The first mark at or after `instant` on the wall clock (zones that shift by half
        an hour move the mark against UTC, so each hour is snapped anew)."""
        step = dt.timedelta(**{self.unit: 1})
        for hours_on in range(3):
            candidate = self._snap(instant + hours_on * step)
            if candidate >= instant:
                return candidate
        return instant + step

    def next_after(self, previous: dt.datetime, now: dt.datetime) -> dt.datetime:
        # Re-snapped each time: a no-op where offsets change by whole hours, and what keeps
        # the mark on the wall clock where they change by half an hour (Lord Howe).
        return self.realign(super().next_after(previous, now))

    def first(self, now: dt.datetime) -> dt.datetime:
        candidate = self._snap(now)
        if self.interval != 1:
            candidate += self.period()
        if candidate <= now:
            candidate += _ceil_steps(now - candidate, self.period()) * self.period()
            if candidate <= now:
                candidate += self.period()
        return candidate

    def words(self) -> str:
        mark = (
            f":{self.at.minute:02d}:{self.at.second:02d}"
            if self.unit == "hours"
            else (f":{self.at.second:02d}")
        )
        return f"{_unit_words(self.interval, self.latest, self.unit)} at {mark}"


@dataclass
class CalendarTrigger(Trigger):
    """Every N days or weeks (optionally on a weekday) at a wall time in `zone`.

    Without `.at()` the wall time is the time of registration, as in `schedule`.
    """

    interval: int
    unit: str  # "days" or "weeks"
    zone: dt.tzinfo
    at: dt.time | None = None
    weekday: int | None = None
    latest: int | None = None
    rng: random.Random = field(default_factory=random.Random, repr=False)

    def _step(self) -> dt.timedelta:
        count = (
            self.interval if self.latest is None else self.rng.randint(self.interval, self.latest)
        )
        return dt.timedelta(days=count * (7 if self.unit == "weeks" else 1))

    def _instant(self, day: dt.date) -> dt.datetime:
        assert self.at is not None
        return wall_to_utc(dt.datetime.combine(day, self.at), self.zone)

    def first(self, now: dt.datetime) -> dt.datetime:
        local = to_local(now, self.zone)
        if self.at is None:
            self.at = local.time()
        day = local.date()
        if self.weekday is not None:
            day += dt.timedelta(days=(self.weekday - day.weekday()) % 7)
        candidate = self._instant(day)
        if self.interval != 1:
            day += self._step()
            candidate = self._instant(day)
        while candidate <= now:
            day += self._step()
            candidate = self._instant(day)
        return candidate

    def next_after(self, previous: dt.datetime, now: dt.datetime) -> dt.datetime:
        day = self._day_of(previous) + self._step()
        behind = (to_local(now, self.zone).date() - day).days
        if behind > 0 and self.latest is None:
            step_days = self._step().days
            day += dt.timedelta(days=(behind // step_days) * step_days)
        candidate = self._instant(day)
        while candidate < now:
            day += self._step()
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
