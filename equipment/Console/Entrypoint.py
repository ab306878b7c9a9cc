"""`@entrypoint` for a project's scripts (`main.py`, `scheduler.py`, `queues.py`).

A user's mistake (an `EquipmentError`: bad config, a job registered wrongly; or one of the
`schedule` library's own `ScheduleError`s, which it raises for a wrong schedule) is one line,
`error: <message>`, on stderr and exit code 2, not a traceback; Ctrl-C that reaches the
script is one line and exit code 130. Anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any, NoReturn

from equipment.Console.CommandError import USER_ERROR, USER_MISTAKES

INTERRUPTED = 130
#: Set on every `@entrypoint` function, so that `--app` refuses to call one.
ENTRYPOINT_MARK = "__equipment_entrypoint__"


def run_entrypoint(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> int:
    """Call `fn` and return the exit code a script should end with."""
    try:
        result = fn(*args, **kwargs)
    except USER_MISTAKES as error:
        print(f"error: {error}", file=sys.stderr)
        return USER_ERROR
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return INTERRUPTED
    if isinstance(result, int) and not isinstance(result, bool):
        return result
    return 0


def entrypoint(fn: Callable[..., Any]) -> Callable[..., NoReturn]:
    """Make `fn` a script's main function: calling it runs `fn`, then exits with its code."""

    @functools.wraps(fn)
    def main(*args: Any, **kwargs: Any) -> NoReturn:
        sys.exit(run_entrypoint(fn, *args, **kwargs))

    setattr(main, ENTRYPOINT_MARK, True)
    return main
