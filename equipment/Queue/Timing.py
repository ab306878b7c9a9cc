"""When a delayed push is due: naive datetimes in the configured zone, aware ones as they are.

`timezone: local` (the default) reads a naive datetime in the machine's zone, an IANA name
(`Europe/Madrid`) reads it there, with the scheduler's one DST rule (`Zones.wall_to_utc`): a
wall time in the spring-forward gap is the first instant after the gap, one in the fall-back
overlap its first occurrence. The result is aware UTC, rounded up to the whole second because
RQ's scheduled registry stores whole seconds and a job must never start before the instant
it was given. A delay is at most `MAX_DELAY_DAYS`, and so is the distance to a `push_at`
instant: anything longer (1e12 s, infinity, the year 9999) is a mistake, refused with a
`DelayError` before anything is queued.
"""

from __future__ import annotations

import datetime as dt
import math

from equipment.Queue.Errors import DelayError
from equipment.Scheduler.Zones import resolve_zone, wall_to_utc

UTC = dt.UTC
MAX_DELAY_DAYS = 3650
MAX_DELAY_SECONDS = MAX_DELAY_DAYS * 86400


def to_utc(when: dt.datetime, zone: str, now: dt.datetime | None = None) -> dt.datetime:
    """`when` as aware UTC; at most `MAX_DELAY_DAYS` after now, as a `push_in` delay is."""
    if not isinstance(when, dt.datetime):
        raise TypeError(f"push_at needs a datetime, got {type(when).__name__} {when!r}")
    try:
        if when.tzinfo is None:
            due = _ceil_second(wall_to_utc(when, resolve_zone(zone, "queue.timezone")))
        else:
            due = _ceil_second(when.astimezone(UTC))
    except OverflowError:
        due = None
    latest = (now or dt.datetime.now(UTC)) + dt.timedelta(days=MAX_DELAY_DAYS)
    if due is None or due > latest:
        raise DelayError(
            f"push_at needs an instant at most {MAX_DELAY_DAYS} days from now, as push_in "
            f"does, got {when.isoformat()}"
        )
    return due


def after(delay: dt.timedelta | float, now: dt.datetime | None = None) -> dt.datetime:
    """The UTC instant `delay` (a timedelta or seconds) from now."""
    seconds = as_delay_seconds(delay)
    return _ceil_second((now or dt.datetime.now(UTC)) + dt.timedelta(seconds=seconds))


def as_delay_seconds(delay: dt.timedelta | float) -> float:
    if isinstance(delay, dt.timedelta):
        seconds = delay.total_seconds()
    elif isinstance(delay, (int, float)) and not isinstance(delay, bool):
        seconds = float(delay)
    else:
        kind = type(delay).__name__
        raise TypeError(f"push_in needs a timedelta or seconds, got {kind} {delay!r}")
    if not 0 <= seconds <= MAX_DELAY_SECONDS:  # also false for NaN
        raise DelayError(
            f"push_in needs a delay from 0 to {MAX_DELAY_SECONDS} seconds "
            f"({MAX_DELAY_DAYS} days), got {delay!r}"
        )
    return seconds


def _ceil_second(moment: dt.datetime) -> dt.datetime:
    if moment.microsecond == 0:
        return moment
    whole = moment.replace(microsecond=0)
    return whole + dt.timedelta(seconds=math.ceil(moment.microsecond / 1e6))
