"""Patching `schedule.Scheduler.run_pending` reaches our loop, as the user's guide promises."""

from unittest import mock

import schedule

from equipment.Log.NullLogger import NullLogger
from equipment.Scheduler.Clock import FakeClock
from equipment.Scheduler.Scheduler import Scheduler


def test_patched_run_pending_is_what_the_loop_calls() -> None:
    scheduler = Scheduler(log=NullLogger(), clock=FakeClock(), settings={"timezone": "UTC"})
    scheduler.should_exit = True
    with mock.patch.object(schedule.Scheduler, "run_pending", autospec=True) as run_pending:
        assert scheduler.run() is None
    run_pending.assert_called_once_with(scheduler.schedule)


def test_the_patch_is_not_shadowed_by_our_subclass() -> None:
    from equipment.Scheduler.Schedule import Schedule

    assert "run_pending" not in vars(Schedule)
    assert issubclass(Schedule, schedule.Scheduler)
