"""A logger that keeps its records in a list, for tests (ours and our users')."""

from __future__ import annotations

import logging
import sys
import traceback
from collections.abc import Mapping
from typing import Any, NamedTuple

from equipment.Log.AbstractLogger import AbstractLogger
from equipment.Log.Arrival import receiving_logger


class LogRecord(NamedTuple):
    """One logged line. A named tuple: a simulated day of a test logs hundreds of
    thousands, and a tuple is the cheapest immutable record to build."""

    level: int
    message: str
    extra: dict[str, Any]
    traceback: str | None = None

    @property
    def level_name(self) -> str:
        return logging.getLevelName(self.level)


class MemoryLogger(AbstractLogger):
    """Records every call; `messages(level)` and `find(text)` make assertions short."""

    def __init__(self, level: int = logging.DEBUG) -> None:
        self.level = level
        # Appending to and clearing a list are atomic: no lock, though threads log here.
        self.records: list[LogRecord] = []

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle as the recipe (the level), never the records: a test pushing `self.log`
        through the sync queue's "would it pickle?" check must not copy every record so far.
        Unpickled in a worker, it is the worker's logger (see `Arrival`)."""
        return arrived_memory_logger, (self.level,)

    def is_enabled_for(self, level: int) -> bool:
        return level >= self.level

    def log(self, level: int, msg: str, *args: Any, **kwargs: Any) -> None:
        if level >= self.level:
            self._keep(level, msg, args, kwargs)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """A subclass that overrides `log` sees every line there, as `AbstractLogger`
        promises: the shortcuts below go back to calling it."""
        super().__init_subclass__(**kwargs)
        if "log" in cls.__dict__:
            for name in ("debug", "info"):
                if name not in cls.__dict__:
                    setattr(cls, name, getattr(AbstractLogger, name))

    # The two levels a run logs at, without the extra call of AbstractLogger's versions.
    def debug(self, msg: str, *args: Any, **kwargs: Any) -> None:
        if logging.DEBUG >= self.level:
            self._keep(logging.DEBUG, msg, args, kwargs)

    def info(self, msg: str, *args: Any, **kwargs: Any) -> None:
        if logging.INFO >= self.level:
            self._keep(logging.INFO, msg, args, kwargs)

    def _keep(self, level: int, msg: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        extra = kwargs.get("extra")
        if args:
            try:
                message = msg % args  # (a mapping given alone: "%s" of it reads the same)
            except (TypeError, ValueError, KeyError):
                message = _formatted(msg, args)  # named fields of a mapping, or why not
        else:
            message = msg
        record = (
            level,
            message,
            dict(extra) if extra else {},
            _traceback(kwargs) if "exc_info" in kwargs else None,
        )
        self.records.append(_as_record(LogRecord, record))

    def messages(self, level: int | None = None) -> list[str]:
        return [r.message for r in self.records if level is None or r.level == level]

    def find(self, text: str, level: int | None = None) -> list[LogRecord]:
        return [
            r for r in self.records if text in r.message and (level is None or r.level == level)
        ]

    def clear(self) -> None:
        self.records.clear()


def _formatted(msg: str, args: tuple[Any, ...]) -> str:
    """`msg % args`; a line whose arguments do not fit it is kept as given, with why, and
    never raises into the code that logged it: the real loggers print a logging error and
    go on, so a job must not fail in a test for what production only reports. One mapping
    as the only argument fills `%(name)s` fields, as in the stdlib's `LogRecord`."""
    if len(args) == 1 and isinstance(args[0], Mapping):
        args = args[0] or args  # type: ignore[assignment]
    try:
        return msg % args
    except (TypeError, ValueError, KeyError) as error:
        return f"{msg} {args!r} (not formatted: {type(error).__name__}: {error})"


#: Builds a LogRecord from a ready tuple without the named tuple's Python-level __new__.
_as_record = tuple.__new__


def arrived_memory_logger(level: int) -> AbstractLogger:
    """Unpickle a `MemoryLogger`: the receiving process's logger, or an empty one."""
    return receiving_logger() or MemoryLogger(level)


def _traceback(kwargs: dict[str, Any]) -> str | None:
    exc_info = kwargs.get("exc_info")
    if not exc_info:
        return None
    if exc_info is True:
        exc_info = sys.exc_info()
    elif isinstance(exc_info, BaseException):
        exc_info = (type(exc_info), exc_info, exc_info.__traceback__)
    if exc_info[0] is None:
        return None
    return "".join(traceback.format_exception(*exc_info))
