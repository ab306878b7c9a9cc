"""The shared base of every error Equipment raises for a user's mistake.

Commands catch `EquipmentError` and print its message as one line with a non-zero exit code,
so each message must say what is wrong and where (file, key or job), and ideally the fix.
"""


class EquipmentError(Exception):
    """A mistake in the user's code, configuration or command line."""


class ConfigError(EquipmentError):
    """A configuration file or value is missing or invalid."""
