import datetime as dt

from equipment.Scheduler.Plan import expect_daily, plan
from equipment.Scheduler.Scheduler import Scheduler


def rebuild_report() -> None:
    pass


def test_the_report_runs_at_three_madrid_time_every_day_of_march():
    scheduler = Scheduler(settings={"timezone": "Europe/Madrid"})
    scheduler.schedule.every().day.at("03:00").name("nightly-report").do(rebuild_report)

    runs = plan(scheduler, dt.datetime(2027, 3, 1), dt.datetime(2027, 4, 1))

    assert expect_daily(
        runs, "nightly-report", dt.time(3), dt.date(2027, 3, 1), dt.date(2027, 3, 31)
    ) == []
