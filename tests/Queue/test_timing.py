import datetime as dt

import pytest

from equipment.Queue.Options import split_options
from equipment.Queue.Retry import Retry, as_retry
from equipment.Queue.Timing import after, to_utc

UTC = dt.UTC


def test_naive_is_read_in_the_configured_zone():
    # 2026-07-01 12:00 in Madrid is CEST (UTC+2)
    assert to_utc(dt.datetime(2026, 7, 1, 12, 0), "Europe/Madrid") == dt.datetime(
        2026, 7, 1, 10, 0, tzinfo=UTC
    )
    assert to_utc(dt.datetime(2026, 1, 1, 12, 0), "UTC") == dt.datetime(2026, 1, 1, 12, tzinfo=UTC)


def test_local_uses_the_machine_zone():
    naive = dt.datetime(2026, 7, 1, 12, 0)
    assert to_utc(naive, "local") == naive.astimezone().astimezone(UTC)


def test_aware_is_kept_and_rounded_up_to_the_second():
    when = dt.datetime(2026, 1, 1, 12, 0, 0, 1, tzinfo=UTC)
    assert to_utc(when, "Europe/Madrid") == dt.datetime(2026, 1, 1, 12, 0, 1, tzinfo=UTC)


def test_after_accepts_timedelta_and_seconds():
    now = dt.datetime(2026, 1, 1, tzinfo=UTC)
    assert after(dt.timedelta(minutes=1), now) == now + dt.timedelta(seconds=60)
    assert after(1.5, now) == now + dt.timedelta(seconds=2)
    with pytest.raises(ValueError):
        after(-1, now)
    with pytest.raises(TypeError):
        after("soon", now)  # type: ignore[arg-type]


def test_retry_specs():
    assert as_retry(None) is None
    assert as_retry(3) == Retry(3, (0,))
    assert as_retry({"max": 2, "intervals": [1, 5]}) == Retry(2, (1, 5))
    assert as_retry(Retry(1, (10,))) == Retry(1, (10,))
    for bad in (0, "3", {"max": 2, "intervals": "10"}):
        with pytest.raises(ValueError):
            as_retry(bad)


def test_split_options_keeps_the_functions_kwargs():
    options, rest = split_options({"retry": 2, "job_timeout": 30, "report_id": 7})
    assert options.retry == Retry(2) and options.job_timeout == 30
    assert rest == {"report_id": 7}
    with pytest.raises(ValueError, match="job_timeout"):
        split_options({"job_timeout": 0})
