"""An idle loop sleeps until its next job, woken by the system if the wall clock is set."""

from __future__ import annotations

import datetime as dt
import select
import time

import pytest

from equipment.Log.MemoryLogger import MemoryLogger
from equipment.Scheduler import Clock as clock_module
from equipment.Scheduler.Clock import FakeClock, SystemClock
from equipment.Scheduler.Scheduler import LONGEST_SLEEP, Scheduler
from equipment.Scheduler.State.MemoryStateStore import MemoryStateStore
from equipment.Scheduler.Wakeup import Wakeup
from equipment.Scheduler.WallTimer import EXPIRED, WallTimer
from tests.Scheduler.conftest import START

needs_timerfd = pytest.mark.skipif(
    WallTimer.open() is None, reason="no timerfd here (Linux only): the loop polls instead"
)


def _loop(clock: FakeClock, every: dt.timedelta, runs: int, **settings: object) -> Scheduler:
    scheduler = Scheduler(
        log=MemoryLogger(), clock=clock, settings={"timezone": "UTC", **settings}
    )
    done = []

    def job() -> None:
        done.append(clock.now())
        if len(done) == runs:
            scheduler.should_exit = True

    scheduler.schedule.every(int(every.total_seconds())).seconds.do(job)
    scheduler.run()
    return scheduler


def test_where_the_clock_watches_the_wall_clock_the_loop_sleeps_until_the_next_job() -> None:
    clock = FakeClock(START, watches_wall_clock=True)
    _loop(clock, dt.timedelta(minutes=10), runs=2, max_sleep=30)

    assert clock.sleeps == [600.0, 600.0]  # not twenty sleeps of max_sleep each


def test_it_still_wakes_at_least_hourly() -> None:
    clock = FakeClock(START, watches_wall_clock=True)
    _loop(clock, dt.timedelta(hours=2), runs=1)

    assert clock.sleeps == [LONGEST_SLEEP, LONGEST_SLEEP]


def test_where_it_does_not_the_loop_looks_every_max_sleep() -> None:
    clock = FakeClock(START)  # as on a system without timerfd
    _loop(clock, dt.timedelta(minutes=1), runs=1, max_sleep=30)

    assert clock.sleeps == [30.0, 30.0]


def test_the_loop_prunes_history_hourly_not_only_at_start() -> None:
    class Counting(MemoryStateStore):
        pruned = 0

        def prune_history(self, older_than: dt.datetime, keep_per_job: int) -> None:
            Counting.pruned += 1

    clock = FakeClock(START, watches_wall_clock=True)
    scheduler = Scheduler(
        log=MemoryLogger(), clock=clock, state=Counting(), settings={"timezone": "UTC"}
    )
    runs = []

    def job() -> None:
        runs.append(1)
        scheduler._retention.join()  # each prune runs on its own thread
        if len(runs) == 5:
            scheduler.should_exit = True

    scheduler.schedule.every(30).minutes.do(job)
    scheduler.run()
    scheduler._retention.join()

    assert Counting.pruned == 3  # at start, then after an hour and after two


@needs_timerfd
def test_the_wall_timer_rings_at_its_instant() -> None:
    timer = WallTimer.open()
    assert timer is not None
    timer.arm(time.time() + 0.02)
    assert timer.rang() is None  # not yet

    readable, _, _ = select.select([timer], [], [], 5)

    assert readable and timer.rang() == EXPIRED
    assert timer.rang() is None  # read once
    timer.close()


@needs_timerfd
def test_a_sleep_ends_early_when_the_wall_clock_runs_ahead(monkeypatch) -> None:
    # As if the wall clock had been set 100 s forward just as the sleep began: the job due
    # at the end of the sleep is due now by the wall clock, and the loop must look.
    real = time.time
    monkeypatch.setattr(clock_module.time, "time", lambda: real() - 100)
    began = time.monotonic()

    woken = SystemClock().sleep(30, Wakeup())

    assert woken is True and time.monotonic() - began < 10


@needs_timerfd
def test_a_watched_sleep_still_ends_at_once_when_woken() -> None:
    wake = Wakeup()
    clock = SystemClock()
    assert clock.watches_wall_clock
    began = time.monotonic()
    wake.set()

    assert clock.sleep(30, wake) is True
    assert time.monotonic() - began < 10


def test_the_wake_up_descriptor_is_readable_exactly_while_set() -> None:
    wake = Wakeup()
    wake.set()  # before the descriptor exists
    descriptor = wake.fileno()
    assert select.select([descriptor], [], [], 0)[0] == [descriptor]

    wake.clear()
    assert select.select([descriptor], [], [], 0)[0] == []
    wake.set()
    assert select.select([descriptor], [], [], 0)[0] == [descriptor]
    wake.close()
    wake.set()  # closed: still a flag
    assert wake.is_set()
