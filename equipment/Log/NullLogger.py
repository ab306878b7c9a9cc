"""A logger that drops everything: the default where no logger is given."""

from typing import Any

from equipment.Log.AbstractLogger import AbstractLogger


class NullLogger(AbstractLogger):
    def is_enabled_for(self, level: int) -> bool:
        return False

    def log(self, level: int, msg: str, *args: Any, **kwargs: Any) -> None:
        return None
