"""Coordination's Redis going down while an operator's command runs (after the project
loaded, between its reads and writes): one line naming where the state is, never a
traceback; and a manual run that happened is still reported as it went."""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from click.testing import CliRunner

import equipment.Console.OperateCommand as operate
from equipment.Console.Cli import cli
from tests.Console.one_job_project import write_one_job_project
from tests.Scheduler.replicas.redis_fixtures import REDIS_URL, redis_client

REPORT = "def report(): pass"


@pytest.fixture
def prefix() -> Iterator[str]:
    """A key prefix of the test's own, its keys deleted after it."""
    client = redis_client()
    prefix = f"test-outage-{uuid.uuid4().hex[:12]}:"
    yield prefix
    for key in client.scan_iter(match=f"{prefix}*"):
        client.delete(key)


@pytest.fixture
def redis_goes_down(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each command loads the project on the real Redis, then finds it gone: its state's
    connection points at a port where nothing listens."""
    import redis

    load = operate._load_scheduler

    def load_then_lose_redis(app_spec: str, writes: bool = False) -> Any:
        scheduler = load(app_spec, writes)
        scheduler.state.connection = redis.Redis(port=_closed_port(), socket_connect_timeout=1)
        return scheduler

    monkeypatch.setattr(operate, "_load_scheduler", load_then_lose_redis)


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize(
    "command",
    [
        ["history", "report"],
        ["why", "report", "--at", "2026-03-29 02:30"],
        ["pause", "report"],
        ["resume", "report"],
    ],
)
def test_a_redis_gone_mid_command_is_one_line_not_a_traceback(
    tmp_path, monkeypatch, prefix, redis_goes_down, command
) -> None:
    settings = {"coordination": "redis", "redis_url": REDIS_URL, "key_prefix": prefix}
    write_one_job_project(tmp_path, monkeypatch, REPORT, "every(10).minutes", settings)

    result = CliRunner().invoke(cli, ["schedule", *command])

    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    [line] = result.output.splitlines()
    assert line.startswith("error: the scheduler state in Redis cannot be read (ConnectionError")
    assert line.endswith("start Redis, or run with coordination: none")


def test_a_manual_run_whose_record_redis_lost_says_how_it_went_and_what_was_lost(
    tmp_path, monkeypatch, prefix, redis_goes_down
) -> None:
    """The job ran (once: a retry would run it again), so its outcome is the answer and
    the exit code; that history has no row of it is a note on stderr."""
    settings = {"coordination": "redis", "redis_url": REDIS_URL, "key_prefix": prefix}
    write_one_job_project(tmp_path, monkeypatch, REPORT, "every(10).minutes", settings)

    result = CliRunner().invoke(cli, ["schedule", "run", "report"])

    assert result.exit_code == 0, result.output
    assert result.exception is None
    assert result.stdout.startswith("report: success in ")
    [note] = result.stderr.splitlines()
    assert note.startswith(
        "note: the run is not in the history: the scheduler state in Redis cannot be read "
        "(ConnectionError"
    )
