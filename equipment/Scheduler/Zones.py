"""Time zones by name, and the rule that turns a local wall time into one instant.

Wall times that do not exist (the spring-forward gap) resolve to the first valid instant
after the gap; wall times that exist twice (the fall-back overlap) resolve to the first
occurrence. Everything returned is an aware datetime in UTC.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import struct
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

UTC = dt.UTC

TzLike = str | dt.tzinfo | None


def zone_name(zone: dt.tzinfo) -> str:
    """A human name for a zone: its IANA key where it has one."""
    return getattr(zone, "key", None) or getattr(zone, "zone", None) or str(zone)


def local_zone() -> dt.tzinfo:
    """The machine's zone as a real zone (with its DST rules), not a fixed offset."""
    return _local_zone_for(os.environ.get("TZ", ""))


@lru_cache(maxsize=8)
def _local_zone_for(tz_variable: str) -> dt.tzinfo:
    name = tz_variable.lstrip(":")
    if name:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            pass
        try:
            return posix_zone(name)  # TZ may be a rule, as libc reads it
        except ValueError:
            pass
    link = Path("/etc/localtime")
    if link.is_symlink():
        target = str(link.resolve())
        if "zoneinfo/" in target:
            try:
                return ZoneInfo(target.split("zoneinfo/", 1)[1])
            except (ZoneInfoNotFoundError, ValueError):
                pass
    if link.exists():
        with link.open("rb") as handle:
            return ZoneInfo.from_file(handle, key="localtime")
    return UTC


def posix_zone(rule: str) -> dt.tzinfo:
    """A zone following a POSIX TZ rule ('CET-1CEST,M3.5.0,M10.5.0/3') at every instant.

    zoneinfo reads no rules, only TZif data; a TZif file with no transitions and the rule
    as its footer makes it apply the rule to all times, as libc does for `TZ`.
    """
    if not rule or not any(ch.isdigit() for ch in rule):
        raise ValueError(f"not a POSIX TZ rule: {rule!r}")
    counts = struct.pack(">6l", 0, 0, 0, 0, 1, 4)  # isut, isstd, leap, times, types, chars
    block = b"TZif2" + bytes(15) + counts + struct.pack(">lbB", 0, 0, 0) + b"LMT\0"
    data = block + block + b"\n" + rule.encode() + b"\n"
    return ZoneInfo.from_file(io.BytesIO(data), key=rule)


def resolve_zone(zone: TzLike, what: str) -> dt.tzinfo:
    """A tzinfo from an IANA name, "local", a zoneinfo/pytz/tzinfo object or None (local).

    `what` names the place the zone came from, for the error message.
    """
    from equipment.Scheduler.Errors import ScheduleValueError

    if zone is None or (isinstance(zone, str) and zone.strip().lower() in ("", "local")):
        return local_zone()
    if isinstance(zone, str):
        return _zone_by_name(zone.strip(), what)
    pytz_name = getattr(zone, "zone", None)
    if isinstance(pytz_name, str):  # a pytz zone: use the same rules through zoneinfo
        return _zone_by_name(pytz_name, what)
    if isinstance(zone, dt.tzinfo):
        return zone
    raise ScheduleValueError(
        f"{what}: a time zone must be a name like 'Europe/Madrid', got {zone!r}"
    )


def _zone_by_name(name: str, what: str) -> dt.tzinfo:
    from equipment.Scheduler.Errors import ScheduleValueError

    if name.upper() == "UTC":
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ScheduleValueError(
            f"{what}: unknown time zone {name!r} "
            "(use an IANA name like 'Europe/Madrid', or 'local')"
        ) from None


def wall_to_utc(wall: dt.datetime, zone: dt.tzinfo) -> dt.datetime:
    """The instant a naive local wall time means in `zone` (gap: after it; overlap: first)."""
    first = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if first.astimezone(zone).replace(tzinfo=None) == wall.replace(fold=0):
        return first
    return _end_of_gap(wall, zone)


def _end_of_gap(wall: dt.datetime, zone: dt.tzinfo) -> dt.datetime:
    """The transition instant that skipped `wall`: the first instant whose local time is later."""
    a = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    b = wall.replace(tzinfo=zone, fold=1).astimezone(UTC)
    low, high = min(a, b), max(a, b)  # local(low) < wall < local(high)
    while high - low > dt.timedelta(seconds=1):
        middle = low + (high - low) / 2
        if middle.astimezone(zone).replace(tzinfo=None) > wall:
            high = middle
        else:
            low = middle
    whole = high.replace(microsecond=0)  # transitions fall on whole seconds
    return whole if whole.astimezone(zone).replace(tzinfo=None) > wall else high


def to_local(moment: dt.datetime, zone: dt.tzinfo) -> dt.datetime:
    """`moment` (aware) as a naive wall time in `zone`."""
    return moment.astimezone(zone).replace(tzinfo=None)


def format_instant(moment: dt.datetime | None, zone: dt.tzinfo) -> str:
    """'2026-03-29 03:00:00 CEST (01:00:00Z)': where people read times, both views."""
    if moment is None:
        return "never"
    local = moment.astimezone(zone)
    utc = moment.astimezone(UTC)
    return f"{local:%Y-%m-%d %H:%M:%S} {local.tzname()} ({utc:%Y-%m-%dT%H:%M:%S}Z)"


def offset_changes(
    zone: dt.tzinfo, start: dt.datetime, end: dt.datetime
) -> list[tuple[dt.datetime, dt.timedelta, dt.timedelta]]:
    """Where `zone`'s UTC offset changes between start and end: (when, before, after).

    Looked for hour by hour, then pinned to the second; zones change at most a few times a
    year and never twice within an hour, so nothing is missed.
    """
    changes = []
    step = dt.timedelta(hours=1)
    low = start.astimezone(UTC)
    end = end.astimezone(UTC)
    while low < end:
        high = min(low + step, end)
        before, after = low.astimezone(zone).utcoffset(), high.astimezone(zone).utcoffset()
        if before != after:
            changes.append((_change_instant(zone, low, high), before, after))
        low = high
    return changes


def _change_instant(zone: dt.tzinfo, low: dt.datetime, high: dt.datetime) -> dt.datetime:
    """The first instant in (low, high] with `high`'s offset, to the second."""
    target = high.astimezone(zone).utcoffset()
    while high - low > dt.timedelta(seconds=1):
        middle = (low + (high - low) / 2).replace(microsecond=0)
        if middle <= low:
            break
        if middle.astimezone(zone).utcoffset() == target:
            high = middle
        else:
            low = middle
    return high
