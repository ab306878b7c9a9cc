import datetime as dt
import logging
import re

import pytest

from equipment.Errors import ConfigError, EquipmentError
from equipment.Scheduler.Errors import IntervalError, ScheduleValueError
from equipment.Scheduler.Scheduler import Scheduler
from equipment.Scheduler.Testing import run_until
from tests.Scheduler import jobs


def ticks():
    yield "never runs"


async def async_ticks():
    yield "never runs"


@pytest.mark.parametrize(
    ("register", "message"),
    [
        (
            lambda s: s.every(5).minutes.do(ticks),
            "do(ticks) on every(5).minutes: it is a generator function (it has `yield`), so "
            "calling it runs none of its body; make it a plain function, or pass one that "
            "consumes it (lambda: list(ticks()))",
        ),
        (
            lambda s: s.every().hour.do(async_ticks, 1),
            "do(async_ticks) on every(1).hours: it is a generator function (it has `yield`), "
            "so calling it runs none of its body; make it a plain function, or pass one that "
            "consumes it",
        ),
        (
            lambda s: s.every(0).seconds.do(jobs.cleanup),
            "every(0): the interval must be a positive",
        ),
        (lambda s: s.every(-1).minutes.do(jobs.cleanup), "every(-1): the interval must be"),
        (
            lambda s: s.every(5).to(3).minutes.do(jobs.cleanup),
            "to(3) must not be below the interval 5",
        ),
        (
            lambda s: s.every().day.at("25:00").do(jobs.cleanup),
            "at('25:00') on every(1).days: not a valid",
        ),
        (lambda s: s.every(10).seconds.at("10:00"), "cannot be used on every(10).seconds"),
        (
            lambda s: s.every().day.at("03:00", "Mars/Olympus").do(jobs.cleanup),
            "unknown time zone 'Mars/Olympus'",
        ),
        (lambda s: s.every().hour.do(jobs.cleanup()), "needs a callable, got None"),
        (lambda s: s.every(3).do(jobs.cleanup), "choose a unit"),
        (
            lambda s: s.every().hour.name("report\nERROR forged line").do(jobs.cleanup),
            "name('report\\nERROR forged line') has a character that is not printable "
            "('\\n'): a job ID is shown in log lines",
        ),
        (
            lambda s: s.every().hour.name("\u202ereport").do(jobs.cleanup),
            "name('\\u202ereport') has a character that is not printable ('\\u202e')",
        ),
        (
            lambda s: s.every().hour.name("report\u200d").do(jobs.cleanup),
            "name('report\\u200d') has a character that is not printable ('\\u200d')",
        ),
        (
            lambda s: s.every().hour.name("a \u200cb").do(jobs.cleanup),
            "name('a \\u200cb') has a character that is not printable ('\\u200c')",
        ),
    ],
)
def test_bad_schedules_are_refused_at_registration_with_a_clear_message(
    scheduler, register, message
):
    with pytest.raises(ScheduleValueError) as error:
        register(scheduler.schedule)
    assert message in str(error.value)
    assert isinstance(error.value, EquipmentError)
    assert scheduler.schedule.jobs == []


def test_interval_errors_are_also_schedules_own_error_types(scheduler):
    import schedule

    with pytest.raises(schedule.IntervalError):
        scheduler.schedule.every(0).seconds.do(jobs.cleanup)
    assert issubclass(IntervalError, schedule.ScheduleValueError)


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"max_sleep": "abc"}, "scheduler.max_sleep must be a number of seconds, got 'abc'"),
        ({"max_sleep": 0}, "scheduler.max_sleep must be between 0.1 and 86400 seconds"),
        ({"max_sleep": "-1"}, "scheduler.max_sleep must be between 0.1 and 86400 seconds"),
        ({"max_sleep": 86401}, "scheduler.max_sleep must be between 0.1 and 86400 seconds"),
        # Accepted, 1e-9 made an idle loop spin at 15% of a CPU.
        ({"max_sleep": "1e-9"}, "scheduler.max_sleep must be between 0.1 and 86400 seconds"),
        ({"max_sleep": 0.09}, "scheduler.max_sleep must be between 0.1 and 86400 seconds"),
        ({"shutdown_grace": "-1"}, "scheduler.shutdown_grace must be between 0 and 86400 seconds"),
        ({"shutdown_grace": "1e12"}, "scheduler.shutdown_grace must be between 0 and 86400"),
        ({"max_sleep": True}, "scheduler.max_sleep must be a number of seconds, got True"),
        ({"shutdown_grace": False}, "scheduler.shutdown_grace must be a number of seconds, got"),
        ({"history_days": 0}, "scheduler.history_days must be more than 0 and at most 36600 days"),
        ({"history_days": "x"}, "scheduler.history_days must be a number of days, got 'x'"),
        (
            {"max_slep": 3},
            "scheduler.yaml: unknown key 'max_slep' (known keys: background_threads, catch_up_all",
        ),
        (
            {"timezone": "Europe/Atlantis"},
            "scheduler.timezone: unknown time zone 'Europe/Atlantis'",
        ),
    ],
)
def test_bad_settings_name_their_key(settings, message):
    with pytest.raises(ConfigError) as error:
        Scheduler(settings=settings)
    assert message in str(error.value)


def test_settings_from_strings_are_converted():
    scheduler = Scheduler(
        settings={"timezone": " Europe/Madrid ", "max_sleep": "2.5", "shutdown_grace": "10"}
    )
    assert scheduler.settings.max_sleep == 2.5
    assert Scheduler(settings={"max_sleep": "0.1"}).settings.max_sleep == 0.1
    assert scheduler.settings.shutdown_grace == 10.0
    assert scheduler.schedule.zone.key == "Europe/Madrid"


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"catch_up_within": "-5"}, "scheduler.catch_up_within must be between 0 and 31622400"),
        ({"catch_up_within": "1e12"}, "scheduler.catch_up_within must be between 0 and 31622400"),
        ({"catch_up_all": "perhaps"}, "scheduler.catch_up_all"),
        ({"state": "postgres"}, "scheduler.state must be one of memory, sqlite; got 'postgres'"),
    ],
)
def test_bad_state_and_catch_up_settings_name_their_key(settings, message):
    from equipment.Errors import ConfigError
    from equipment.Scheduler.Settings import SchedulerSettings

    with pytest.raises(ConfigError, match=re.escape(message)):
        SchedulerSettings.from_config(settings)


def test_a_negative_until_span_names_the_job(scheduler):
    with pytest.raises(ScheduleValueError) as caught:
        scheduler.schedule.every(2).seconds.name("report").until(dt.timedelta(seconds=-5))

    assert str(caught.value) == (
        "until(datetime.timedelta(days=-1, seconds=86395)) on every(2).seconds "
        "(job 'report'): a negative span, so the job would never run"
    )


@pytest.mark.parametrize(
    "until",
    [dt.timedelta.max, dt.timedelta(days=3_000_000), dt.datetime.max, "9999-06-01 00:00"],
    ids=["timedelta.max", "3 million days", "datetime.max", "year 9999"],
)
def test_a_deadline_past_the_year_9998_is_one_clear_error(scheduler, until):
    with pytest.raises(ScheduleValueError) as caught:
        scheduler.schedule.every().day.name("report").until(until)

    assert str(caught.value).endswith(
        "a deadline must come before the year 9999 (leave until() out for a job without one)"
    )


def test_a_job_left_without_do_is_named_at_start_and_the_others_run(clock, log):
    class Forgetful(Scheduler):
        def run(self) -> None:
            self.schedule.every().day.at("03:00")  # .do() forgotten: upstream is silent
            self.schedule.cron("0 4 * * *")
            self.schedule.every().hour.do(print)
            super().run()

    scheduler = Forgetful(log=log, clock=clock, settings={"timezone": "UTC"})
    scheduler.collect()

    assert [job.describe() for job in scheduler.schedule.jobs] == ["every hour"]
    assert [line.message for line in log.find("has no .do(...)", logging.WARNING)] == [
        "A job built with every(1).days has no .do(...), so it never runs: end it with "
        ".do(function)",
        "A job built with cron 0 4 * * * (UTC) has no .do(...), so it never runs: end it "
        "with .do(function)",
    ]


def test_at_given_twice_is_refused_where_schedule_kept_the_last(scheduler):
    with pytest.raises(ScheduleValueError) as caught:
        scheduler.schedule.every().day.at("03:00").at("04:00")

    assert str(caught.value) == (
        "at('04:00') on every(1).days: at() is given once per job (register a job for each time)"
    )


def test_a_bad_queue_name_given_by_a_job_run_names_the_job_not_a_line_of_the_caller(
    scheduler, log
):
    # Equipment calls queue.on here, not a line of the test: the run's line names the job.
    scheduler.schedule.every(1).seconds.name("bad-queue").do(scheduler.queue.on, "")

    [record] = run_until(scheduler, dt.timedelta(seconds=1, microseconds=1))

    assert str(record.error) == "a queue name must be a non-empty string, got ''"
    assert log.find("Job bad-queue failed", logging.ERROR)


def test_a_push_a_job_run_makes_is_refused_naming_its_run_not_a_line(scheduler, log):
    job = scheduler.schedule.every(1).seconds.name("no-time")
    job.do(scheduler.queue.push, print, job_timeout=0)

    run_until(scheduler, dt.timedelta(seconds=1, microseconds=1))

    [refused] = log.find("Refused to run", logging.ERROR)
    assert refused.message == (
        "Refused to run builtins.print: job_timeout must be whole seconds from 1 to 604800 "
        "(a week), got 0"
    )
    assert refused.extra["run_id"].startswith("no-time@")


@pytest.mark.parametrize(
    "name",
    [
        "café ünïcode",
        "日本語 job",
        "\U0001f680 deploy",
        "\u0645\u06cc\u200c\u0634\u0648\u062f",  # Persian, with its zero-width non-joiner
        "\u0915\u094d\u200d\u0937",  # Devanagari, with a zero-width joiner
        "family \U0001f468\u200d\U0001f469\u200d\U0001f467",  # an emoji ZWJ sequence
    ],
)
def test_a_name_in_any_script_or_with_an_emoji_sequence_is_accepted(scheduler, name):
    """Zero-width joiners and non-joiners are part of how Persian and the Indic scripts
    write words and of emoji sequences: between two visible characters they are kept."""
    job = scheduler.schedule.every().hour.name(name).do(jobs.cleanup)
    assert job.id == name
