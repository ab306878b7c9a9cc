"""Run IDs name an occurrence by its instant in UTC ISO-8601, however that instant is given."""

import datetime as dt
import random
from zoneinfo import ZoneInfo

from equipment.Scheduler.RunRecord import RunRecord, run_id_for


def _instants() -> list[dt.datetime]:
    rng = random.Random(7)
    start = dt.datetime(1999, 12, 31, 23, 59, 58, tzinfo=dt.UTC)
    steps = [dt.timedelta(seconds=rng.randrange(0, 10**9)) for _ in range(500)]
    whole = [start + step for step in steps] + [start + dt.timedelta(seconds=n) for n in range(5)]
    return whole + [moment.replace(microsecond=rng.randrange(1, 10**6)) for moment in whole[:50]]


def test_the_instant_is_written_as_isoformat_writes_it_in_utc() -> None:
    # Whole seconds in UTC are written from cached parts: the text must be isoformat()'s,
    # across day, month and year changes, and with microseconds when there are some.
    for instant in _instants():
        expected = instant.isoformat()[:-6] + "Z"
        assert run_id_for("job", instant) == f"job@{expected}"
        assert RunRecord.of_occurrence("job", instant).scheduled_iso == instant.isoformat()


def test_an_instant_in_another_zone_is_named_by_its_utc_time() -> None:
    madrid = ZoneInfo("Europe/Madrid")
    # 02:30 on the fall-back night happens twice: fold tells the two instants apart.
    first = dt.datetime(2026, 10, 25, 2, 30, tzinfo=madrid)
    second = first.replace(fold=1)
    assert run_id_for("job", first) == "job@2026-10-25T00:30:00Z"
    assert run_id_for("job", second) == "job@2026-10-25T01:30:00Z"
    assert run_id_for("job", first.astimezone(dt.UTC)) == "job@2026-10-25T00:30:00Z"
