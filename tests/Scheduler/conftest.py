import datetime as dt

import pytest

from equipment.Log.MemoryLogger import MemoryLogger
from equipment.Scheduler.Clock import FakeClock
from equipment.Scheduler.Scheduler import Scheduler

UTC = dt.UTC
START = dt.datetime(2026, 1, 5, 12, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
def log() -> MemoryLogger:
    return MemoryLogger()


@pytest.fixture
def scheduler(clock: FakeClock, log: MemoryLogger) -> Scheduler:
    return Scheduler(log=log, clock=clock, settings={"timezone": "UTC"})
