import datetime as dt

from equipment.Log.MemoryLogger import MemoryLogger
from equipment.Scheduler.Clock import FakeClock
from equipment.Scheduler.Scheduler import Scheduler

alerts = []


def sync_prices() -> None:
    raise ConnectionError("the price feed is down")


def test_a_failing_job_alerts_and_keeps_its_schedule():
    log = MemoryLogger()
    scheduler = Scheduler(log=log, clock=FakeClock(), settings={"timezone": "UTC"})
    scheduler.schedule.every(5).minutes.name("prices").on_failure(alerts.append).do(
        sync_prices
    )

    scheduler.clock.advance(dt.timedelta(minutes=5))
    scheduler.tick()

    assert alerts[0].outcome == "failure" and alerts[0].run_id.startswith("prices@")
    assert "ConnectionError: the price feed is down" in log.find("failed")[0].message
    next_run = scheduler.schedule.get_job("prices").next_run_at
    assert next_run == scheduler.clock.now() + dt.timedelta(minutes=5)
