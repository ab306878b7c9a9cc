"""The shared base of every error Equipment raises for a user's mistake.

Commands catch `EquipmentError` and print its message as one line with a non-zero exit code,
so each message must say what is wrong and where (file, key or job), and ideally the fix.
"""

import functools
import os
import sys
from pathlib import Path

#: Equipment's own files: a frame in one is not the user's code.
_PACKAGE = os.path.dirname(os.path.abspath(__file__)) + os.sep
#: Where installed packages live, even under the standard library's folder (see `_is_stdlib`).
_SITE_FOLDERS = (f"{os.sep}site-packages{os.sep}", f"{os.sep}dist-packages{os.sep}")


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
    message is left as it is (the run's own log line names the job). So it is when the
    standard library made it (a thread's target, an executor's task): its line is no
    mistake of the user's."""
    frame = sys._getframe(1)
    package = os.path.dirname(frame.f_code.co_filename) + os.sep
    while frame is not None and frame.f_code.co_filename.startswith(package):
        frame = frame.f_back
    if frame is None:
        return message
    filename = frame.f_code.co_filename
    if filename.startswith(_PACKAGE) or _is_stdlib(filename):
        return message
    try:
        base: Path | None = Path.cwd()
    except OSError:  # the working folder was removed: name the file in full
        base = None
    return f"{display_path(Path(filename), base)}:{frame.f_lineno}: {message}"


def _is_stdlib(filename: str) -> bool:
    """Whether `filename` is a module of the standard library (not an installed package,
    which a Python without a venv keeps under the same folder)."""
    if filename.startswith("<frozen "):
        return True
    return filename.startswith(_stdlib()) and not any(part in filename for part in _SITE_FOLDERS)


@functools.cache
def _stdlib() -> tuple[str, ...]:
    """The standard library's folders (asked for only when a refusal is named: a venv's
    `platstdlib` is the folder of its site-packages)."""
    import sysconfig

    paths = sysconfig.get_paths()
    folders = (paths.get(key) for key in ("stdlib", "platstdlib"))
    return tuple({os.path.join(os.path.abspath(folder), "") for folder in folders if folder})
