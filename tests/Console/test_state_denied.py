"""A Redis that answers and refuses (a user, a password, a user's rights) once a command has
started: its line says so, never "start Redis" (Redis is up; the settings are wrong)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import pytest
from click.testing import CliRunner

from equipment.Console.ScheduleCommand import _reading_state, schedule
from equipment.Scheduler.State.StateStore import StateStoreError, StateUnreachable
from tests.Console.one_job_project import write_one_job_project
from tests.Scheduler.replicas.redis_fixtures import redis_client

PASSWORD = "equipment-test-pw"
REPORT = "def report(): pass"


@pytest.fixture
def user() -> Iterator[tuple[str, str]]:
    """A Redis user of its own (name, key prefix), with rights to the prefix's jobs hash
    only; deleted after the test, with the prefix's keys."""
    admin = redis_client()
    name = f"equipment-test-{uuid.uuid4().hex[:12]}"
    prefix = f"test-denied-{uuid.uuid4().hex[:12]}:"
    admin.acl_setuser(
        name, enabled=True, passwords=[f"+{PASSWORD}"], keys=[f"{prefix}jobs"], commands=["+@all"]
    )
    yield name, prefix
    admin.acl_deluser(name)
    for key in admin.scan_iter(match=f"{prefix}*"):
        admin.delete(key)


def test_credentials_revoked_after_start_up_are_a_refusal_not_start_redis(user) -> None:
    import redis

    from equipment.Scheduler.State.RedisStateStore import RedisStateStore

    name, prefix = user
    client = redis.Redis.from_url(f"redis://{name}:{PASSWORD}@127.0.0.1:6379/15")
    store = RedisStateStore(client, prefix, f"redis redis://{name}:***@127.0.0.1:6379/15")
    store.load()  # started: the user may read its jobs
    redis_client().acl_deluser(name)  # its connections closed; the next one is refused
    _wait_until_closed(name)

    with pytest.raises(StateStoreError) as caught:
        _reading_state(store.paused, store.location)

    assert not isinstance(caught.value, StateUnreachable)
    message = str(caught.value)
    assert message.startswith("the scheduler state in Redis cannot be read (AuthenticationError:")
    assert "start Redis" not in message
    assert message.endswith(
        f"it is at redis redis://{name}:***@127.0.0.1:6379/15: Redis is up and refused the "
        "user, password or rights given; check scheduler.redis_url (the queue's Redis "
        "settings when it is not set)"
    )


def _wait_until_closed(name: str) -> None:
    """Redis answers ACL DELUSER before it closes that user's connections (it frees them
    after the reply): a command sent in between is cut off mid-reply, a dropped connection
    and not the refusal this test is about. Wait, at most 5 s, until none is left."""
    admin = redis_client()
    deadline = time.monotonic() + 5
    while any(client.get("user") == name for client in admin.client_list()):
        assert time.monotonic() < deadline, f"Redis kept {name}'s connections open for 5 s"
        time.sleep(0.01)


@pytest.mark.parametrize("command", ["list", "health"])
def test_a_command_by_a_user_without_rights_to_every_key_names_the_rights(
    tmp_path, monkeypatch, user, command
) -> None:
    """The jobs (read at registration) are the user's, the pauses and heartbeats (read
    after) are not: NOPERM, a setting to fix (exit 2), not an outage ("unhealthy")."""
    import equipment.Console.OperateCommand  # noqa: F401 - it adds `health` to the group

    name, prefix = user
    url = f"redis://{name}:{PASSWORD}@127.0.0.1:6379/15"
    settings = {"coordination": "redis", "redis_url": url, "key_prefix": prefix}
    write_one_job_project(tmp_path, monkeypatch, REPORT, "every(10).minutes", settings)

    result = CliRunner().invoke(schedule, [command, "--app", "app:App"])

    assert result.exit_code == 2, result.output
    [line] = result.output.splitlines()
    assert line.startswith("error: the scheduler state in Redis cannot be read (NoPermissionError")
    assert line.endswith(
        "Redis is up and refused the user, password or rights given; check scheduler.redis_url "
        "(the queue's Redis settings when it is not set)"
    )
