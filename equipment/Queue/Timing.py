"""When a delayed push is due: naive datetimes in the configured zone, aware ones as they are.

`timezone: local` (the default) reads a naive datetime in the machine's zone, with that
date's DST offset; an IANA name (`Europe/Madrid`) reads it there. The result is aware UTC,
rounded up to the whole second because RQ's scheduled registry stores whole seconds and a
job must never start before the instant it was given.
"""

from __future__ import annotations

import datetime as dt
import math
from zoneinfo import ZoneInfo

UTC = dt.UTC


def to_utc(when: dt.datetime, zone: str) -> dt.datetime:
    if not isinstance(when, dt.datetime):
        raise TypeError(f"push_at needs a datetime, got {type(when).__name__} {when!r}")
    if when.tzinfo is None:
        when = _localize(when, zone)
    return _ceil_second(when.astimezone(UTC))


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
    if seconds != seconds or seconds < 0:
        raise ValueError(f"push_in needs a delay >= 0, got {delay!r}")
    return seconds


def _localize(when: dt.datetime, zone: str) -> dt.datetime:
    if zone.lower() == "local":
        return when.astimezone()  # Python reads a naive value as local time, DST included
    if zone.upper() == "UTC":
        return when.replace(tzinfo=UTC)
    return when.replace(tzinfo=ZoneInfo(zone))


def _ceil_second(moment: dt.datetime) -> dt.datetime:
    if moment.microsecond == 0:
        return moment
    whole = moment.replace(microsecond=0)
    return whole + dt.timedelta(seconds=math.ceil(moment.microsecond / 1e6))
