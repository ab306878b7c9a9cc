"""The garbage collector waits out registration in run(), and always comes back."""

from __future__ import annotations

import gc

import pytest

from equipment.Scheduler.Errors import SchedulerError
from equipment.Scheduler.Scheduler import Scheduler
from tests.Scheduler import jobs


class Recording(Scheduler):
    def run(self) -> None:
        self.collector_enabled = gc.isenabled()
        self.schedule.every(1).minutes.do(jobs.cleanup)
        super().run()


class Forgetful(Scheduler):
    def run(self) -> None:
        self.schedule.every(1).minutes.do(jobs.cleanup)


def test_registration_runs_with_the_collector_paused_and_the_loop_without():
    scheduler = Recording(settings={"timezone": "UTC"})
    scheduler.should_exit = True

    scheduler.run()

    assert scheduler.collector_enabled is False
    assert gc.isenabled()


def test_the_collector_comes_back_when_run_fails():
    with pytest.raises(SchedulerError):
        Forgetful(settings={"timezone": "UTC"}).run()

    assert gc.isenabled()
