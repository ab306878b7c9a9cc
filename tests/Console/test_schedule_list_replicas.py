"""`equipment schedule list` under `coordination: redis`: the replicas, the leader, its token."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from click.testing import CliRunner

from equipment.Console.ScheduleCommand import schedule
from equipment.Log.NullLogger import NullLogger
from equipment.Scheduler.Clock import SystemClock
from equipment.Scheduler.State.StateStore import ProcessInfo
from tests.Console.one_job_project import write_one_job_project
from tests.Scheduler.replicas.redis_fixtures import REDIS_URL, redis_client

REPORT = """
def report():
    raise RuntimeError("list must not run jobs")
"""


@pytest.fixture
def prefix():
    client = redis_client()
    name = f"test-list-{uuid.uuid4().hex[:12]}:"
    yield name
    for key in client.scan_iter(match=f"{name}*"):
        client.delete(key)


def write_project(tmp_path, monkeypatch, settings):
    write_one_job_project(tmp_path, monkeypatch, REPORT, "every(10).minutes", settings)


def test_list_shows_the_replicas_the_leader_and_its_token(tmp_path, monkeypatch, prefix):
    from equipment.Scheduler.Coordination.RedisCoordinator import RedisCoordinator
    from equipment.Scheduler.State.RedisStateStore import RedisStateStore

    client = redis_client()
    settings = {"coordination": "redis", "redis_url": REDIS_URL, "key_prefix": prefix}
    write_project(tmp_path, monkeypatch, settings)
    clock = SystemClock()
    for replica in ("web-1:101", "web-2:202"):
        coordinator = RedisCoordinator(
            client, prefix, replica, 10, clock, NullLogger(), "redis test"
        )
        coordinator.step()  # web-1 takes the lease (token 1), web-2 waits
    state = RedisStateStore(client, prefix, "redis test")
    now = dt.datetime.now(dt.UTC)
    state.heartbeat(ProcessInfo("web-1", 101, now, now))
    state.heartbeat(ProcessInfo("web-2", 202, now, now))
    killed = now - dt.timedelta(minutes=10)
    state.heartbeat(ProcessInfo("web-3", 303, killed, killed))  # kill -9: no goodbye

    result = CliRunner().invoke(schedule, ["list", "--app", "app:App"])

    assert result.exit_code == 0, result.output
    assert "web-1:101 leads with fencing token 1" in result.output
    [leader] = [line for line in result.output.splitlines() if line.startswith("web-1:101:")]
    [standby] = [line for line in result.output.splitlines() if line.startswith("web-2:202:")]
    assert leader.endswith("leader (fencing token 1)") and standby.endswith("standby")
    [killed] = [line for line in result.output.splitlines() if line.startswith("web-3:303:")]
    assert killed.endswith("gone (no heartbeat since)")


def test_list_with_coordination_redis_down_is_one_line_and_exit_2(tmp_path, monkeypatch):
    settings = {"coordination": "redis", "redis_url": "redis://127.0.0.1:1/0"}
    write_project(tmp_path, monkeypatch, settings)
    result = CliRunner().invoke(schedule, ["list", "--app", "app:App"])
    assert result.exit_code == 2
    assert "scheduler state in Redis cannot be read (ConnectionError" in result.output
    assert "Traceback" not in result.output


def test_list_against_a_server_that_is_not_redis_is_the_same_line_as_redis_down(
    tmp_path, monkeypatch, http_port
):
    settings = {"coordination": "redis", "redis_url": f"redis://127.0.0.1:{http_port}/9"}
    write_project(tmp_path, monkeypatch, settings)
    result = CliRunner().invoke(schedule, ["list", "--app", "app:App"])
    assert result.exit_code == 2
    [line] = result.output.splitlines()
    assert line.startswith("error: the scheduler state in Redis cannot be read (InvalidResponse")
    assert line.endswith("start Redis, or run with coordination: none")


def test_health_with_coordination_redis_down_is_unhealthy_not_a_mistake(tmp_path, monkeypatch):
    import equipment.Console.OperateCommand  # noqa: F401 - it adds `health` to the group
    settings = {"coordination": "redis", "redis_url": "redis://127.0.0.1:1/0"}
    write_project(tmp_path, monkeypatch, settings)
    result = CliRunner().invoke(schedule, ["health", "--app", "app:App"])
    assert result.exit_code == 1
    assert result.output.startswith("unhealthy: the scheduler state in Redis cannot be read")
    assert result.output.count("\n") == 1
