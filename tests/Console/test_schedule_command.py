"""`equipment schedule list|plan` on a small project written to tmp_path."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from equipment.Console.ScheduleCommand import schedule

PROJECT = '''
import datetime as dt

from equipment.Scheduler.Clock import FakeClock
from equipment.Scheduler.Scheduler import Scheduler


def report():
    raise RuntimeError("plan and list must not run jobs")


class Jobs(Scheduler):
    def run(self):
        self.schedule.every().day.at("02:30").name("nightly-report").do(report)
        self.schedule.every(4).hours.name("sync").do(report)
        self.schedule.cron("0 9 * * mon-fri", "America/New_York").name("standup").do(report)
        super().run()


class App:
    """A container as small as possible: make(base_path) and a scheduler provider."""

    def __init__(self, base_path):
        self.base_path = base_path

    @classmethod
    def make(cls, base_path):
        return cls(base_path)

    def scheduler(self):
        clock = FakeClock(dt.datetime(2026, 3, 28, 12, tzinfo=dt.timezone.utc))
        return Jobs(clock=clock, settings={"timezone": "Europe/Madrid"})
'''


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "__init__.py").write_text(textwrap.dedent(PROJECT))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def invoke(*args: str):
    return CliRunner().invoke(schedule, list(args))


def test_list_prints_each_job_with_zone_and_next_run_local_and_utc(project):
    result = invoke("list")

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "Scheduler time zone: Europe/Madrid; 3 job(s)"
    assert lines[1].split() == [
        "ID",
        "SCHEDULE",
        "ZONE",
        "NEXT",
        "RUN",
        "(LOCAL,",
        "UTC)",
        "LAST",
        "RUN",
    ]
    by_id = {line.split()[0]: line for line in lines[2:]}
    assert set(by_id) == {"nightly-report", "sync", "standup"}
    assert "every day at 02:30:00 (Europe/Madrid)" in by_id["nightly-report"]
    assert "2026-03-29 03:00:00 CEST (2026-03-29T01:00:00Z)" in by_id["nightly-report"]
    assert "2026-03-30 09:00:00 EDT (2026-03-30T13:00:00Z)" in by_id["standup"]
    assert "America/New_York" in by_id["standup"]
    assert by_id["sync"].rstrip().endswith("unknown")


def test_plan_prints_every_run_in_order_across_a_dst_day(project):
    result = invoke("plan", "--from", "2026-03-28T22:00", "--until", "2026-03-30T00:00")

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == (
        "7 run(s) from 2026-03-28 22:00:00 CET (2026-03-28T21:00:00Z) to "
        "2026-03-30 00:00:00 CEST (2026-03-29T22:00:00Z)"
    )
    assert lines[1].split() == ["LOCAL", "UTC", "JOB", "SCHEDULE"]
    body = [line.split()[:5] for line in lines[2:]]
    assert body == [
        ["2026-03-29", "01:00:00", "CET", "2026-03-29T00:00:00Z", "sync"],
        ["--", "Europe/Madrid:", "clocks", "go", "forward"],
        ["2026-03-29", "03:00:00", "CEST", "2026-03-29T01:00:00Z", "nightly-report"],
        ["2026-03-29", "06:00:00", "CEST", "2026-03-29T04:00:00Z", "sync"],
        ["2026-03-29", "10:00:00", "CEST", "2026-03-29T08:00:00Z", "sync"],
        ["2026-03-29", "14:00:00", "CEST", "2026-03-29T12:00:00Z", "sync"],
        ["2026-03-29", "18:00:00", "CEST", "2026-03-29T16:00:00Z", "sync"],
        ["2026-03-29", "22:00:00", "CEST", "2026-03-29T20:00:00Z", "sync"],
    ]
    assert "(01:59:59 CET is followed by 03:00:00 CEST)" in lines[3]


def test_plan_hours_starts_now(project):
    result = invoke("plan", "--hours", "6")

    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0].startswith(
        "1 run(s) from 2026-03-28 13:00:00 CET (2026-03-28T12:00:00Z)"
    )


def test_app_option_loads_another_layout(tmp_path, monkeypatch):
    (tmp_path / "services").mkdir()
    (tmp_path / "services" / "container.py").write_text(textwrap.dedent(PROJECT))
    monkeypatch.chdir(tmp_path)

    result = invoke("list", "--app", "services.container:App")

    assert result.exit_code == 0, result.output
    assert "nightly-report" in result.output


def test_a_project_using_the_equipment_container(tmp_path, monkeypatch):
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "__init__.py").write_text(
        textwrap.dedent("""
        from dependency_injector import providers
        from equipment.Equipment import Equipment
        from equipment.Scheduler.Scheduler import Scheduler


        class Jobs(Scheduler):
            def run(self):
                self.schedule.every().day.at("03:00").name("backup").do(print)
                super().run()


        class App(Equipment):
            scheduler = providers.ThreadSafeSingleton(
                Jobs, log=Equipment.log, settings=Equipment.scheduler_settings
            )
    """)
    )
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "scheduler.yaml").write_text("timezone: America/New_York\n")
    monkeypatch.chdir(tmp_path)

    result = invoke("plan", "--from", "2040-11-03T00:00", "--until", "2040-11-06T00:00")

    assert result.exit_code == 0, result.output
    assert "2040-11-04 03:00:00 EST  2040-11-04T08:00:00Z  backup" in result.output
    assert "-- America/New_York: clocks go back 1:00:00" in result.output


@pytest.mark.parametrize(
    "args, message",
    [
        (["plan", "--from", "next tuesday"], "error: --from 'next tuesday' is not an ISO 8601"),
        (["plan", "--until", "2026-13-01"], "error: --until '2026-13-01' is not an ISO 8601"),
        (["plan", "--hours", "0"], "error: --hours must be more than 0"),
        (["list", "--app", "app"], "error: --app must look like module:factory"),
        (["list", "--app", "app:Missing"], "error: app:Missing: module 'app' has no attribute"),
        (["plan", "--from", "2026-03-29", "--until", "2026-03-28"], "before it starts"),
    ],
)
def test_mistakes_are_one_line_and_exit_2(project, args, message):
    result = CliRunner().invoke(schedule, args)

    assert result.exit_code == 2
    assert result.stdout == ""
    assert message in result.stderr
    assert len(result.stderr.splitlines()) == 1


def test_no_app_module_is_one_line_and_exit_2(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)

    result = CliRunner().invoke(schedule, ["list"])

    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"error: no module 'app' in {tmp_path.resolve()}: run this in the project's root or "
        "pass --app module:factory (looked for app:App)"
    ]
