"""Converters for config values the framework itself reads.

Values from the environment arrive as strings ("5", "true"); each converter accepts the
natural spellings, and raises a `ConfigError` naming the key and the value when it cannot.
"""

from __future__ import annotations

from typing import Any

from equipment.Errors import ConfigError

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "")


def as_seconds(value: Any, key: str, default: float, *, minimum: float = 0.0) -> float:
    """A non-negative number of seconds (int, float or numeric string)."""
    if _blank(value):
        return default
    try:
        seconds = float(value.strip() if isinstance(value, str) else value)
    except (TypeError, ValueError):
        raise ConfigError(f"{key} must be a number of seconds, got {value!r}") from None
    if seconds != seconds or seconds in (float("inf"), float("-inf")):
        raise ConfigError(f"{key} must be a finite number of seconds, got {value!r}")
    if seconds < minimum:
        raise ConfigError(f"{key} must be at least {minimum:g} seconds, got {value!r}")
    return seconds


def as_int(value: Any, key: str, default: int, *, minimum: int | None = None) -> int:
    if _blank(value):
        return default
    if isinstance(value, bool):
        raise ConfigError(f"{key} must be a whole number, got {value!r}")
    try:
        number = int(value.strip() if isinstance(value, str) else value)
    except (TypeError, ValueError):
        raise ConfigError(f"{key} must be a whole number, got {value!r}") from None
    if minimum is not None and number < minimum:
        raise ConfigError(f"{key} must be at least {minimum}, got {value!r}")
    return number


def as_bool(value: Any, key: str, default: bool) -> bool:
    if _blank(value):
        return default
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ConfigError(f"{key} must be true or false, got {value!r}")


def as_str(value: Any, key: str, default: str) -> str:
    if _blank(value):
        return default
    if not isinstance(value, (str, int, float)) or isinstance(value, bool):
        raise ConfigError(f"{key} must be text, got {value!r}")
    return str(value).strip()
