"""`until()` deadlines: every form `schedule` accepts, read in the job's zone, as aware UTC."""

from __future__ import annotations

import datetime as dt
from typing import Any

from equipment.Scheduler.Zones import to_local, wall_to_utc

_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d", "%H:%M:%S", "%H:%M")


#: The latest deadline: the grid past it must still be computable (and shown in any zone).
LATEST = dt.datetime(9999, 1, 1, tzinfo=dt.UTC)


def parse_until(value: Any, now: dt.datetime, zone: dt.tzinfo) -> dt.datetime:
    """A deadline from a datetime (naive = wall time in `zone`), timedelta, time or string,
    before the year 9999."""
    from equipment.Scheduler.Errors import ScheduleValueError

    try:
        deadline = _deadline(value, now, zone)
    except OverflowError:
        deadline = None
    if deadline is None or deadline >= LATEST:
        raise ScheduleValueError(
            f"until({value!r}): a deadline must come before the year 9999 (leave until() out "
            "for a job without one)"
        )
    return deadline


def _deadline(value: Any, now: dt.datetime, zone: dt.tzinfo) -> dt.datetime:
    from equipment.Scheduler.Errors import ScheduleValueError

    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            return wall_to_utc(value, zone)
        return value.astimezone(dt.UTC)
    if isinstance(value, dt.timedelta):
        return now + value
    if isinstance(value, dt.time) and value.tzinfo is not None:
        today = now.astimezone(value.tzinfo).date()
        return dt.datetime.combine(today, value).astimezone(dt.UTC)
    if isinstance(value, dt.time):
        today = to_local(now, zone).date()
        return wall_to_utc(dt.datetime.combine(today, value), zone)
    if isinstance(value, str):
        for fmt in _FORMATS:
            try:
                parsed = dt.datetime.strptime(value, fmt)
            except ValueError:
                continue
            if "-" not in value:
                parsed = dt.datetime.combine(to_local(now, zone).date(), parsed.time())
            return wall_to_utc(parsed, zone)
        raise ScheduleValueError(
            f"until({value!r}): not a date/time (use 'YYYY-MM-DD HH:MM[:SS]', 'YYYY-MM-DD' "
            "or 'HH:MM[:SS]')"
        )
    raise TypeError(
        "until() takes a string, datetime.datetime, datetime.timedelta, datetime.time parameter"
    )
