"""`run_until`: a window it cannot simulate is one line, not an empty list of runs."""

import datetime as dt

import pytest

from equipment.Scheduler.Errors import SchedulerError
from equipment.Scheduler.Testing import run_until
from tests.Scheduler import jobs


@pytest.mark.parametrize(
    "until",
    [dt.timedelta(seconds=-5), dt.datetime(2026, 1, 1, tzinfo=dt.UTC)],
)
def test_a_window_that_ends_before_the_clock_is_refused(scheduler, until):
    scheduler.schedule.every(1).seconds.do(jobs.cleanup)

    with pytest.raises(SchedulerError) as raised:
        run_until(scheduler, until)

    assert "before the fake clock's now (2026-01-05T12:00:00Z)" in str(raised.value)


@pytest.mark.parametrize("until", [10, dt.datetime(2026, 1, 6)])
def test_an_until_that_is_not_an_aware_instant_or_a_span_is_refused(scheduler, until):
    with pytest.raises(SchedulerError, match="give an aware datetime or a timedelta, got"):
        run_until(scheduler, until)


def test_an_empty_window_runs_nothing(scheduler, clock):
    scheduler.schedule.every(1).seconds.do(jobs.cleanup)

    assert run_until(scheduler, clock.now()) == []
    assert run_until(scheduler, dt.timedelta(0)) == []
