"""The real Redis the replica tests use (127.0.0.1:6379, db 15): skipped without one,
except under CI=true, where a missing Redis is a failure."""

from __future__ import annotations

import os
from typing import Any

import pytest

REDIS_URL = "redis://127.0.0.1:6379/15"


def redis_client() -> Any:
    redis = pytest.importorskip("redis")
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.exceptions.RedisError as error:
        reason = f"no Redis answers on 127.0.0.1:6379 ({error})"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}; CI=true requires one")
        pytest.skip(reason)
    return client
