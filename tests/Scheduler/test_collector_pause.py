"""The garbage collector waits out registration in run(), and always comes back."""

from __future__ import annotations

import datetime as dt
import gc

import pytest

from equipment.Scheduler.Clock import FakeClock
from equipment.Scheduler.Errors import SchedulerError
from equipment.Scheduler.Scheduler import Scheduler
from equipment.Scheduler.Testing import run_until
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


class Looking(Scheduler):
    """A job every second that records `look()` and stops the loop after `passes` runs."""

    def __init__(self, look, passes: int = 1) -> None:
        super().__init__(settings={"timezone": "UTC"}, clock=FakeClock())
        self.look, self.passes, self.seen = look, passes, []

    def run(self) -> None:
        self.schedule.every(1).seconds.do(self.record)
        super().run()

    def record(self) -> None:
        self.seen.append(self.look())
        if len(self.seen) >= self.passes:
            self.should_exit = True


def test_what_registration_built_is_frozen_while_the_loop_runs_and_thawed_after():
    before = gc.get_freeze_count()
    scheduler = Looking(gc.get_freeze_count)
    scheduler.run()

    assert scheduler.seen and scheduler.seen[0] > before
    assert gc.get_freeze_count() == before


def test_run_until_pauses_the_collector_and_gives_it_back():
    scheduler = Looking(gc.isenabled, passes=99)
    run_until(scheduler, dt.timedelta(seconds=3))

    assert scheduler.seen == [False, False]  # at +1 s and +2 s: the window is half-open
    assert gc.isenabled()


def test_the_loop_runs_without_automatic_collection_and_collects_what_is_due():
    from equipment.Scheduler.CollectorPause import CollectorPause

    scheduler = Looking(gc.isenabled, passes=2)
    scheduler.run()
    assert scheduler.seen == [False, False]
    assert gc.isenabled()

    pause = CollectorPause()
    pause.freeze()
    try:
        garbage = [[] for _ in range(2 * gc.get_threshold()[0])]  # young containers
        assert gc.get_count()[0] >= gc.get_threshold()[0]
        assert pause.collect_due() is not None
        assert gc.get_count()[0] < gc.get_threshold()[0]
        del garbage
    finally:
        pause.thaw()
    assert gc.isenabled()
    assert pause.collect_due() is None  # outside the loop: the collector's own


def test_a_burst_driven_by_tick_alone_runs_without_automatic_collection():
    seen = []
    scheduler = Scheduler(settings={"timezone": "UTC"}, clock=FakeClock())
    for name in ("a", "b"):
        scheduler.schedule.every(1).seconds.name(name).do(lambda: seen.append(gc.isenabled()))
    scheduler.clock.advance(1)
    scheduler.tick()

    assert seen == [False, False]
    assert gc.isenabled()


def test_objects_the_application_froze_itself_stay_frozen_after_the_loop():
    from equipment.Scheduler.CollectorPause import CollectorPause

    gc.freeze()
    try:
        count = gc.get_freeze_count()
        pause = CollectorPause()
        pause.freeze()
        pause.thaw()
        assert gc.get_freeze_count() == count
    finally:
        gc.unfreeze()
