"""`config/app.yaml`: the application's name and environment, checked at start."""

from __future__ import annotations

from typing import Any

from equipment.Config.KnownKeys import check_known_keys
from equipment.Errors import ConfigError

#: The keys of `config/app.yaml`; settings of your own go in a file of their own.
APP_KEYS = ("name", "env")


def check_app_config(section: Any) -> None:
    """Refuse an `app` section that is not a mapping or has a key Equipment does not read."""
    if section is None:
        return
    if not isinstance(section, dict):
        raise ConfigError(f"config/app.yaml must be a mapping with name and env, got {section!r}")
    check_known_keys(section, "config/app.yaml", APP_KEYS)
