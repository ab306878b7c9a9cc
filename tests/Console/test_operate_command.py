"""`equipment schedule run|pause|resume|health|history|why` against a project whose state is a
SQLite file that a scheduler (driven on a fake clock, in this process) wrote: a DST day in
Madrid, a paused job, a failing job, and a day with no scheduler running."""

from __future__ import annotations

import datetime as dt
import json
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from equipment.Console.Cli import cli
from equipment.Scheduler.Clock import FakeClock
from equipment.Scheduler.State.SqliteStateStore import SqliteStateStore
from equipment.Scheduler.State.StateStore import ProcessInfo
from equipment.Scheduler.Testing import run_until
from tests.Console.one_job_project import write_one_job_project

UTC = dt.UTC
A_STARTS = dt.datetime(2026, 3, 28, 12, 0, tzinfo=UTC)
A_STOPS = dt.datetime(2026, 3, 29, 12, 0, tzinfo=UTC)  # then nothing runs for a day
NOW = dt.datetime(2026, 3, 30, 12, 0, tzinfo=UTC)

PROJECT = '''
import datetime as dt
import os

from equipment.Scheduler.Clock import FakeClock
from equipment.Scheduler.Scheduler import Scheduler


def work():
    return None


def flaky():
    raise RuntimeError("database is gone\\nsecond line")


class Jobs(Scheduler):
    def run(self):
        self.schedule.every().day.at("02:30").name("nightly").do(work)
        self.schedule.every().day.at("04:00").name("flaky").do(flaky)
        self.schedule.every(4).hours.name("sync").do(work)
        super().run()


class App:
    def __init__(self, base_path):
        self.base_path = base_path

    @classmethod
    def make(cls, base_path):
        return cls(base_path)

    def scheduler(self):
        now = dt.datetime.fromisoformat(os.environ["OPERATE_NOW"])
        settings = {"timezone": "Europe/Madrid", "state": "sqlite",
                    "state_path": os.environ["OPERATE_STATE"]}
        return Jobs(clock=FakeClock(now), settings=settings)
'''


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "__init__.py").write_text(textwrap.dedent(PROJECT))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("OPERATE_STATE", str(tmp_path / "state.sqlite3"))
    monkeypatch.setenv("OPERATE_NOW", NOW.isoformat())
    return tmp_path


def scheduler_at(now: dt.datetime):
    """The project's scheduler, as its own process would build it, on a fake clock."""
    from equipment.Console.AppLoader import load_app

    scheduler = load_app("app:App", Path.cwd()).scheduler()
    scheduler.clock = FakeClock(now)
    scheduler.schedule.clock = scheduler.clock
    scheduler.schedule.dispatcher.clock = scheduler.clock
    scheduler.schedule.dispatcher.runner.clock = scheduler.clock
    scheduler._presence.clock = scheduler.clock
    return scheduler


@pytest.fixture
def history(project: Path) -> Path:
    """Scheduler A runs a day over the spring-forward night with sync paused, then stops."""
    state = SqliteStateStore(project / "state.sqlite3")
    state.set_paused("sync", True, A_STARTS)
    state.close()
    scheduler = scheduler_at(A_STARTS)
    scheduler.collect()
    scheduler.schedule.sync_state()
    scheduler._presence.announce()
    run_until(scheduler, A_STOPS)
    scheduler._presence.leave()
    scheduler.state.close()
    return project


def invoke(*args: str):
    return CliRunner().invoke(cli, ["schedule", *args])


def test_history_shows_the_dst_run_and_the_missed_one_newest_first(history: Path) -> None:
    result = invoke("history", "nightly")

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split()[:3] == ["SCHEDULED", "OUTCOME", "REPLICA"]
    assert lines[1].startswith("2026-03-30 02:30:00 CEST") and "missed: no scheduler" in lines[1]
    assert lines[2].startswith("2026-03-29 03:00:00 CEST") and " success " in lines[2]


def test_history_shows_failures_pauses_and_json(history: Path) -> None:
    flaky = invoke("history", "flaky", "--limit", "5")
    sync = invoke("history", "sync", "--json", "--limit", "6")

    assert "failure: RuntimeError: database is gone" in flaky.output
    assert "second line" not in flaky.output
    rows = [json.loads(line) for line in sync.output.splitlines()]
    # a day without a scheduler: three missed runs listed, the later ones summed up in one
    # line (from 12:00 on the 29th: A stopped then, its window ending before that run)
    assert [row["outcome"] for row in rows[:4]] == ["missed"] * 4
    assert rows[0]["count"] == 3 and "count" not in rows[1]
    assert {row["reason"] for row in rows[4:]} == {"paused"}


def test_why_explains_the_dst_night(history: Path) -> None:
    result = invoke("why", "nightly", "--at", "2026-03-29 02:30")

    assert result.exit_code == 0, result.output
    text = result.output
    assert "2026-03-29 02:30:00 does not exist in Europe/Madrid" in text
    assert "went forward 1:00:00" in text
    assert "was due at 2026-03-29 03:00:00 CEST" in text
    assert "succeeded" in text
    assert text.rstrip().endswith(
        "coordination: none (each scheduler runs every occurrence: no leases)."
    )
    assert len(text.strip().splitlines()) == 1


def test_why_explains_a_missed_occurrence_with_the_heartbeat_evidence(history: Path) -> None:
    text = invoke("why", "nightly", "--at", "2026-03-30T02:30:00+02:00").output

    assert "It was missed: no scheduler was running" in text
    assert "The last heartbeat before it was at 2026-03-29 14:00:00 CEST" in text
    assert "no scheduler has run since" in text


def test_why_names_the_nearest_occurrences_a_pause_and_a_failure(history: Path) -> None:
    off_grid = invoke("why", "nightly", "--at", "2026-03-29 12:00").output
    paused = invoke("why", "sync", "--at", "2026-03-29 04:00").output
    failed = invoke("why", "flaky", "--at", "2026-03-29 04:00").output

    assert "No occurrence of nightly" in off_grid and "the nearest before is" in off_grid
    assert "skipped" in paused and "paused" in paused and "paused since" in paused
    assert "failed: RuntimeError: database is gone" in failed


def test_run_runs_now_and_records_it_without_moving_the_grid(history: Path) -> None:
    ok = invoke("run", "nightly")
    failed = invoke("run", "flaky")

    assert ok.exit_code == 0 and ok.output.startswith("nightly: success in ")
    assert failed.exit_code == 1 and "RuntimeError: database is gone" in failed.stdout
    state = SqliteStateStore(history / "state.sqlite3")
    (latest,) = state.history("nightly", limit=1)
    assert latest.run_id.endswith("~manual") and latest.outcome == "success"
    listed = invoke("history", "nightly", "--limit", "1").output.splitlines()[1]
    assert "manual run, success" in listed
    assert state.load()["nightly"].last_scheduled == dt.datetime(2026, 3, 29, 1, tzinfo=UTC)


def test_pause_and_resume_are_stored_and_listed(project: Path) -> None:
    assert invoke("pause", "nightly").exit_code == 0
    listed = invoke("list").output
    planned = invoke("plan", "--hours", "48").output
    assert "Paused now, so these runs are skipped unless resumed: nightly\n" in planned
    resumed = invoke("resume", "nightly")

    assert "since 2026-03-30 14:00:00 CEST" in listed
    assert resumed.output.startswith("nightly resumed: next run ")
    assert SqliteStateStore(project / "state.sqlite3").paused() == {}


@pytest.mark.parametrize(
    "args",
    [
        ["run", "nightlt"],
        ["pause", "nigthly"],
        ["resume", "nightly-x"],
        ["history", "nihgtly"],
        ["why", "nighly", "--at", "2026-03-29 02:30"],
    ],
)
def test_an_unknown_job_is_one_line_naming_the_closest(project: Path, args: list[str]) -> None:
    result = invoke(*args)

    assert result.exit_code == 2
    assert result.output.count("\n") == 1 and "closest: nightly" in result.output


@pytest.mark.parametrize(
    "args, message",
    [
        (["why", "nightly", "--at", "yesterday"], "is not a date and time"),
        (["history", "nightly", "--limit", "0"], "--limit must be at least 1"),
        (["health", "--max-age", "soon"], "--max-age 'soon' is not a number"),
        (["health", "--max-age", "1e308"], "--max-age must be more than 0 and at most"),
        (["health", "--stuck-after", "nan"], "--stuck-after must be more than 0 and at most"),
        (["history", "nightly", "--limit", "99999999999999999999"], "--limit must be at most"),
    ],
)
def test_bad_input_is_one_line(project: Path, args: list[str], message: str) -> None:
    result = invoke(*args)

    assert result.exit_code == 2 and message in result.output
    assert result.output.count("\n") == 1


def beat(project: Path, age: float, **running: object) -> None:
    state = SqliteStateStore(project / "state.sqlite3")
    at = NOW - dt.timedelta(seconds=age)
    state.heartbeat(ProcessInfo("host", 1, at, at, **running))  # type: ignore[arg-type]
    state.close()


def test_health_with_a_missing_heartbeat(project: Path) -> None:
    result = invoke("health")

    assert result.exit_code == 1 and "no scheduler heartbeat recorded" in result.stdout


def test_health_with_a_fresh_and_a_stale_heartbeat(project: Path) -> None:
    beat(project, 5)
    fresh = invoke("health")
    stale = invoke("health", "--max-age", "2")

    assert fresh.exit_code == 0 and fresh.output.startswith("ok: 1 scheduler(s) alive")
    assert stale.exit_code == 1
    assert "last scheduler heartbeat 5 s ago" in stale.output and "more than 2 s" in stale.output


def test_health_trusts_the_next_heartbeat_a_sleeping_scheduler_promised(project: Path) -> None:
    # An idle scheduler beat 50 minutes ago and sleeps until its next job in 10 minutes:
    # it promised its next heartbeat for then, and is healthy until it breaks that promise.
    beat(project, 3000, next_beat_by=NOW + dt.timedelta(minutes=10))
    asleep = invoke("health")
    beat(project, 3000, next_beat_by=NOW - dt.timedelta(seconds=150))
    late = invoke("health")

    assert asleep.exit_code == 0 and asleep.output.startswith("ok: 1 scheduler(s) alive")
    assert late.exit_code == 1
    assert "150 s later than it promised the next one, more than 90 s" in late.output


def test_health_names_a_killed_scheduler_as_gone_not_as_late(project: Path) -> None:
    import socket
    import subprocess
    import sys

    from equipment.Scheduler.State.StateStore import pid_namespace

    ended = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                           capture_output=True, text=True, check=True)
    dead = int(ended.stdout)  # a pid that ran here and is gone: a kill -9 of the scheduler
    state = SqliteStateStore(project / "state.sqlite3")
    at = NOW - dt.timedelta(seconds=2)
    state.heartbeat(ProcessInfo(socket.gethostname(), dead, at, at,
                                next_beat_by=NOW + dt.timedelta(seconds=20),
                                pid_namespace=pid_namespace()))
    state.close()

    result = invoke("health")

    assert result.exit_code == 1
    assert f"is gone: pid {dead} no longer runs on this host" in result.output
    assert "later than it promised" not in result.output


def test_health_with_a_stuck_job(project: Path) -> None:
    beat(project, 1, running_job="nightly", running_run_id="nightly@x",
         running_since=NOW - dt.timedelta(hours=1))

    result = invoke("health")

    assert result.exit_code == 1
    assert "job nightly has been running for 3600 s" in result.output and "stuck" in result.output


def test_health_reports_each_replica_and_the_leader(project: Path) -> None:
    beat(project, 1)
    state = SqliteStateStore(project / "state.sqlite3")
    state.heartbeat(ProcessInfo("other", 2, NOW, NOW, leader=False))
    state.close()

    result = invoke("health")

    assert result.exit_code == 0
    assert "2 scheduler(s) alive" in result.output and "(leader)" in result.output
    assert result.output.index("(leader)") < result.output.index("other:2")  # leader first


def test_health_says_when_uncoordinated_schedulers_each_run_every_job(project: Path) -> None:
    beat(project, 1)
    state = SqliteStateStore(project / "state.sqlite3")
    state.heartbeat(ProcessInfo("other", 2, NOW, NOW))  # uncoordinated: it leads alone too
    state.close()

    result = invoke("health")

    assert result.exit_code == 0 and "(leader)" not in result.output
    assert "2 of them say they lead: without coordination, each runs every job" in result.output


PRESSED = """
import os
import signal
import time


def report():
    os.kill(os.getpid(), signal.SIGINT)  # the user's Ctrl-C, while the job runs
    time.sleep(5)
"""


def test_ctrl_c_during_run_interrupts_the_run_exits_130_and_history_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = {"state": "sqlite", "state_path": str(tmp_path / "state.sqlite3")}
    write_one_job_project(tmp_path, monkeypatch, PRESSED, "every().hour", settings)

    result = invoke("run", "report")

    assert result.exit_code == 130 and result.output == "report: interrupted (Ctrl-C)\n"
    state = SqliteStateStore(tmp_path / "state.sqlite3")
    (latest,) = state.history("report", limit=1)
    assert (latest.outcome, latest.error) == ("failure", "KeyboardInterrupt")
    assert latest.duration < 5


def test_a_job_past_its_until_deadline_leaves_the_commands_working(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its deadline passed since it last ran: the job is left out (one warning), and the
    commands that register the jobs answer as usual, where they stopped with exit 2."""
    settings = {"state": "sqlite", "state_path": str(tmp_path / "state.sqlite3")}
    every = 'every().hour.until("2020-01-01 00:00")'
    write_one_job_project(tmp_path, monkeypatch, "def report():\n    pass\n", every, settings)

    listed = invoke("list")

    assert listed.exit_code == 0, listed.output
    assert "; 0 job(s); state: " in listed.output  # (the warning is in the app's log)
    assert invoke("health").exit_code == 1  # no scheduler has run: unhealthy, not an error
    # Still the job of that ID: why and history answer of it (it is in the code).
    why = invoke("why", "report", "--at", "2030-06-01 12:00")
    assert why.exit_code == 0 and "It comes after the job's until() deadline" in why.output
    assert invoke("history", "report").output == "report: no occurrence recorded yet\n"
    assert invoke("pause", "report").exit_code == 0
    resumed = invoke("resume", "report").output.splitlines()[0]
    assert resumed.startswith("report resumed: no run left: its until() deadline, 2020-01-01")


QUIET = "def report():\n    pass\n"


def test_commands_that_read_make_nothing_on_disk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A probe of a mistyped path says where it looked, and creates nothing there."""
    missing = tmp_path / "typo" / "state.sqlite3"
    settings = {"state": "sqlite", "state_path": str(missing)}
    write_one_job_project(tmp_path, monkeypatch, QUIET, "every().hour", settings)

    health, listed = invoke("health"), invoke("list")

    assert health.exit_code == 1
    assert f"no scheduler heartbeat recorded in {missing} (no such file" in health.output
    assert listed.exit_code == 0 and "report" in listed.output
    assert not missing.parent.exists()


@pytest.mark.parametrize("command", [["list"], ["health"], ["pause", "report"]])
def test_a_state_path_that_is_a_folder_is_one_line_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: list[str]
) -> None:
    """The readers said "no such file: no scheduler has run with it", `pause` SQLite's
    "unable to open database file"."""
    folder = tmp_path / "storage"
    folder.mkdir()
    settings = {"state": "sqlite", "state_path": str(folder)}
    write_one_job_project(tmp_path, monkeypatch, QUIET, "every().hour", settings)

    result = invoke(*command)

    probe = command == ["health"]  # its answer: not healthy, as for any state it cannot use
    assert result.exit_code == (1 if probe else 2), result.output
    assert result.output.strip() == ("unhealthy: " if probe else "error: ") + (
        f"scheduler state: {folder} is a folder; scheduler.state_path must name the "
        f"state file (such as {folder / 'scheduler.sqlite3'})"
    )


def test_commands_that_read_leave_a_current_state_file_as_it_was(history: Path) -> None:
    """They read, and open the file without writing to it: a probe or a status page with
    the storage volume mounted read-only can read it (a write there is "attempt to write a
    readonly database", and every command failed with it)."""
    state = history / "state.sqlite3"
    before = state.read_bytes()

    for args in (
        ["list"], ["health"], ["history", "nightly"], ["plan", "--hours", "1"],
        ["why", "nightly", "--at", "2026-03-29 02:30"],
    ):
        result = invoke(*args)
        assert "readonly" not in result.output, result.output
        assert state.read_bytes() == before, f"{args[0]} wrote to the state file"


def test_commands_report_a_file_that_is_not_a_store_and_leave_it_where_it_is(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A scheduler moves such a file aside and starts afresh; a probe that did so would pull
    it from under a scheduler that had not yet."""
    broken = tmp_path / "state.sqlite3"
    broken.write_text("not a database")
    settings = {"state": "sqlite", "state_path": str(broken)}
    write_one_job_project(tmp_path, monkeypatch, QUIET, "every().hour", settings)

    for command in ("list", "pause"):
        result = invoke(command, *(["report"] if command == "pause" else []))
        assert result.exit_code == 2, result.output
        assert f"error: scheduler state: {broken} is not a scheduler state database" in (
            result.output
        )
    health = invoke("health")  # a probe's answer: a store it cannot read is not healthy
    assert health.exit_code == 1
    assert health.output.startswith(f"unhealthy: scheduler state: {broken} is not a scheduler")
    assert broken.read_text() == "not a database"
    assert [path.name for path in tmp_path.glob("state.sqlite3*")] == ["state.sqlite3"]


def test_pause_stores_a_pause_where_no_scheduler_has_run_yet(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    state = tmp_path / "storage" / "state.sqlite3"
    settings = {"state": "sqlite", "state_path": str(state)}
    write_one_job_project(tmp_path, monkeypatch, QUIET, "every().hour", settings)

    assert invoke("pause", "report").exit_code == 0
    assert "report" in SqliteStateStore(state).paused()


def test_a_run_its_condition_skips_says_why_in_words(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = {"state": "sqlite", "state_path": str(tmp_path / "state.sqlite3")}
    never = "every().hour.when(lambda: False)"
    write_one_job_project(tmp_path, monkeypatch, QUIET, never, settings)

    result = invoke("run", "report")

    assert result.exit_code == 1
    assert result.output.startswith(
        "report: skipped: its .when()/.skip() condition said not to run (run report@"
    )


def test_history_of_a_job_removed_from_the_code_shows_what_it_stored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from equipment.Scheduler.RunRecord import SUCCESS, RunRecord

    state = tmp_path / "state.sqlite3"
    ran = RunRecord.of_occurrence("gone", A_STARTS, "")
    ran.started_at, ran.finished_at, ran.duration, ran.outcome = A_STARTS, A_STARTS, 0.01, SUCCESS
    SqliteStateStore(state).record([ran])
    write_one_job_project(tmp_path, monkeypatch, QUIET, "every().hour", {
        "state": "sqlite", "state_path": str(state), "timezone": "UTC"
    })

    shown, unknown = invoke("history", "gone"), invoke("history", "never-was")

    assert shown.exit_code == 0, shown.output
    first, header, row = shown.output.splitlines()
    assert first == "gone is not a job of this project's code now; its stored runs:"
    assert header.startswith("SCHEDULED") and row.startswith("2026-03-28 12:00:00 UTC")
    assert "success" in row
    assert unknown.exit_code == 2 and "no job 'never-was'; closest: report" in unknown.output


def test_pause_where_no_scheduler_ever_ran_says_this_shell_may_be_configured_otherwise(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    state = tmp_path / "state.sqlite3"
    write_one_job_project(tmp_path, monkeypatch, QUIET, "every().hour", {
        "state": "sqlite", "state_path": str(state)
    })

    before = CliRunner().invoke(cli, ["schedule", "pause", "report"])
    SqliteStateStore(state).heartbeat(ProcessInfo("h", 1, A_STARTS, A_STARTS))
    after = CliRunner().invoke(cli, ["schedule", "resume", "report"])

    assert before.exit_code == 0 and before.stdout.startswith("report paused")
    assert before.stderr.startswith(f"note: no scheduler has run with this state ({state}) yet")
    assert "APP_NAME, which prefixes its keys in Redis" in before.stderr
    assert after.exit_code == 0 and after.stderr == ""


def test_health_says_a_settings_mistake_is_an_error_not_an_unhealthy_scheduler(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A database that Redis does not have is this shell's mistake (exit 2, as `list`
    says); a store no scheduler can use is an unhealthy scheduler (exit 1)."""
    settings = {"coordination": "redis", "redis_url": "redis://127.0.0.1:6379/99999"}
    write_one_job_project(tmp_path, monkeypatch, QUIET, "every().hour", settings)

    health = invoke("health")

    assert health.exit_code == 2, health.output
    assert "names a database that Redis does not have" in health.output


@pytest.fixture
def state_locked(history: Path) -> Iterator[Path]:
    """Another process holds the state file's write lock for longer than a write waits
    (a scheduler's long transaction; a file this user may not write fails the same way)."""
    import sqlite3

    holder = sqlite3.connect(history / "state.sqlite3", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    yield history / "state.sqlite3"
    holder.execute("ROLLBACK")
    holder.close()


@pytest.mark.parametrize("command", ["pause", "resume"])
def test_a_state_that_cannot_be_written_is_one_line_naming_it(state_locked, command) -> None:
    result = invoke(command, "sync")

    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert result.output == (
        f"error: scheduler state: cannot use {state_locked}: database is locked\n"
    )


def test_a_manual_run_whose_row_cannot_be_written_keeps_its_outcome(state_locked) -> None:
    result = invoke("run", "nightly")

    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("nightly: success in ")
    assert result.stderr == (
        f"note: the run is not in the history: scheduler state: cannot use {state_locked}: "
        "database is locked\n"
    )
