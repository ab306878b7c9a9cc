"""One validated entry of `log.channels`: where a channel writes and how."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from equipment.Config.Values import as_bool, as_choice, as_int, as_level, as_list, as_path
from equipment.Errors import ConfigError

DEFAULT_PATH = "storage/logs/equipment.log"
DEFAULT_DAYS = 14
MAX_DAYS = 3650  # ten years; far larger would overflow the date arithmetic of pruning

# The keys each driver understands; anything else is a typo worth reporting.
DRIVER_KEYS: dict[str, tuple[str, ...]] = {
    "console": ("driver", "level", "json"),
    "single": ("driver", "level", "json", "path"),
    "daily": ("driver", "level", "json", "path", "days"),
    "stack": ("driver", "level", "json", "channels"),
    "null": ("driver",),
}


@dataclass(frozen=True)
class ChannelSettings:
    name: str
    driver: str
    level: int | None = None
    json: bool | None = None
    path: Path | None = None
    days: int = DEFAULT_DAYS
    channels: list[str] = field(default_factory=list)

    @classmethod
    def from_config(cls, name: str, raw: Any, base_path: Path) -> ChannelSettings:
        """Validate `log.channels.<name>`; `driver` defaults to the name when that is one."""
        key = f"log.channels.{name}"
        raw = {} if raw is None else raw
        if not isinstance(raw, dict):
            raise ConfigError(f"{key} must be a mapping such as {{driver: console}}, got {raw!r}")
        driver = _driver(raw, name, key)
        _check_keys(raw, driver, key)
        return cls(
            name=name,
            driver=driver,
            level=as_level(raw.get("level"), f"{key}.level", None),
            json=_optional_bool(raw.get("json"), f"{key}.json"),
            path=as_path(raw.get("path"), f"{key}.path", base_path, DEFAULT_PATH),
            days=as_int(
                raw.get("days"), f"{key}.days", DEFAULT_DAYS, minimum=0, maximum=MAX_DAYS
            ),
            channels=as_list(raw.get("channels"), f"{key}.channels", []),
        )


def _driver(raw: dict[str, Any], name: str, key: str) -> str:
    # YAML reads an unquoted `null` as None: `driver: null` means the null driver.
    value = raw.get("driver", name if name in DRIVER_KEYS else "")
    value = "null" if value is None else value
    if value == "":
        raise ConfigError(f"{key}.driver is missing; valid drivers: {', '.join(DRIVER_KEYS)}")
    return as_choice(value, f"{key}.driver", DRIVER_KEYS, "")


def _check_keys(raw: dict[str, Any], driver: str, key: str) -> None:
    valid = DRIVER_KEYS[driver]
    for option in raw:
        if option not in valid:
            raise ConfigError(
                f"{key}.{option} is not a setting of the {driver} driver; "
                f"valid settings: {', '.join(valid)}"
            )


def _optional_bool(value: Any, key: str) -> bool | None:
    return None if value is None or value == "" else as_bool(value, key, False)
