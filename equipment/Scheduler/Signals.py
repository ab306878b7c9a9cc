"""SIGTERM and SIGINT as a stop request; a second one, or the grace running out, as a hard stop.

Handlers are installed only in the main thread (Python allows nothing else) and restored
when the loop ends, so a scheduler run inside tests or another app leaves no trace.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


class ShutdownGraceExpired(BaseException):
    """Raised into a job that was still running when `shutdown_grace` ran out.

    A BaseException, so that the job's own `except Exception` blocks do not swallow it.
    """


class StopSignals:
    def __init__(self, on_stop: Callable[[str], None]) -> None:
        self.on_stop = on_stop
        self.received = 0
        self._previous: dict[int, Any] = {}

    def install(self) -> bool:
        if threading.current_thread() is not threading.main_thread():
            return False
        for signum in STOP_SIGNALS:
            self._previous[signum] = signal.signal(signum, self._handle)
        return True

    def restore(self) -> None:
        self.disarm_grace()
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        self._previous.clear()

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        self.received += 1
        name = signal.Signals(signum).name
        if self.received > 1:
            raise KeyboardInterrupt(f"second stop signal ({name}): stopping at once")
        self.on_stop(name)

    def arm_grace(self, seconds: float) -> None:
        """After `seconds`, raise ShutdownGraceExpired in the main thread (where jobs run)."""
        if not self._previous or not hasattr(signal, "setitimer"):
            return
        signal.signal(signal.SIGALRM, _expire)
        signal.setitimer(signal.ITIMER_REAL, max(seconds, 0.001))

    def disarm_grace(self) -> None:
        if self._previous and hasattr(signal, "setitimer"):
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, signal.SIG_DFL)


def _expire(signum: int, frame: FrameType | None) -> None:
    raise ShutdownGraceExpired()
