"""Queue settings -> a `redis.Redis` client. Imported only when the redis driver is chosen.

redis-py's own retries are switched off: the push path has one bounded retry budget
(`OutageGuard`), and two stacked retry loops would make the outage time unpredictable.
"""

from __future__ import annotations

from typing import Any

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry as RedisRetry

from equipment.Queue.Settings import RedisSettings

# Redis did not answer (down, refused, timed out, loading), or something that is not Redis
# answered on its port (InvalidResponse: an HTTP server, say): an outage either way.
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    redis.exceptions.InvalidResponse,
)
# The server answered "no", or not in Redis's protocol: retrying at once cannot help.
FATAL_ERRORS: tuple[type[BaseException], ...] = (
    redis.exceptions.AuthenticationError,
    redis.exceptions.AuthorizationError,
    redis.exceptions.InvalidResponse,
)


def make_redis(settings: RedisSettings, *, socket_timeout: float | None = None) -> redis.Redis:
    """A client for the configured server; `url` wins over host/port/db/username/password."""
    common: dict[str, Any] = {
        "socket_connect_timeout": settings.connect_timeout,
        "socket_timeout": socket_timeout if socket_timeout is not None else settings.socket_timeout,
        "retry": RedisRetry(NoBackoff(), 0),
        "health_check_interval": 30,
    }
    if settings.url:
        return redis.Redis.from_url(settings.url, **common)
    return redis.Redis(
        host=settings.host,
        port=settings.port,
        db=settings.db,
        username=settings.username,
        password=settings.password,
        ssl=settings.ssl,
        **common,
    )
