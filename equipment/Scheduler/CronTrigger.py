"""Cron expressions as a trigger, with `cronsim` doing all the calendar work.

Five fields (minute hour day-of-month month day-of-week) or an alias (`@hourly`, `@daily`,
`@weekly`, `@monthly`, `@yearly`/`@annually`, `@midnight`), read in the trigger's zone.
Run times are exactly cronsim's, which follows Debian cron across DST:

- a job at a fixed hour and minute ("30 2 * * *") whose time falls in the spring-forward
  gap runs once, at the first valid minute after the gap; in the fall-back overlap it runs
  once, at the first occurrence;
- a job with a wildcard hour or minute ("*/15 * * * *") runs in elapsed time, so the
  repeated hour of a fall-back day gets its runs too, and the missing hour has none.
"""

from __future__ import annotations

import datetime as dt
from functools import cached_property

from cronsim import CronSim, CronSimError

from equipment.Scheduler.Errors import ScheduleValueError
from equipment.Scheduler.Trigger import Trigger
from equipment.Scheduler.Zones import zone_name

UTC = dt.UTC

ALIASES = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}

#: How many upcoming matches `period()` looks at to find the shortest spacing.
PERIOD_SAMPLE = 12
#: `period()` samples from a fixed instant, so it is the same on every machine and every
#: day; early January has no DST change in any zone that observes one.
PERIOD_REFERENCE = dt.datetime(2001, 1, 1, tzinfo=UTC)


class CronTrigger(Trigger):
    follows_wall_clock = True

    def __init__(self, expression: str, zone: dt.tzinfo) -> None:
        self.seed = ""
        self.expression = expression
        self.fields = _fields(expression)
        self.zone = zone
        self._check()

    def _check(self) -> None:
        """Refuse a malformed expression now, at registration, with cronsim's reason."""
        try:
            next(CronSim(self.fields, PERIOD_REFERENCE.astimezone(self.zone)))
        except CronSimError as error:
            raise ScheduleValueError(
                f"cron({self.expression!r}): {error} (the fields are minute hour "
                "day-of-month month day-of-week, e.g. '*/15 9-17 * * mon-fri')"
            ) from None
        except StopIteration:
            raise ScheduleValueError(
                f"cron({self.expression!r}): the expression never matches a date"
            ) from None

    def _after(self, moment: dt.datetime) -> dt.datetime:
        """cronsim's first match strictly after `moment` (whole seconds), as UTC."""
        match = next(CronSim(self.fields, moment.astimezone(self.zone)))
        return match.astimezone(UTC)

    def first(self, anchor: dt.datetime) -> dt.datetime:
        return self.next_after(anchor)

    def next_after(self, previous: dt.datetime) -> dt.datetime:
        candidate = self._after(previous)
        while candidate <= previous:  # cronsim's fall-back fixup can return an earlier instant
            candidate = self._after(candidate)
        return candidate

    def first_at_or_after(self, previous: dt.datetime, moment: dt.datetime) -> dt.datetime:
        # Far behind, start just before `moment`: a long outage costs one cronsim call, not
        # one per missed match.
        start = max(previous, moment - dt.timedelta(seconds=1))
        candidate = self.next_after(start)
        while candidate < moment:
            candidate = self.next_after(candidate)
        return candidate

    def upcoming(self, start: dt.datetime, count: int) -> list[dt.datetime]:
        """The next `count` matches strictly after `start`, as cronsim yields them (UTC)."""
        iterator = CronSim(self.fields, start.astimezone(self.zone))
        return [next(iterator).astimezone(UTC) for _ in range(count)]

    def period(self) -> dt.timedelta:
        return self._period

    @cached_property
    def _period(self) -> dt.timedelta:
        times = self.upcoming(PERIOD_REFERENCE, PERIOD_SAMPLE)
        return min(later - earlier for earlier, later in zip(times, times[1:], strict=False))

    def words(self) -> str:
        return f"cron {self.expression.strip()}"

    def describe(self) -> str:
        return f"{self.words()} ({zone_name(self.zone)})"

    def __repr__(self) -> str:
        return f"CronTrigger({self.expression!r}, {zone_name(self.zone)!r})"


def _fields(expression: object) -> str:
    """The five fields of `expression`, aliases expanded; anything else is refused."""
    if not isinstance(expression, str) or not expression.strip():
        raise ScheduleValueError(
            f"cron({expression!r}): give a cron expression such as '0 3 * * *' or '@daily'"
        )
    text = " ".join(expression.split())
    if text.startswith("@"):
        fields = ALIASES.get(text.lower())
        if fields is None:
            raise ScheduleValueError(
                f"cron({expression!r}): unknown alias {text!r} (use one of {', '.join(ALIASES)})"
            )
        return fields
    count = len(text.split())
    if count != 5:
        raise ScheduleValueError(
            f"cron({expression!r}): expected five fields (minute hour day-of-month month "
            f"day-of-week), got {count}"
        )
    return text
