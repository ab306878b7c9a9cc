"""Queue settings -> a `redis.Redis` client. Imported only when the redis driver is chosen.

redis-py's own retries are switched off: the push path has one bounded retry budget
(`OutageGuard`), and two stacked retry loops would make the outage time unpredictable.
"""

from __future__ import annotations

from types import TracebackType
from typing import Any

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry as RedisRetry

from equipment.Queue.Settings import RedisSettings

# Redis did not answer (down, refused, timed out, loading), or something that is not Redis
# answered on its port (InvalidResponse: an HTTP server, say): an outage either way. A
# "Protocol error" reply (a proxy or server that cannot read the stream) is one too:
# `is_outage` is the one test, used wherever Redis errors are classified.
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    redis.exceptions.InvalidResponse,
)
# The server answered "no" to these settings (a user, a password, the user's rights: NOAUTH,
# WRONGPASS, NOPERM): not down, mistaken.
DENIED_ERRORS: tuple[type[BaseException], ...] = (
    redis.exceptions.AuthenticationError,
    redis.exceptions.AuthorizationError,
    redis.exceptions.NoPermissionError,
)
# The server answered "no", or not in Redis's protocol: retrying at once cannot help.
FATAL_ERRORS: tuple[type[BaseException], ...] = (
    *DENIED_ERRORS,
    redis.exceptions.InvalidResponse,
)


def is_outage(error: BaseException) -> bool:
    """Whether `error` means Redis is not there to answer (down, refused, timed out, or not
    Redis on its port), as opposed to a working Redis refusing one command (READONLY, OOM)."""
    if isinstance(error, redis.exceptions.ResponseError):
        return is_protocol_error(error)
    return isinstance(error, TRANSIENT_ERRORS)


class CaughtOutage:
    """A block in which an outage (`is_outage`) is caught and kept; any other error passes.

        with CaughtOutage() as outage:
            connection.ping()
        if outage.caught:
            ...  # outage.error is the RedisError
    """

    caught = False
    error: BaseException  # set when `caught`

    def __enter__(self) -> CaughtOutage:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> bool:
        if isinstance(error, redis.exceptions.RedisError) and is_outage(error):
            self.caught, self.error = True, error
            return True
        return False


def is_down(error: BaseException) -> bool:
    """An outage in which Redis is not there to answer, as opposed to one in which it
    answered "no" to this process's settings (`DENIED_ERRORS`): where "start Redis" helps."""
    return is_outage(error) and not isinstance(error, DENIED_ERRORS)


def is_fatal(error: BaseException) -> bool:
    """An outage that an immediate retry cannot end (a refusal, a server speaking another
    protocol): logged at once instead of retried within the push budget."""
    return isinstance(error, FATAL_ERRORS) or is_protocol_error(error)


def is_protocol_error(error: BaseException) -> bool:
    """A "Protocol error" reply: the peer cannot read the Redis protocol stream."""
    return isinstance(error, redis.exceptions.ResponseError) and str(error).lower().startswith(
        "protocol error"
    )


def is_missing_db(exc: BaseException) -> bool:
    """Redis's answer to a database index it does not have."""
    return isinstance(exc, redis.exceptions.ResponseError) and "DB index is out of range" in str(
        exc
    )


def missing_db(exc: BaseException, settings: RedisSettings) -> str | None:
    """Redis's answer to a database it does not have, as the config mistake it is (the
    server's `databases` decides how many it has): read from a command's own failure, so
    finding out costs no round trip."""
    if not is_missing_db(exc):
        return None
    key = "queue.redis.url" if settings.url else "queue.redis.db"
    return (
        f"{key}: Redis at {settings.display} has no such database (DB index is out of range); "
        "it has as many as its `databases` setting says, 16 by default (0 to 15)"
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
