"""Build the logger a config asks for: `LoggerFactory(name, base_path, config)`."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

from equipment.Log.AbstractLogger import AbstractLogger
from equipment.Log.Arrival import receiving_logger
from equipment.Log.HandlerFactory import HandlerFactory
from equipment.Log.Logger import Logger
from equipment.Log.LogSettings import LogSettings

DEFAULT_NAME = "equipment"


class LoggerFactory:
    """Calling the class returns a ready `Logger`, so a DI provider can use it directly.

    Loggers are cached per (name, base path, config): asking twice for the same logger gives
    the same object, and never a second set of handlers on it.
    """

    _loggers: dict[tuple[str, str, str], Logger] = {}
    _lock = threading.Lock()

    def __new__(  # type: ignore[misc]
        cls,
        name: str | None = None,
        base_path: str | Path | None = None,
        config: dict[str, Any] | None = None,
    ) -> Logger:
        return cls.make(name, base_path, config)

    @classmethod
    def make(
        cls,
        name: str | None = None,
        base_path: str | Path | None = None,
        config: dict[str, Any] | None = None,
    ) -> Logger:
        """The logger named `name` writing to the channels of `config` (None: console)."""
        name = str(name).strip() if name else DEFAULT_NAME
        base = Path(base_path or Path.cwd()).resolve()
        key = (name, str(base), json.dumps(config, sort_keys=True, default=str))
        with cls._lock:
            if key not in cls._loggers:
                cls._loggers[key] = cls._build(name, base, config)
            return cls._loggers[key]

    @classmethod
    def close_all(cls) -> None:
        """Close and forget every logger made so far (tests; a clean shutdown)."""
        with cls._lock:
            loggers, cls._loggers = list(cls._loggers.values()), {}
        for logger in loggers:
            logger.close()

    @staticmethod
    def _build(name: str, base: Path, config: dict[str, Any] | None) -> Logger:
        settings = LogSettings.from_config(config, base)
        logger = Logger(name, settings.level, HandlerFactory(settings).build())
        logger.recipe = (name, str(base), config)
        return logger


def rebuild_logger(
    name: str, base_path: str, config: dict[str, Any] | None
) -> AbstractLogger:
    """Unpickle a `Logger`: the receiving process's own logger when it has named one (a
    worker, see `Arrival`), else the same channels opened afresh in this process."""
    return receiving_logger() or LoggerFactory.make(name, base_path, config)
