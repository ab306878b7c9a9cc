"""An idle loop sleeps until its next job, woken by the system if the wall clock is set."""

from __future__ import annotations

import datetime as dt
import os
import select
import sys
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


def _has_timerfd() -> bool:
    timer = WallTimer.open()
    if timer is None:
        return False
    timer.close()
    return True


needs_timerfd = pytest.mark.skipif(
    not _has_timerfd(), reason="no timerfd here (Linux only): the loop polls instead"
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


@needs_timerfd
def test_a_wake_up_that_a_clear_already_answered_does_not_end_the_sleep() -> None:
    # A set() racing the loop's clear() can leave a byte in the pipe with the flag down
    # (made here by hand). The sleep must not take it for its end: it would get the pass
    # ready and then poll the clock on the CPU until the job is due.
    wake = Wakeup()
    wake.fileno()
    wake.set()
    wake._flag = False  # what the race leaves: the byte stays, the flag is down
    ready_at = []
    began = time.monotonic()

    woken = SystemClock().sleep_until_due(
        0.3, wake, ready=lambda: ready_at.append(time.monotonic() - began)
    )

    assert woken is False and time.monotonic() - began >= 0.3
    assert ready_at and ready_at[0] >= 0.25  # about 5 ms before the due time, not at once


@needs_timerfd
def test_a_watched_sleep_works_past_descriptor_1023() -> None:
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < 1100:
        pytest.skip(f"the hard limit on open files is {hard} here")
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, 1100), hard))
    spare = []
    try:
        while not spare or spare[-1] < 1030:  # select() refuses descriptors past 1023
            spare.append(os.open(os.devnull, os.O_RDONLY))
        wake = Wakeup()
        assert wake.fileno() > 1023

        assert SystemClock().sleep(0.06, wake) is False
        wake.close()
    finally:
        for descriptor in spare:
            os.close(descriptor)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def test_there_is_no_wall_timer_off_linux(monkeypatch) -> None:
    monkeypatch.setattr(sys, "platform", "darwin")

    assert WallTimer.open() is None
    assert SystemClock().watches_wall_clock is False


def test_the_loop_releases_its_wall_timer_when_it_ends() -> None:
    clock = SystemClock()
    scheduler = Scheduler(log=MemoryLogger(), clock=clock, settings={"timezone": "UTC"})
    scheduler.schedule.every(1).hours.do(lambda: None)
    scheduler.should_exit = True
    before = len(os.listdir("/proc/self/fd"))
    assert clock.watches_wall_clock  # opens it, as the loop's first long sleep would
    assert len(os.listdir("/proc/self/fd")) == before + 1

    scheduler.run()

    assert len(os.listdir("/proc/self/fd")) == before


@needs_timerfd
def test_a_timer_that_refuses_to_arm_leaves_a_plain_sleep(monkeypatch) -> None:
    from equipment.Scheduler import WallTimer as wall_timer_module

    def refuse(self, at: float) -> None:
        raise OSError(22, "Invalid argument")

    clock = SystemClock()
    assert clock.watches_wall_clock
    monkeypatch.setattr(wall_timer_module.WallTimer, "arm", refuse)
    began = time.monotonic()

    assert clock.sleep(0.06, Wakeup()) is False  # slept it out, on the monotonic clock
    assert time.monotonic() - began >= 0.06
    clock.close()
