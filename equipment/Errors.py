"""The shared base of every error Equipment raises for a user's mistake.

Commands catch `EquipmentError` and print its message as one line with a non-zero exit code,
so each message must say what is wrong and where (file, key or job), and ideally the fix.
"""

from pathlib import Path


class EquipmentError(Exception):
    """A mistake in the user's code, configuration or command line."""


class ConfigError(EquipmentError):
    """A configuration file or value is missing or invalid."""


def display_path(path: Path, base: Path | None) -> str:
    """`path` as a message names it: relative to `base` when it lies under it."""
    if base is not None:
        try:
            return path.relative_to(base).as_posix()
        except ValueError:
            pass
    return str(path)
