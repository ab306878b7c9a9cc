"""Refuse keys a framework config file does not have: a typo must not pass silently."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from equipment.Errors import ConfigError


def check_known_keys(section: Mapping[Any, Any], file: str, known: Iterable[str]) -> None:
    """Raise a one-line `ConfigError` naming `file` and the first unknown key of `section`."""
    names = sorted(known)
    unknown = sorted(str(key) for key in section if key not in names)
    if unknown:
        raise ConfigError(
            f"{file}: unknown key {unknown[0]!r} (known keys: {', '.join(names)})"
        )
