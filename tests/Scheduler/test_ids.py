import pytest

from equipment.Queue.AbstractQueue import AbstractQueue
from equipment.Scheduler.Errors import SchedulerError
from equipment.Scheduler.Scheduler import Scheduler
from tests.Scheduler import jobs

UTC = {"timezone": "UTC"}


class RecordingQueue(AbstractQueue):
    def __init__(self) -> None:
        self.pushed = []

    def push(self, fn, *args, **kwargs):
        self.pushed.append((fn, args))
        return True

    def push_at(self, when, fn, *args, **kwargs):
        return self.push(fn, *args, **kwargs)

    def push_in(self, delay, fn, *args, **kwargs):
        return self.push(fn, *args, **kwargs)


def register_all(scheduler: Scheduler) -> list[str]:
    scheduler.schedule.every(10).minutes.do(jobs.cleanup)
    scheduler.schedule.every().day.at("03:00").do(jobs.cleanup)
    scheduler.schedule.every().monday.do(jobs.cleanup)
    scheduler.schedule.every().hour.do(jobs.cleanup)
    scheduler.schedule.every(5).to(10).minutes.do(jobs.cleanup)
    scheduler.schedule.every().hour.do(scheduler.queue.push, jobs.rebuild_report, 1)
    scheduler.schedule.every().hour.do(scheduler.queue.push, jobs.rebuild_report, 2)
    return [job.id for job in scheduler.schedule.jobs]


def test_ids_are_stable_across_restarts_and_distinct_per_registration(log, clock):
    first = register_all(Scheduler(log=log, clock=clock, queue=RecordingQueue(), settings=UTC))
    clock.advance(3600 * 7)  # a restart, hours later
    second = register_all(Scheduler(log=log, clock=clock, queue=RecordingQueue(), settings=UTC))

    assert first == second
    assert len(set(first)) == len(first)
    assert first[:5] == [
        "cleanup:every-10-minutes",
        "cleanup:every-day-at-03-00-00",
        "cleanup:every-monday",
        "cleanup:every-hour",
        "cleanup:every-5-to-10-minutes",
    ]


def test_a_queue_push_is_named_after_the_pushed_function(scheduler):
    scheduler.queue = RecordingQueue()
    job = scheduler.schedule.every().hour.do(scheduler.queue.push, jobs.rebuild_report, 123)
    assert job.id == "rebuild_report:every-hour"


def test_name_sets_the_id(scheduler):
    job = scheduler.schedule.every().day.at("03:00").name("nightly-report").do(jobs.cleanup)
    assert job.id == "nightly-report"


def test_duplicate_ids_are_refused_naming_both(scheduler):
    scheduler.schedule.every().hour.name("report").do(jobs.cleanup)
    with pytest.raises(SchedulerError) as error:
        scheduler.schedule.every(2).hours.name("report").do(jobs.rebuild_report, 1)
    message = str(error.value)
    assert "two jobs have the ID 'report'" in message
    assert "cleanup:every-hour" in message and "rebuild_report:every-2-hours" in message
    assert ".name(" in message


def test_ids_do_not_depend_on_object_addresses(scheduler):
    class Service:
        pass

    a = scheduler.schedule.every().hour.do(jobs.rebuild_report, Service())
    scheduler.schedule.clear()
    b = scheduler.schedule.every().hour.do(jobs.rebuild_report, Service())
    assert a.id == b.id


def test_name_after_do_is_refused(scheduler):
    job = scheduler.schedule.every().hour.do(jobs.cleanup)
    with pytest.raises(SchedulerError, match="before .do"):
        job.name("late")


def test_an_id_depends_on_the_zone_only_when_the_job_names_its_own(log, clock):
    madrid = Scheduler(log=log, clock=clock, settings={"timezone": "Europe/Madrid"})
    tokyo = Scheduler(log=log, clock=clock, settings={"timezone": "Asia/Tokyo"})
    for scheduler in (madrid, tokyo):
        scheduler.schedule.every().day.at("03:00").do(jobs.cleanup)
        scheduler.schedule.every().day.at("03:00", "America/New_York").do(jobs.cleanup)
        scheduler.schedule.cron("0 4 * * *").do(jobs.cleanup)

    expected = [
        "cleanup:every-day-at-03-00-00",
        "cleanup:every-day-at-03-00-00-america-new-york",
        "cleanup:cron-0_4_*_*_*",
    ]
    assert [job.id for job in madrid.schedule.jobs] == expected
    assert [job.id for job in tokyo.schedule.jobs] == expected


def test_an_hour_or_minute_mark_in_a_zone_of_its_own_has_the_zone_in_its_id(scheduler):
    """Kathmandu's :15 is UTC's :30: not the same job as the scheduler zone's :15, so it is
    not its `#2` twin (which would swap their stored state with the registration order)."""
    scheduler.schedule.every().hour.at(":15", "Asia/Kathmandu").do(jobs.cleanup)
    scheduler.schedule.every().hour.at(":15").do(jobs.cleanup)
    scheduler.schedule.every().minute.at(":30", "Asia/Kathmandu").do(jobs.cleanup)

    assert [job.id for job in scheduler.schedule.jobs] == [
        "cleanup:every-hour-at-15-00-asia-kathmandu",
        "cleanup:every-hour-at-15-00",
        "cleanup:every-minute-at-30-asia-kathmandu",
    ]
    assert scheduler.schedule.jobs[0].describe() == "every hour at :15:00 (Asia/Kathmandu)"


def test_cron_ids_keep_their_fields_apart(scheduler):
    every_quarter = scheduler.schedule.cron("*/15 * * * *").do(jobs.cleanup)
    at_quarter_past = scheduler.schedule.cron("15 * * * *").do(jobs.cleanup)
    hours_range = scheduler.schedule.cron("0 9-17 * * mon-fri").do(jobs.cleanup)
    minutes_range = scheduler.schedule.cron("0-9 17 * * mon-fri").do(jobs.cleanup)

    assert every_quarter.id == "cleanup:cron-*/15_*_*_*_*"
    assert at_quarter_past.id == "cleanup:cron-15_*_*_*_*"
    assert hours_range.id != minutes_range.id


def test_a_push_wrapped_in_a_partial_is_still_a_push(scheduler):
    import functools

    scheduler.queue = RecordingQueue()
    job = scheduler.schedule.every().hour.do(functools.partial(scheduler.queue.push, jobs.cleanup))

    assert job.id == "cleanup:every-hour"
    assert job.pushes_to_queue
