import logging

import pytest

from equipment.Scheduler.Errors import SchedulerError
from equipment.Scheduler.Scheduler import Scheduler
from tests.Scheduler import jobs


class Forgetful(Scheduler):
    def run(self) -> None:
        self.schedule.every().hour.do(jobs.cleanup)


class Late(Scheduler):
    def run(self) -> None:
        self.should_exit = True
        super().run()
        self.schedule.every().hour.do(jobs.cleanup)


class Dynamic(Scheduler):
    def run(self) -> None:
        self.schedule.every(1).seconds.name("spawner").do(self.spawn)
        super().run()

    def spawn(self) -> None:
        self.schedule.every().hour.name("spawned").do(jobs.cleanup)
        self.should_exit = True


class Layered(Scheduler):
    def run(self) -> None:
        self.schedule.every().hour.name("base").do(jobs.cleanup)
        super().run()


class Child(Layered):
    def run(self) -> None:
        self.schedule.every().hour.name("child").do(jobs.cleanup)
        super().run()


def test_a_run_that_never_calls_super_run_is_reported(log, clock):
    with pytest.raises(SchedulerError) as error:
        Forgetful(log=log, clock=clock).run()
    assert "Forgetful.run() returned without calling super().run()" in str(error.value)
    assert "1 job(s) never ran" in str(error.value)


def test_a_job_registered_after_the_loop_ended_is_refused(log, clock):
    with pytest.raises(SchedulerError, match="registered after super\\(\\).run\\(\\) returned"):
        Late(log=log, clock=clock).run()


def test_a_job_registered_while_running_is_reported(log, clock):
    Dynamic(log=log, clock=clock).run()
    assert log.find("Job spawned was registered while the scheduler was running", logging.WARNING)


def test_collect_registers_jobs_without_starting_the_loop(log, clock):
    scheduler = Child(log=log, clock=clock)
    assert [job.id for job in scheduler.collect()] == ["child", "base"]
    assert not log.find("Scheduler starting")


def test_subclasses_of_subclasses_are_checked_once(log, clock):
    scheduler = Child(log=log, clock=clock)
    scheduler.should_exit = True
    scheduler.run()
    assert log.find("Scheduler starting: 2 job(s)")


def test_run_until_reports_a_job_registered_while_running(log, clock):
    import datetime as dt

    from equipment.Scheduler.Testing import run_until

    run_until(Dynamic(log=log, clock=clock), dt.timedelta(seconds=2))
    assert log.find("Job spawned was registered while the scheduler was running", logging.WARNING)
