"""Turn validated channel settings into stdlib handlers, one per leaf channel."""

from __future__ import annotations

import logging
import logging.handlers
import tempfile
from pathlib import Path

from equipment.Errors import ConfigError
from equipment.Log.ChannelSettings import ChannelSettings
from equipment.Log.ConsoleHandler import ConsoleHandler
from equipment.Log.DailyFileHandler import DailyFileHandler, dated
from equipment.Log.JsonFormatter import JsonFormatter
from equipment.Log.LogSettings import LogSettings
from equipment.Log.TextFormatter import TextFormatter


class HandlerFactory:
    def __init__(self, settings: LogSettings) -> None:
        self.settings = settings

    def build(self, channel: str | None = None) -> list[logging.Handler]:
        """The handlers of `channel` (default: the configured default channel)."""
        handlers: dict[str, logging.Handler] = {}
        self._collect(channel or self.settings.default, None, None, [], handlers)
        return list(handlers.values())

    def _collect(
        self,
        name: str,
        level: int | None,
        json: bool | None,
        path: list[str],
        handlers: dict[str, logging.Handler],
    ) -> None:
        """Walk stacks depth-first; a stack's level and json are defaults for its members."""
        if name in path:
            cycle = " -> ".join([*path, name])
            raise ConfigError(f"log.channels.{path[-1]}.channels makes a loop: {cycle}")
        channel = self.settings.channels[name]
        level = _max(level, channel.level)
        json = channel.json if channel.json is not None else json
        if channel.driver == "stack":
            for member in channel.channels:
                self._collect(member, level, json, [*path, name], handlers)
        elif name not in handlers:  # a channel reached twice through stacks writes once
            handlers[name] = _handler(channel, level, bool(json))


def _handler(channel: ChannelSettings, level: int | None, json: bool) -> logging.Handler:
    handler = _make(channel)
    handler.setLevel(level or logging.NOTSET)
    handler.setFormatter(JsonFormatter() if json else TextFormatter())
    handler.set_name(channel.name)
    return handler


def _make(channel: ChannelSettings) -> logging.Handler:
    if channel.driver == "console":
        return ConsoleHandler()
    if channel.driver == "null":
        return logging.NullHandler()
    path = _prepare(channel)
    if channel.driver == "single":
        # Follows the file when logrotate (or anyone) moves it away: the next record
        # reopens `path`, so nothing is written into the moved file after the move.
        return logging.handlers.WatchedFileHandler(path, encoding="utf-8", delay=True)
    return DailyFileHandler(path, channel.days)


def _prepare(channel: ChannelSettings) -> Path:
    assert channel.path is not None  # ChannelSettings always resolves one
    if channel.path.is_dir():
        raise ConfigError(
            f"log.channels.{channel.name}.path: {channel.path} is a folder; give the path "
            f"of a file in it (e.g. {channel.path / 'app.log'})"
        )
    key = f"log.channels.{channel.name}.path"
    if channel.driver == "daily" and channel.path.exists() and not channel.path.is_file():
        raise ConfigError(  # /dev/null: daily would create /dev/null-2026-12-01 beside it
            f"{key}: {channel.path} is not a regular file, and daily writes dated files "
            f"beside it ({dated(channel.path, 'YYYY-MM-DD')}); give a file path, or use the "
            "null channel to keep no logs"
        )
    blocking = _file_on_the_way(channel.path.parent)
    if blocking is not None:
        raise ConfigError(
            f"{key}: {blocking} is a file, not a folder, so {channel.path} cannot be created in it"
        )
    try:
        channel.path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ConfigError(
            f"{key}: cannot create {channel.path.parent}: {error.strerror or error}"
        ) from None
    try:
        _try_writing(channel)
    except OSError as error:
        reason = error.strerror or error
        raise ConfigError(f"{key}: cannot write {channel.path}: {reason}") from None
    return channel.path


def _file_on_the_way(folder: Path) -> Path | None:
    """The nearest existing part of `folder` when it is not a folder (`/tmp/x/f` a file)."""
    for part in (folder, *folder.parents):
        if part.exists():
            return None if part.is_dir() else part
    return None


def _try_writing(channel: ChannelSettings) -> None:
    """Whether the file can be written, found at start rather than at the first record (a
    traceback from inside logging): `single` opens its file for appending, as its handler
    will; `daily`, whose file is named by the day, creates and removes a file beside it."""
    assert channel.path is not None
    if channel.driver == "single":
        with open(channel.path, "a", encoding="utf-8"):
            return
    with tempfile.NamedTemporaryFile(dir=channel.path.parent, prefix=".equipment-probe-"):
        return


def _max(first: int | None, second: int | None) -> int | None:
    values = [value for value in (first, second) if value is not None]
    return max(values) if values else None
