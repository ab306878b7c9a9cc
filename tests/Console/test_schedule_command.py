"""`equipment schedule list|plan` on a small project written to tmp_path."""

from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from equipment.Console.Cli import cli
from equipment.Console.NewCommand import create_project
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



#: `schedule plan` over 2026-03-29 in Madrid: the first five columns of each line.
MADRID_SPRING_DAY = [
    ["2026-03-29", "01:00:00", "CET", "2026-03-29T00:00:00Z", "sync"],
    ["--", "Europe/Madrid:", "clocks", "go", "forward"],
    ["2026-03-29", "03:00:00", "CEST", "2026-03-29T01:00:00Z", "nightly-report"],
    ["2026-03-29", "06:00:00", "CEST", "2026-03-29T04:00:00Z", "sync"],
    ["2026-03-29", "10:00:00", "CEST", "2026-03-29T08:00:00Z", "sync"],
    ["2026-03-29", "14:00:00", "CEST", "2026-03-29T12:00:00Z", "sync"],
    ["2026-03-29", "18:00:00", "CEST", "2026-03-29T16:00:00Z", "sync"],
    ["2026-03-29", "22:00:00", "CEST", "2026-03-29T20:00:00Z", "sync"],
]


def write_app(folder: Path, monkeypatch: pytest.MonkeyPatch, source: str) -> Path:
    """A project whose `app/__init__.py` is `source`, as the working directory."""
    (folder / "app").mkdir()
    (folder / "app" / "__init__.py").write_text(textwrap.dedent(source))
    monkeypatch.chdir(folder)
    return folder


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return write_app(tmp_path, monkeypatch, PROJECT)


def invoke(*args: str):
    return CliRunner().invoke(schedule, list(args))


def test_list_prints_each_job_with_zone_and_next_run_local_and_utc(project):
    result = invoke("list")

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "Scheduler time zone: Europe/Madrid; 3 job(s); state: memory"
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
        "OUTCOME",
        "PAUSED",
    ]
    by_id = {line.split()[0]: line for line in lines[2:]}
    assert set(by_id) == {"nightly-report", "sync", "standup"}
    assert "every day at 02:30:00 (Europe/Madrid)" in by_id["nightly-report"]
    assert "2026-03-29 03:00:00 CEST (2026-03-29T01:00:00Z) if started now" in by_id[
        "nightly-report"
    ]  # no scheduler has anchored its grid yet
    assert "2026-03-30 09:00:00 EDT (2026-03-30T13:00:00Z)" in by_id["standup"]
    assert "America/New_York" in by_id["standup"]
    assert by_id["sync"].rstrip().endswith("never")


STATEFUL_PROJECT = '''
import datetime as dt

from equipment.Scheduler.Clock import FakeClock
from equipment.Scheduler.Scheduler import Scheduler

START = dt.datetime(2026, 3, 28, 12, tzinfo=dt.timezone.utc)


def fine():
    pass


def broken():
    raise ValueError("the report server said no")


class Jobs(Scheduler):
    def run(self):
        self.schedule.every(10).minutes.name("fine").do(fine)
        self.schedule.every(10).minutes.name("broken").do(broken)
        super().run()


class App:
    def __init__(self, base_path):
        self.base_path = base_path

    @classmethod
    def make(cls, base_path):
        return cls(base_path)

    def scheduler(self, minutes=0):
        settings = {"timezone": "UTC", "state": "sqlite", "state_path": "storage/state.db"}
        clock = FakeClock(START + dt.timedelta(minutes=minutes))
        return Jobs(clock=clock, settings=settings)
'''


def test_list_shows_each_jobs_last_run_and_outcome_from_the_state(tmp_path, monkeypatch):
    from equipment.Console.AppLoader import load_app
    from equipment.Scheduler.Testing import run_until

    write_app(tmp_path, monkeypatch, STATEFUL_PROJECT)
    scheduler = load_app("app:App", tmp_path).scheduler()
    run_until(scheduler, dt.timedelta(minutes=25))  # two runs each, the second at 12:20
    scheduler.state.close()

    result = invoke("list")

    assert result.exit_code == 0, result.output
    by_id = {line.split()[0]: line for line in result.output.splitlines()[2:]}
    assert "2026-03-28 12:20:00 UTC" in by_id["fine"]
    assert "if started now" not in by_id["fine"]  # its grid is stored
    assert "success in" in by_id["fine"]
    assert "failure: ValueError: the report server said no (2 failures in a row)" in by_id["broken"]
    assert "state: " + str(tmp_path / "storage" / "state.db") in result.output


def test_list_tells_a_skip_with_its_own_instant_and_reason_beside_the_last_run(
    tmp_path, monkeypatch
):
    from equipment.Console.AppLoader import load_app
    from equipment.Scheduler.Testing import run_until

    write_app(tmp_path, monkeypatch, STATEFUL_PROJECT)
    scheduler = load_app("app:App", tmp_path).scheduler()
    run_until(scheduler, dt.timedelta(minutes=15))  # runs at 12:00 and 12:10
    scheduler.state.set_paused("fine", True, scheduler.clock.now())
    run_until(scheduler, dt.timedelta(minutes=10))  # 12:20 is skipped: paused
    scheduler.state.close()

    result = invoke("list")

    assert result.exit_code == 0, result.output
    by_id = {line.split()[0]: line for line in result.output.splitlines()[2:]}
    assert (
        "2026-03-28 12:10:00 UTC (2026-03-28T12:10:00Z)  "
        "skipped (paused) at 2026-03-28 12:20:00 UTC (2026-03-28T12:20:00Z)"
    ) in by_id["fine"]
    assert "since 2026-03-28 12:15:00 UTC" in by_id["fine"]


WINDOWED_PROJECT = STATEFUL_PROJECT.replace(
    'self.schedule.every(10).minutes.name("fine").do(fine)',
    'self.schedule.every(10).minutes.until(dt.timedelta(minutes=30)).name("fine").do(fine)',
).replace(
    "def scheduler(self, minutes=0):",
    "def scheduler(self, minutes=None):\n"
    "        import os\n"
    "        minutes = int(os.environ.get('MINUTES', 0)) if minutes is None else minutes",
)


def test_list_shows_an_until_deadline_beside_the_schedule(tmp_path, monkeypatch):
    write_app(tmp_path, monkeypatch, STATEFUL_PROJECT.replace(
        'every(10).minutes.name("fine")', 'every(10).minutes.until("2026-04-01 00:00").name("fine")'
    ))

    result = invoke("list")

    by_id = {line.split()[0]: line for line in result.output.splitlines()[2:]}
    assert "every 10 minutes, until 2026-04-01 00:00:00 UTC (2026-04-01T00:00:00Z)" in by_id["fine"]
    assert "until" not in by_id["broken"]


@pytest.mark.parametrize(
    ("minutes", "beats", "next_run"),
    [
        # The scheduler that opened the window at 12:00 runs on; it closed at 12:30.
        (45, True, "none: its until() window closed at 2026-03-28 12:30:00 UTC"),
        # ...its window (stored as closing at 12:26 here) closes before the next, 12:30.
        (25, True, "none: its until() window closes at 2026-03-28 12:26:00 UTC"),
        (15, True, "2026-03-28 12:20:00 UTC (2026-03-28T12:20:00Z)  2026-03-28 12:10"),
        # No scheduler runs: a start now opens a window of its own.
        (45, False, "2026-03-28 12:50:00 UTC (2026-03-28T12:50:00Z) if started now"),
    ],
)
def test_list_tells_an_until_timedelta_jobs_next_run_in_the_running_schedulers_window(
    tmp_path, monkeypatch, minutes, beats, next_run
):
    from equipment.Console.AppLoader import load_app
    from equipment.Scheduler.State.StateStore import ProcessInfo
    from equipment.Scheduler.Testing import run_until

    write_app(tmp_path, monkeypatch, WINDOWED_PROJECT)
    scheduler = load_app("app:App", tmp_path).scheduler(minutes=0)
    run_until(scheduler, dt.timedelta(minutes=minutes))
    if minutes == 25:
        scheduler.state.open_windows({"fine": scheduler.clock.now() + dt.timedelta(minutes=1)})
    if beats:
        now = scheduler.clock.now()
        scheduler.state.heartbeat(ProcessInfo("elsewhere", 4321, now, now))
    scheduler.state.close()
    monkeypatch.setenv("MINUTES", str(minutes))

    result = invoke("list")

    assert result.exit_code == 0, result.output
    by_id = {line.split()[0]: line for line in result.output.splitlines()[2:]}
    assert next_run in by_id["fine"]


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
    assert body == MADRID_SPRING_DAY
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
        (["list", "--app", "app:dt"], "error: app:dt is a module, not the container: name"),
        (["plan", "--from", "2026-03-29", "--until", "2026-03-28"], "before it starts"),
        (["plan", "--hours", "nan"], "error: --hours must be more than 0 and finite, got nan"),
        (["plan", "--hours", "inf"], "error: --hours must be more than 0 and finite, got inf"),
        (["plan", "--hours", "-3"], "error: --hours must be more than 0 and finite, got -3"),
        (["plan", "--hours", "1e9"], "error: --hours 1e9 is more than 8784 (366 days)"),
        (["plan", "--hours", "a day"], "error: --hours 'a day' is not a number of hours"),
        (
            ["plan", "--from", "9999-12-31T23:00"],
            "error: 24 hours after 9999-12-31 is past the year 9999",
        ),
        (
            ["plan", "--from", "9999-12-30T00:00"],
            "error: the window's end (9999-12-30 23:00) is too late",
        ),
        (
            ["plan", "--from", "0001-01-01T00:00+05:00"],
            "error: --from '0001-01-01T00:00+05:00' is out of range",
        ),
        (  # year 1 in UTC is year 0 for a job in New York
            ["plan", "--from", "0001-01-01"],
            "error: --from '0001-01-01' is out of range: a window must lie between the years 2",
        ),
        (["plan", "--until", "9999-06-01T00:00"], "error: --until 9999-06-01T00:00 is too late"),
        (["plan", "--from", "2027-01-01", "--until", "2028-06-01"], "longer than 366 days"),
        (
            ["plan", "--from", "2027-01-01T00:00+05:00", "--until", "2027-01-01T00:00+06:00"],
            "error: --until 2027-01-01T00:00+06:00 is not after --from 2027-01-01T00:00+05:00",
        ),
        (["plan", "--until", "2026-03-28T10:00"], "is not after now (2026-03-28 12:00)"),
        (["plan", "--hours", "2", "--until", "2026-03-29"], "error: --hours and --until both"),
        (
            ["plan", "--job", "nightly"],
            "error: --job 'nightly' matches no job (the jobs: nightly-report, standup, sync)",
        ),
        (["plan", "--limit", "0"], "error: --limit must be at least 1, got 0"),
        (["plan", "--limit", "ten"], "error: --limit 'ten' is not a whole number"),
        (["plan", "--collapse", "-1"], "error: --collapse must be at least 0, got -1"),
    ],
)
def test_mistakes_are_one_line_and_exit_2(project, args, message):
    result = CliRunner().invoke(schedule, args)

    assert result.exit_code == 2
    assert result.stdout == ""
    assert message in result.stderr
    assert len(result.stderr.splitlines()) == 1


def test_app_naming_a_scripts_entry_point_is_refused_without_running_it(project):
    (project / "app" / "script.py").write_text(
        "from equipment.Console.Entrypoint import entrypoint\n\n\n"
        "@entrypoint\n"
        "def main():\n"
        "    raise RuntimeError('the script ran')\n"
    )

    result = CliRunner().invoke(schedule, ["list", "--app", "app.script:main"])

    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "error: app.script:main is a script's entry point, and calling it would run the "
        "script: name the container instead (e.g. app:App)"
    ]


def test_no_app_module_is_one_line_and_exit_2(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)

    result = CliRunner().invoke(schedule, ["list"])

    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"error: no module 'app' in {tmp_path.resolve()}: run this in the project's root or "
        "pass --app module:factory (looked for app:App)"
    ]


BUSY = PROJECT.replace(
    "        super().run()",
    """        self.schedule.every().second.name("tick").do(report)
        self.schedule.every(1).to(3).minutes.name("poll").do(report)
        super().run()""",
)


@pytest.fixture
def busy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return write_app(tmp_path, monkeypatch, BUSY)


def test_a_busy_job_is_one_line_and_the_rest_show_in_full_across_dst(busy):
    result = invoke("plan", "--from", "2026-03-28T22:00", "--until", "2026-03-30T00:00")

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    # 26 hours of local time are 25 real hours (clocks go forward): 90,000 seconds
    assert lines[0].startswith("more than") is False
    assert (
        lines[1]
        == "2 job(s) with more than 100 runs each, summed up (--job ID lists a job's runs):"
    )
    assert lines[2].split() == [
        "tick",
        "every",
        "second",
        "90,000",
        "runs",
        "from",
        "2026-03-28",
        "22:00:00",
        "CET",
        "to",
        "2026-03-29",
        "23:59:59",
        "CEST",
    ]
    assert lines[3].split()[:7] == ["poll", "every", "1", "to", "3", "minutes", "about"]
    assert lines[4].split() == ["LOCAL", "UTC", "JOB", "SCHEDULE"]
    body = [line.split()[:5] for line in lines[5:]]
    assert body == MADRID_SPRING_DAY
    total = 90_000 + 7 + int(lines[3].split()[7].replace(",", ""))
    assert lines[0].startswith(f"{total:,} run(s) from 2026-03-28 22:00:00 CET")


def test_job_shows_a_busy_job_in_full_up_to_the_limit(busy):
    result = invoke(
        "plan",
        "--job",
        "tick",
        "--job",
        "night*",
        "--limit",
        "3",
        "--from",
        "2026-03-29T01:59:59",
        "--until",
        "2026-03-29T03:00:02",
    )

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("4 run(s) from 2026-03-29 01:59:59 CET")
    assert [line.split()[:5] for line in lines[2:-1]] == [
        ["2026-03-29", "01:59:59", "CET", "2026-03-29T00:59:59Z", "tick"],
        ["--", "Europe/Madrid:", "clocks", "go", "forward"],
        [
            "2026-03-29",
            "03:00:00",
            "CEST",
            "2026-03-29T01:00:00Z",
            "nightly-report",
        ],  # registered first
        ["2026-03-29", "03:00:00", "CEST", "2026-03-29T01:00:00Z", "tick"],
    ]
    assert lines[-1] == "... and 1 more run (narrow with --job or a shorter window)"


def test_collapse_and_limit_are_options(busy):
    result = invoke("plan", "--hours", "1", "--collapse", "100000", "--limit", "2")

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert [line.split()[4] for line in lines[2:4]] == ["tick", "tick"]
    assert lines[4].startswith("... and ")
    assert len(lines) == 5


@pytest.fixture
def generated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project as `equipment new demo` writes it: its scheduler has a 1 s and a 5 s job."""
    for variable in [name for name in __import__("os").environ if name.startswith("SCHEDULER_")]:
        monkeypatch.delenv(variable)
    folder = create_project("demo", tmp_path / "demo")
    monkeypatch.chdir(folder)
    return folder


def test_the_generated_project_plans_48_hours(generated):
    result = CliRunner().invoke(cli, ["schedule", "plan", "--hours", "48"])

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("207,360 run(s) from ")
    assert lines[1].startswith("2 job(s) with more than 100 runs each")
    assert "every second     172,800 runs  from " in lines[2]
    assert "every 5 seconds   34,560 runs  from " in lines[3]
    assert len(lines) == 4


def test_the_generated_project_plans_a_fixed_window_and_one_job_in_full(generated):
    # The project's jobs start on the real clock: a 60-hour window a month ahead is covered.
    start = dt.datetime.now(dt.UTC).date() + dt.timedelta(days=30)
    until = start + dt.timedelta(days=2)
    window = ["--from", f"{start}T00:00Z", "--until", f"{until}T12:00Z"]

    result = CliRunner().invoke(cli, ["schedule", "plan", *window])
    assert result.exit_code == 0, result.output
    first = result.output.splitlines()[0]
    assert first.startswith("259,200 run(s) from ") and f"({start}T00:00:00Z)" in first

    result = CliRunner().invoke(cli, ["schedule", "plan", *window, "--job", "*every-5-*"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("43,200 run(s) from ") and f"({start}T00:00:00Z)" in lines[0]
    assert len(lines) == 2 + 500 + 1
    assert lines[-1] == "... and 42,700 more runs (narrow with --job or a shorter window)"


def test_an_empty_window_before_every_first_run_says_so(project):
    result = invoke("plan", "--from", "2026-03-28T13:30", "--until", "2026-03-28T14:30")

    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[:2] == [
        "0 run(s) from 2026-03-28 13:30:00 CET (2026-03-28T12:30:00Z) to "
        "2026-03-28 14:30:00 CET (2026-03-28T13:30:00Z)",
        "The window ends before the first run of every job: the earliest first run (sync) is "
        "at 2026-03-28 17:00:00 CET (2026-03-28T16:00:00Z).",
    ]


def test_an_empty_window_before_the_chosen_jobs_first_run_says_when_it_is(project):
    result = invoke("plan", "--job", "standup", "--from", "2026-03-29T00:00", "--hours", "12")

    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[1] == (
        "The window ends before the first run of the chosen job: its first run is at "
        "2026-03-30 15:00:00 CEST (2026-03-30T13:00:00Z)."
    )


def test_an_empty_window_between_runs_gives_no_such_reason(project):
    result = invoke("plan", "--job", "nightly-report", "--from", "2026-03-29T12:00", "--hours", "1")

    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0].startswith("0 run(s)")
    assert "first run" not in result.output
