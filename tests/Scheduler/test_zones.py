"""Zones: names to tzinfo, and the one rule that turns a wall time into an instant."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from equipment.Scheduler.Errors import ScheduleValueError
from equipment.Scheduler.Zones import (
    format_instant,
    local_zone,
    offset_changes,
    resolve_zone,
    wall_to_utc,
    zone_name,
)

UTC = dt.UTC


@pytest.mark.parametrize(
    "zone, wall, expected",
    [
        # ordinary times
        ("Europe/Madrid", (2026, 1, 10, 3, 0), (2026, 1, 10, 2, 0)),
        ("Europe/Madrid", (2026, 7, 10, 3, 0), (2026, 7, 10, 1, 0)),
        # spring gaps: the first instant after the gap
        ("Europe/Madrid", (2026, 3, 29, 2, 0), (2026, 3, 29, 1, 0)),
        ("Europe/Madrid", (2026, 3, 29, 2, 30), (2026, 3, 29, 1, 0)),
        ("Europe/Madrid", (2026, 3, 29, 2, 59, 59), (2026, 3, 29, 1, 0)),
        ("America/New_York", (2026, 3, 8, 2, 30), (2026, 3, 8, 7, 0)),
        ("America/Santiago", (2026, 9, 6, 0, 30), (2026, 9, 6, 4, 0)),  # gap at midnight
        ("Australia/Lord_Howe", (2026, 10, 4, 2, 15), (2026, 10, 3, 15, 30)),  # half hour
        # fall overlaps: the first occurrence
        ("Europe/Madrid", (2026, 10, 25, 2, 30), (2026, 10, 25, 0, 30)),
        ("America/New_York", (2026, 11, 1, 1, 30), (2026, 11, 1, 5, 30)),
        ("Australia/Lord_Howe", (2026, 4, 5, 1, 45), (2026, 4, 4, 14, 45)),
    ],
)
def test_wall_to_utc(zone, wall, expected):
    assert wall_to_utc(dt.datetime(*wall), ZoneInfo(zone)) == dt.datetime(*expected, tzinfo=UTC)


def test_wall_to_utc_ignores_a_fold_on_the_input():
    wall = dt.datetime(2026, 10, 25, 2, 30, fold=1)
    assert wall_to_utc(wall, ZoneInfo("Europe/Madrid")) == dt.datetime(
        2026, 10, 25, 0, 30, tzinfo=UTC
    )


class PytzLike(dt.tzinfo):
    """Stands in for a pytz zone: a tzinfo with a `.zone` name."""

    zone = "Asia/Tokyo"

    def utcoffset(self, _):
        return dt.timedelta(hours=9)


@pytest.mark.parametrize(
    "given, name",
    [
        ("Europe/Madrid", "Europe/Madrid"),
        (" America/New_York ", "America/New_York"),
        ("UTC", "UTC"),
        ("utc", "UTC"),
        (ZoneInfo("Asia/Tokyo"), "Asia/Tokyo"),
        (PytzLike(), "Asia/Tokyo"),
        (dt.UTC, "UTC"),
    ],
)
def test_resolve_zone(given, name):
    assert zone_name(resolve_zone(given, "test")) == name


@pytest.mark.parametrize("given", [None, "local", "LOCAL", ""])
def test_local_means_the_machine_zone(given, monkeypatch):
    monkeypatch.setenv("TZ", "Pacific/Auckland")
    assert zone_name(resolve_zone(given, "test")) == "Pacific/Auckland"
    assert zone_name(local_zone()) == "Pacific/Auckland"


def test_an_unknown_zone_is_refused_with_where_it_came_from():
    with pytest.raises(ScheduleValueError) as caught:
        resolve_zone("Europe/Madird", "scheduler.timezone")
    assert str(caught.value) == (
        "scheduler.timezone: unknown time zone 'Europe/Madird' (use an IANA name like "
        "'Europe/Madrid', or 'local')"
    )


def test_a_zone_of_the_wrong_type_is_refused():
    with pytest.raises(ScheduleValueError, match="must be a name"):
        resolve_zone(3, "at('03:00', 3)")


def test_format_instant_shows_local_time_zone_and_utc():
    moment = dt.datetime(2026, 3, 29, 1, 0, tzinfo=UTC)
    assert format_instant(moment, ZoneInfo("Europe/Madrid")) == (
        "2026-03-29 03:00:00 CEST (2026-03-29T01:00:00Z)"
    )
    assert format_instant(None, UTC) == "never"


def test_offset_changes_finds_each_transition_to_the_second():
    year = offset_changes(
        ZoneInfo("Europe/Madrid"),
        dt.datetime(2026, 1, 1, tzinfo=UTC),
        dt.datetime(2027, 1, 1, tzinfo=UTC),
    )
    assert year == [
        (dt.datetime(2026, 3, 29, 1, tzinfo=UTC), dt.timedelta(hours=1), dt.timedelta(hours=2)),
        (dt.datetime(2026, 10, 25, 1, tzinfo=UTC), dt.timedelta(hours=2), dt.timedelta(hours=1)),
    ]
    assert offset_changes(UTC, year[0][0], year[1][0]) == []
