"""Replica fixtures: the real Redis (db 15), a key prefix of its own per test, a fake clock."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from equipment.Log.MemoryLogger import MemoryLogger
from equipment.Scheduler.Clock import FakeClock
from tests.Scheduler.replicas.redis_fixtures import redis_client

START = dt.datetime(2026, 1, 5, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def client() -> Any:
    return redis_client()


@pytest.fixture
def prefix(client: Any) -> Iterator[str]:
    name = f"test-replicas-{uuid.uuid4().hex[:12]}:"
    yield name
    for key in client.scan_iter(match=f"{name}*"):
        client.delete(key)


@pytest.fixture
def server() -> Iterator[Any]:
    """A throwaway redis-server on a free port (stopped and started by the test)."""
    import os
    import shutil

    from tests.Queue.helpers import RedisServer, free_port

    binary = shutil.which("redis-server")
    if binary is None:
        if os.environ.get("CI") == "true":
            pytest.fail("redis-server is not installed; CI=true requires it")
        pytest.skip("redis-server is not installed (needed to stop and start a Redis)")
    redis_client()  # skips without the redis package
    throwaway = RedisServer(binary, free_port())
    throwaway.start()
    yield throwaway
    throwaway.stop()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
def make_coordinator(client: Any, prefix: str, clock: FakeClock) -> Callable[..., Any]:
    """A RedisCoordinator named `replica` on the test's prefix, with its own MemoryLogger."""
    from equipment.Scheduler.Coordination.RedisCoordinator import RedisCoordinator

    def make(replica: str, lease_seconds: float = 10.0, connection: Any = None) -> Any:
        return RedisCoordinator(
            connection or client,
            prefix,
            replica,
            lease_seconds,
            clock,
            MemoryLogger(),
            "redis test",
        )

    return make


@pytest.fixture
def queue_name(client: Any) -> Iterator[str]:
    """A queue of its own per test, deleted with its jobs after it."""
    from rq import Queue

    name = f"test-{uuid.uuid4().hex[:12]}"
    yield name
    Queue(name, connection=client).delete(delete_jobs=True)
