"""The concrete logger: an `AbstractLogger` over one private stdlib `logging.Logger`."""

from __future__ import annotations

import logging
from typing import Any

from equipment.Log.AbstractLogger import AbstractLogger
from equipment.Log.Extra import Extra


class Logger(AbstractLogger):
    """Writes through the handlers of its channels.

    The stdlib logger is private (not in `logging.getLogger`'s registry) and does not
    propagate to the root logger: two apps in one process, or one test after another, never
    share or duplicate handlers, and a root handler configured elsewhere prints nothing twice.
    """

    def __init__(self, name: str, level: int, handlers: list[logging.Handler]) -> None:
        #: (name, base_path, config) when made by LoggerFactory: enough to rebuild it.
        self.recipe: tuple[str, str, dict[str, Any] | None] | None = None
        self.stdlib = logging.Logger(name, level)
        self.stdlib.propagate = False
        for handler in handlers:
            self.stdlib.addHandler(handler)

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle as the recipe, so a logger passed to a queued job logs in the worker too.

        Handlers (open files, streams) cannot cross processes. A worker uses its own logger
        in its place (`Arrival.loggers_arrive_in`); any other process rebuilds the same
        channels from the same config.
        """
        if self.recipe is None:
            raise TypeError(
                f"logger {self.name!r} was not made by LoggerFactory, so a worker cannot "
                "rebuild it; pass the app's logger (self.log) instead"
            )
        from equipment.Log.LoggerFactory import rebuild_logger

        return rebuild_logger, self.recipe

    @property
    def name(self) -> str:
        return self.stdlib.name

    @property
    def level(self) -> int:
        return self.stdlib.level

    @property
    def handlers(self) -> list[logging.Handler]:
        return list(self.stdlib.handlers)

    def is_enabled_for(self, level: int) -> bool:
        return self.stdlib.isEnabledFor(level)

    def log(self, level: int, msg: str, *args: Any, **kwargs: Any) -> None:
        kwargs["extra"] = Extra.attach(kwargs.get("extra"))
        self.stdlib.log(level, msg, *args, **kwargs)

    def close(self) -> None:
        """Flush and close every handler (files), and detach them."""
        for handler in list(self.stdlib.handlers):
            self.stdlib.removeHandler(handler)
            handler.close()
