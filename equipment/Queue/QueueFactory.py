"""Pick the queue driver named by `queue.connection` ("sync" by default, or "redis").

The redis driver is imported here only when chosen, so `import equipment` and a project on
`sync` never load redis or rq.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from equipment.Log.AbstractLogger import AbstractLogger
from equipment.Log.NullLogger import NullLogger
from equipment.Queue.AbstractQueue import AbstractQueue
from equipment.Queue.Settings import DRIVERS, QueueSettings
from equipment.Queue.SyncQueue import SyncQueue

__all__ = ["QueueFactory", "DRIVERS"]


def QueueFactory(  # noqa: N802 - named like the class-per-file factories it sits beside
    config: Mapping[str, Any] | None = None, log: AbstractLogger | None = None
) -> AbstractQueue:
    """The driver for `config` (the dict of config/queue.yaml, or None for defaults).

    Raises `ConfigError` for an unknown driver or a bad value, naming the key.
    """
    settings = QueueSettings.from_config(config)
    log = log or NullLogger()
    if settings.connection == "redis":
        from equipment.Queue.RedisQueue import RedisQueue

        return RedisQueue(settings, log)
    return SyncQueue(log, timezone=settings.timezone)
