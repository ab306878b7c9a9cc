"""A Redis state store on the real Redis (db 15) under a prefix of its own per test."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from tests.Scheduler.replicas.redis_fixtures import redis_client


@pytest.fixture
def redis_store() -> Iterator[object]:
    from equipment.Scheduler.State.RedisStateStore import RedisStateStore

    client = redis_client()
    prefix = f"test-state-{uuid.uuid4().hex[:12]}:"
    yield RedisStateStore(client, prefix, "redis test", "host:1")
    for key in client.scan_iter(match=f"{prefix}*"):
        client.delete(key)
