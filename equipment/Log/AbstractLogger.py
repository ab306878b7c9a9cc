"""The logger contract every part of Equipment writes to."""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from typing import Any


class AbstractLogger(ABC):
    """A logger with the stdlib's method names.

    `extra={...}` fields are structured data: channels print them (console) or carry them
    as keys (JSON), so a run can be followed by its `job_id` and `run_id`.
    """

    @abstractmethod
    def log(self, level: int, msg: str, *args: Any, **kwargs: Any) -> None:
        """Log `msg % args` at `level`; kwargs are those of `logging.Logger.log`."""

    def is_enabled_for(self, level: int) -> bool:
        """Whether a line at `level` would be written: callers skip building costly fields."""
        return True

    def debug(self, msg: str, *args: Any, **kwargs: Any) -> None:
        self.log(logging.DEBUG, msg, *args, **kwargs)

    def info(self, msg: str, *args: Any, **kwargs: Any) -> None:
        self.log(logging.INFO, msg, *args, **kwargs)

    def warning(self, msg: str, *args: Any, **kwargs: Any) -> None:
        self.log(logging.WARNING, msg, *args, **kwargs)

    def error(self, msg: str, *args: Any, **kwargs: Any) -> None:
        self.log(logging.ERROR, msg, *args, **kwargs)

    def critical(self, msg: str, *args: Any, **kwargs: Any) -> None:
        self.log(logging.CRITICAL, msg, *args, **kwargs)

    def exception(self, msg: str, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("exc_info", True)
        self.log(logging.ERROR, msg, *args, **kwargs)
