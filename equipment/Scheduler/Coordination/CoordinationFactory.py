"""The coordinator (and with it the shared state store) `config/scheduler.yaml` asks for.

`coordination: none` is one process: `SingleProcess`, and the state store of `state`.
`coordination: redis` is any number of replicas: `RedisCoordinator` and `RedisStateStore`
on the Redis of `scheduler.redis_url`, else the queue's (config/queue.yaml). redis is
imported only then, so `import equipment` and a project without coordination stay light.
"""

from __future__ import annotations

import os
import re
import socket
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from equipment.Log.AbstractLogger import AbstractLogger
from equipment.Scheduler.Clock import Clock
from equipment.Scheduler.Coordination.Coordinator import Coordinator, SingleProcess
from equipment.Scheduler.Settings import SchedulerSettings
from equipment.Scheduler.State.StateStore import StateStore


@dataclass
class Coordination:
    coordinator: Coordinator
    #: The shared state store, or None to use the one `state` names.
    state: StateStore | None = None


def make_coordination(
    settings: SchedulerSettings,
    queue: Any,
    config: Any,
    clock: Clock,
    log: AbstractLogger,
) -> Coordination:
    if settings.coordination == "none":
        return Coordination(SingleProcess())
    from equipment.Queue.RedisConnection import make_redis
    from equipment.Scheduler.Coordination.RedisCoordinator import RedisCoordinator
    from equipment.Scheduler.State.RedisStateStore import RedisStateStore

    target = _redis_settings(settings, queue, config)
    # A reply slower than a third of the lease is an outage: the lease must be renewed.
    budget = settings.lease_seconds / 3
    connection = make_redis(target, socket_timeout=min(target.socket_timeout, budget))
    prefix = settings.key_prefix or f"equipment:{_app_name(config)}:scheduler:"
    replica = f"{socket.gethostname()}:{os.getpid()}"
    queue_redis = _queue_redis(queue)
    coordinator = RedisCoordinator(
        connection,
        prefix,
        replica,
        settings.lease_seconds,
        clock,
        log,
        target.display,
        fences_pushes=queue_redis is not None and queue_redis.display == target.display,
    )
    if queue_redis is not None and queue_redis.display != target.display:
        log.warning(
            f"Scheduler coordination uses Redis at {target.display}, the queue "
            f"{queue_redis.display}: pushes are not fenced by the lease (use one server for "
            "both to fence them)"
        )
    state = RedisStateStore(connection, prefix, f"redis {target.display} ({prefix}*)", replica)
    return Coordination(coordinator, state)


def _queue_redis(queue: Any) -> Any:
    settings = getattr(queue, "settings", None)
    if getattr(settings, "connection", None) == "redis":
        return settings.redis
    return None


def _redis_settings(settings: SchedulerSettings, queue: Any, config: Any) -> Any:
    from equipment.Queue.Settings import QueueSettings, RedisSettings, redis_settings

    if settings.redis_url:
        return redis_settings({"url": settings.redis_url})
    found = _queue_redis(queue)
    if found is not None:
        return found
    section = _config_value(config, "queue")
    if isinstance(section, Mapping):
        return QueueSettings.from_config(section).redis
    return RedisSettings()


def _app_name(config: Any) -> str:
    name = _config_value(config, "app", "name") or "app"
    return re.sub(r"[^A-Za-z0-9_.-]", "_", str(name))


def _config_value(config: Any, *path: str) -> Any:
    try:
        node = config
        for name in path:
            node = getattr(node, name)
        return node()
    except Exception:  # no config, or not this key
        return None
