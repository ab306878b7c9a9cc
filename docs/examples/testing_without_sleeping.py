import datetime as dt

from equipment.Log.MemoryLogger import MemoryLogger
from equipment.Scheduler.Clock import FakeClock
from equipment.Scheduler.Scheduler import Scheduler as Equipment
from equipment.Scheduler.Testing import run_until


def cleanup() -> None:
    pass


class Scheduler(Equipment):
    def run(self) -> None:
        self.schedule.every(10).minutes.do(cleanup)
        self.schedule.every().day.at("03:00").name("nightly").do(cleanup)
        super().run()


def test_a_day_of_scheduling_in_milliseconds():
    clock = FakeClock(dt.datetime(2026, 3, 1, tzinfo=dt.UTC))
    scheduler = Scheduler(log=MemoryLogger(), clock=clock, settings={"timezone": "UTC"})

    runs = run_until(scheduler, dt.timedelta(days=1))

    # 00:10 to 23:50: the window is half-open, so the run at the next midnight is not in it
    assert [r.job_id for r in runs].count("cleanup:every-10-minutes") == 143
    nightly = [r for r in runs if r.job_id == "nightly"]
    assert [r.run_id for r in nightly] == ["nightly@2026-03-01T03:00:00Z"]
