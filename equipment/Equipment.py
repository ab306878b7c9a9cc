"""The application container: configuration, logging, queue and scheduler, wired once.

A generated project subclasses it (`class App(Equipment)`) to add its own services; every
provider a subclass references (`Equipment.log`, `Equipment.config`) is re-bound to the
subclass instance when it is created, so services share one logger and one config.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from dependency_injector import containers, providers

from equipment.Config.AppSettings import check_app_config
from equipment.Config.ConfigLoader import load_config
from equipment.Log.LoggerFactory import LoggerFactory
from equipment.Queue.QueueFactory import QueueFactory
from equipment.Scheduler.Scheduler import Scheduler
from equipment.Scheduler.Settings import SchedulerSettings

_instances: dict[tuple[type, Path], Any] = {}
_instances_lock = threading.Lock()


class Equipment(containers.DeclarativeContainer):
    config = providers.Configuration(strict=False)

    log = providers.ThreadSafeSingleton(
        LoggerFactory,
        name=config.app.name,
        base_path=config.base_path,
        config=config.log,
    )

    queue = providers.ThreadSafeSingleton(QueueFactory, config=config.queue, log=log)

    scheduler_settings = providers.ThreadSafeSingleton(
        SchedulerSettings.from_config, config.scheduler
    )

    # Settings first: keyword injections resolve in order, so a bad scheduler.timezone is
    # reported as the scheduler's mistake before the queue (which shares the variable) sees it.
    scheduler = providers.ThreadSafeSingleton(
        Scheduler,
        settings=scheduler_settings,
        log=log,
        queue=queue,
        config=config.provider,
    )

    @classmethod
    def make(cls, base_path: str | Path | None = None) -> Any:
        """The container for the project at `base_path` (default: the working directory).

        Loads `.env`, then `config/*.ini`, `*.yaml` and `*.json`; one instance per class and
        base path, so every entry point of a process shares the same services.
        """
        path = Path(base_path or Path.cwd()).resolve()
        key = (cls, path)
        with _instances_lock:
            if key not in _instances:
                config = load_config(path)
                check_app_config(config.get("app"))
                container = cls()
                container.config.from_dict(config)
                container.config.base_path.from_value(str(path))
                _instances[key] = container
            return _instances[key]

    @classmethod
    def forget(cls, base_path: str | Path | None = None) -> None:
        """Drop the cached container, so the next `make()` reloads config (for tests)."""
        path = Path(base_path or Path.cwd()).resolve()
        with _instances_lock:
            _instances.pop((cls, path), None)


def equipment(base_path: str | Path | None = None) -> Any:
    """Shortcut for `Equipment.make(base_path)`."""
    return Equipment.make(base_path)
