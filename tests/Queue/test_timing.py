import datetime as dt

import pytest

from equipment.Errors import EquipmentError
from equipment.Queue.Errors import DelayError
from equipment.Queue.Options import split_options
from equipment.Queue.Retry import Retry, as_retry, is_interval
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
    # retry=0 (a count read from config, say) is no retries: it refused the whole push.
    assert as_retry(0) is None and split_options({"retry": 0})[0].retry is None
    for bad in (-1, "3", {"max": 2, "intervals": "10"}):
        with pytest.raises(ValueError):
            as_retry(bad)


def test_retry_intervals_a_worker_could_not_schedule_are_refused_at_push():
    # RQ computes `now + timedelta(seconds=interval)` only when the job fails, in the worker:
    # NaN, infinity or 1e12 crashed the worker there (exit 1), so they are refused up front.
    for intervals in ([float("nan")], [float("inf")], [1e12], [10**400], [10, -1], [True], ["10"]):
        with pytest.raises(ValueError, match="retry intervals"):
            Retry(max=1, intervals=intervals)
        with pytest.raises(ValueError, match="retry intervals"):
            as_retry({"max": 1, "intervals": intervals})
    with pytest.raises(ValueError, match="retry intervals"):
        as_retry({"max": 1, "interval": float("inf")})
    # Whole seconds, rounded up, as a tuple: what rq.Retry and the job's timing expect.
    assert Retry(max=2, intervals=[0.5, 10]).intervals == (1, 10)
    assert Retry(max=1, intervals=[3650 * 86400]).intervals == (3650 * 86400,)


def test_is_interval_is_the_rule_retry_applies_to_one_wait():
    assert all(is_interval(v) for v in (0, 0.5, 10, 3650 * 86400))
    for bad in (float("nan"), float("inf"), 1e12, 10**400, -1, True, "10", None, [10]):
        assert not is_interval(bad)


def test_split_options_keeps_the_functions_kwargs():
    options, rest = split_options({"retry": 2, "job_timeout": 30, "report_id": 7})
    assert options.retry == Retry(2) and options.job_timeout == 30
    assert rest == {"report_id": 7}
    with pytest.raises(ValueError, match="job_timeout"):
        split_options({"job_timeout": 0})


def test_a_job_timeout_no_worker_can_set_is_refused_at_push():
    # 10**12 was queued, then failed in the worker ("Python int too large to convert to C
    # int"): a push takes what queue.redis.job_timeout takes, 1 s to a week.
    assert split_options({"job_timeout": 7 * 86400})[0].job_timeout == 7 * 86400
    for bad in (7 * 86400 + 1, 10**12, 0, 1.5, True):
        with pytest.raises(ValueError, match=r"job_timeout must be whole seconds from 1 to 604800"):
            split_options({"job_timeout": bad})


def test_a_naive_time_in_the_spring_forward_gap_is_the_end_of_the_gap():
    # Madrid skips 02:00-03:00 on 2026-03-29: 02:30 does not exist; the scheduler's rule
    # (Zones.wall_to_utc) makes it 03:00 CEST = 01:00 UTC, not 03:30.
    assert to_utc(dt.datetime(2026, 3, 29, 2, 30), "Europe/Madrid") == dt.datetime(
        2026, 3, 29, 1, 0, tzinfo=UTC
    )


def test_a_naive_time_in_the_fall_back_overlap_is_its_first_occurrence():
    # 02:30 on 2026-10-25 happens twice in Madrid; the first is CEST (UTC+2).
    assert to_utc(dt.datetime(2026, 10, 25, 2, 30), "Europe/Madrid") == dt.datetime(
        2026, 10, 25, 0, 30, tzinfo=UTC
    )


@pytest.mark.parametrize("delay", [float("inf"), 1e12, float("nan"), -1, dt.timedelta(days=4000)])
def test_a_delay_out_of_range_is_one_clear_error(delay):
    with pytest.raises(DelayError, match=r"from 0 to 315360000 seconds \(3650 days\), got") as info:
        after(delay, dt.datetime(2026, 1, 1, tzinfo=UTC))
    assert isinstance(info.value, ValueError) and isinstance(info.value, EquipmentError)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    "when",
    [dt.datetime.max.replace(tzinfo=UTC), dt.datetime(9999, 1, 1), dt.datetime(2036, 1, 2)],
    ids=["beyond the calendar", "the year 9999", "a day past 3650 days"],
)
def test_an_instant_further_than_push_in_may_reach_is_a_delay_error(when):
    now = dt.datetime(2026, 1, 1, tzinfo=UTC)
    with pytest.raises(DelayError, match="push_at needs an instant at most 3650 days from now"):
        to_utc(when, "Europe/Madrid", now)
    assert to_utc(dt.datetime(2035, 12, 29, tzinfo=UTC), "UTC", now).year == 2035
