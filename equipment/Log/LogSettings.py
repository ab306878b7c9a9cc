"""The validated `log` config: the minimum level, the default channel, every channel."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from equipment.Config.KnownKeys import check_known_keys
from equipment.Config.Values import as_choice, as_level
from equipment.Errors import ConfigError
from equipment.Log.ChannelSettings import ChannelSettings

DEFAULT_CHANNEL = "console"
DEFAULT_LEVEL = logging.DEBUG
_TOP_KEYS = ("default", "level", "channels")

# Available even when config/log.yaml does not list them; a listed channel replaces its
# built-in namesake, so `LOG_CHANNEL=daily` works with a two-line log.yaml.
BUILT_IN_CHANNELS: dict[str, dict[str, Any]] = {
    "console": {"driver": "console"},
    "single": {"driver": "single"},
    "daily": {"driver": "daily"},
    "stack": {"driver": "stack", "channels": ["console", "daily"]},
    "null": {"driver": "null"},
}


@dataclass(frozen=True)
class LogSettings:
    level: int
    default: str
    channels: dict[str, ChannelSettings]

    @classmethod
    def from_config(cls, config: dict[str, Any] | None, base_path: Path) -> LogSettings:
        """Validate the `log` mapping (None: console at debug); errors name the key."""
        config = {} if config is None else config
        if not isinstance(config, dict):
            raise ConfigError(f"log must be a mapping with {', '.join(_TOP_KEYS)}, got {config!r}")
        _check_keys(config)
        channels = _channels(config.get("channels"), base_path)
        default = as_choice(config.get("default"), "log.default", channels, DEFAULT_CHANNEL)
        settings = cls(as_level(config.get("level"), "log.level", DEFAULT_LEVEL), default, channels)
        for channel in channels.values():
            settings._check_stack(channel)
        for name in channels:
            settings._check_loops(name, [])
        return settings

    def _check_stack(self, channel: ChannelSettings) -> None:
        for member in channel.channels if channel.driver == "stack" else []:
            if member not in self.channels:
                raise ConfigError(
                    f"log.channels.{channel.name}.channels names an unknown channel {member!r}; "
                    f"valid channels: {', '.join(self.channels)}"
                )


    def _check_loops(self, name: str, path: list[str]) -> None:
        if name in path:
            cycle = " -> ".join([*path, name])
            raise ConfigError(f"log.channels.{path[-1]}.channels makes a loop: {cycle}")
        channel = self.channels[name]
        for member in channel.channels if channel.driver == "stack" else []:
            self._check_loops(member, [*path, name])


def _check_keys(config: dict[str, Any]) -> None:
    check_known_keys(config, "config/log.yaml", _TOP_KEYS)


def _channels(raw: Any, base_path: Path) -> dict[str, ChannelSettings]:
    raw = {} if raw is None else raw
    if not isinstance(raw, dict):
        raise ConfigError(f"log.channels must be a mapping of channel names, got {raw!r}")
    merged = {**BUILT_IN_CHANNELS, **{_name(key): value for key, value in raw.items()}}
    return {
        name: ChannelSettings.from_config(name, value, base_path) for name, value in merged.items()
    }


def _name(key: Any) -> str:
    # YAML reads an unquoted `null:` key as None; it names the null channel.
    return "null" if key is None else str(key).strip()
