"""Queue test fixtures: a real Redis (db 15), a unique queue per test, a memory logger.

Without a Redis on 127.0.0.1:6379 the Redis tests skip with the reason shown, except under
CI=true, where a missing Redis is a failure (CI starts one).
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator

import pytest

from equipment.Log.MemoryLogger import MemoryLogger
from equipment.Queue.Settings import QueueSettings, redis_settings
from tests.Queue.helpers import RedisServer, free_port

REDIS_DB = 15


@pytest.fixture
def log() -> MemoryLogger:
    return MemoryLogger()


@pytest.fixture
def redis_conn() -> Iterator[object]:
    redis = pytest.importorskip("redis")
    conn = redis.Redis(host="127.0.0.1", port=6379, db=REDIS_DB, socket_connect_timeout=1)
    try:
        conn.ping()
    except redis.exceptions.RedisError as exc:
        reason = f"no Redis answers on 127.0.0.1:6379 ({exc})"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}; CI=true requires one")
        pytest.skip(reason)
    yield conn
    conn.close()


@pytest.fixture
def queue_name(redis_conn: object) -> Iterator[str]:
    name = f"test-{uuid.uuid4().hex[:12]}"
    yield name
    from rq import Queue

    Queue(name, connection=redis_conn).delete(delete_jobs=True)  # type: ignore[arg-type]


@pytest.fixture
def settings(queue_name: str) -> QueueSettings:
    return make_settings(queue_name)


def make_settings(queue_name: str, timezone: str = "local", **redis: object) -> QueueSettings:
    section = {"host": "127.0.0.1", "port": 6379, "db": REDIS_DB, "queues": [queue_name], **redis}
    return QueueSettings("redis", timezone, redis_settings(section))


@pytest.fixture
def key(redis_conn: object) -> Iterator[str]:
    """A unique Redis key the jobs in tests/Queue/jobs.py write to."""
    name = f"test-key-{uuid.uuid4().hex[:12]}"
    yield name
    redis_conn.delete(name, f"{name}:calls", f"{name}:started")  # type: ignore[attr-defined]


@pytest.fixture
def server() -> Iterator[RedisServer]:
    """A throwaway redis-server (password helpers.PASSWORD) on a free port, killed after."""
    binary = shutil.which("redis-server")
    if binary is None:
        if os.environ.get("CI") == "true":
            pytest.fail("redis-server is not installed; CI=true requires it")
        pytest.skip("redis-server is not installed (needed to stop and start a Redis)")
    pytest.importorskip("redis")
    redis_server = RedisServer(binary, free_port())
    redis_server.start()
    yield redis_server
    redis_server.stop()
