"""The shared base of every error Equipment raises for a user's mistake.

Commands catch `EquipmentError` and print its message as one line with a non-zero exit code,
so each message must say what is wrong and where (file, key or job), and ideally the fix.
"""

import os
import sys
from pathlib import Path

#: Equipment's own files: a frame in one is not the user's code.
_PACKAGE = os.path.dirname(os.path.abspath(__file__)) + os.sep


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


def at_caller(message: str) -> str:
    """`message` after the `file:line` of the user's code that made the call it refuses, as
    a config error starts with its file's and line. The call is traced back out of the
    refusing function's package (`equipment/Queue`); when Equipment itself made it (a job
    run calling `do(queue.on, "")`), the line that started Equipment would mislead, so the
    message is left as it is (the run's own log line names the job)."""
    frame = sys._getframe(1)
    package = os.path.dirname(frame.f_code.co_filename) + os.sep
    while frame is not None and frame.f_code.co_filename.startswith(package):
        frame = frame.f_back
    if frame is None or frame.f_code.co_filename.startswith(_PACKAGE):
        return message
    try:
        base: Path | None = Path.cwd()
    except OSError:  # the working folder was removed: name the file in full
        base = None
    return f"{display_path(Path(frame.f_code.co_filename), base)}:{frame.f_lineno}: {message}"
