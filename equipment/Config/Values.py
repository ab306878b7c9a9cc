"""Converters for config values the framework itself reads.

Values from the environment arrive as strings ("5", "true"); each converter accepts the
natural spellings, and raises a `ConfigError` naming the key and the value when it cannot.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any, TypeVar

from equipment.Errors import ConfigError

_Default = TypeVar("_Default", int, None)

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "")


def as_seconds(
    value: Any,
    key: str,
    default: float,
    *,
    minimum: float = 0.0,
    maximum: float | None = None,
    above_minimum: bool = False,
    unit: str = "seconds",
) -> float:
    """A finite number of seconds (int, float or numeric string) within the given bounds.

    `above_minimum` makes the minimum itself invalid (`max_sleep` must be more than 0). Every
    value out of range gets the same message, stating the whole range (in `unit`: a setting
    in days says days). YAML's `true` is no number, though Python counts it as 1.
    """
    if _blank(value):
        return default
    try:
        if isinstance(value, bool):
            raise TypeError(value)
        seconds = float(value.strip() if isinstance(value, str) else value)
    except (TypeError, ValueError):
        raise ConfigError(f"{key} must be a number of {unit}, got {value!r}") from None
    if seconds != seconds or seconds in (float("inf"), float("-inf")):
        raise ConfigError(f"{key} must be a finite number of {unit}, got {value!r}")
    low = seconds <= minimum if above_minimum else seconds < minimum
    if low or (maximum is not None and seconds > maximum):
        bounds = _range(minimum, maximum, above_minimum)
        raise ConfigError(f"{key} must be {bounds} {unit}, got {value!r}")
    return seconds


def _range(minimum: float, maximum: float | None, above_minimum: bool) -> str:
    low = f"more than {_number(minimum)}" if above_minimum else f"at least {_number(minimum)}"
    if maximum is None:
        return low
    if above_minimum:
        return f"{low} and at most {_number(maximum)}"
    return f"between {_number(minimum)} and {_number(maximum)}"


def _number(value: float) -> str:
    """'86400', '0.5': whole numbers in full, never as '8.64e+04'."""
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def as_int(
    value: Any, key: str, default: int, *, minimum: int | None = None, maximum: int | None = None
) -> int:
    if _blank(value):
        return default
    if isinstance(value, bool):
        raise ConfigError(f"{key} must be a whole number, got {value!r}")
    try:
        number = int(value.strip() if isinstance(value, str) else value)
    except (TypeError, ValueError):
        raise ConfigError(f"{key} must be a whole number, got {value!r}") from None
    low = minimum is not None and number < minimum
    high = maximum is not None and number > maximum
    if low or high:
        # Like `as_seconds`: with both bounds, either side gets the same message, the range.
        if minimum is not None and maximum is not None:
            raise ConfigError(f"{key} must be between {minimum} and {maximum}, got {value!r}")
        if low:
            raise ConfigError(f"{key} must be at least {minimum}, got {value!r}")
        raise ConfigError(f"{key} must be at most {maximum}, got {value!r}")
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


_LEVELS = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warning": logging.WARNING,
    "warn": logging.WARNING,
    "error": logging.ERROR,
    "critical": logging.CRITICAL,
}


def as_level(value: Any, key: str, default: _Default) -> int | _Default:
    """A logging level: a name in any case with any surrounding spaces (" Debug "), or a number."""
    if _blank(value):
        return default
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    text = str(value).strip().lower()
    if text.isdigit():
        return int(text)
    if text in _LEVELS:
        return _LEVELS[text]
    valid = ", ".join(name for name in _LEVELS if name != "warn")
    raise ConfigError(f"{key} must be a log level ({valid}), got {value!r}")


def as_choice(value: Any, key: str, choices: Iterable[str], default: str) -> str:
    """One of `choices`, ignoring case and surrounding spaces; returned as listed."""
    if _blank(value):
        return default
    options = list(choices)
    text = str(value).strip().lower()
    for option in options:
        if option.lower() == text:
            return option
    raise ConfigError(f"{key} must be one of {', '.join(options)}; got {value!r}")


def as_list(value: Any, key: str, default: list[str]) -> list[str]:
    """A list of names: a YAML/JSON list, or a comma-separated string ("console, daily")."""
    if _blank(value):
        return list(default)
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    if isinstance(value, (list, tuple)):
        return [as_str(item, f"{key}[{i}]", "") for i, item in enumerate(value)]
    raise ConfigError(f"{key} must be a list of names, got {value!r}")


def as_path(value: Any, key: str, base: Path, default: str) -> Path:
    """A file path; a relative one is taken relative to `base` (the project's folder). A
    trailing slash, which `Path` would drop, names a folder: refused, not read as a file."""
    text = as_str(value, key, default)
    if text.endswith(("/", os.sep)):
        raise ConfigError(
            f"{key}: {text!r} ends with a '/', so it names a folder; give the path of a file "
            f"in it (e.g. {text}app.log)"
        )
    path = Path(text).expanduser()
    return path if path.is_absolute() else Path(base) / path
