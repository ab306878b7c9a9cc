"""A timer on the wall clock that also rings when the wall clock is set (Linux `timerfd`).

The loop sleeps on the monotonic clock, which never steps, while jobs fall due at wall-clock
instants. When the wall clock is set (an NTP step, a VM or a laptop resumed, `date -s`), the
two part, and a loop sleeping an hour on the monotonic clock would start its job late by the
step. Linux can tell at once: a `timerfd` on CLOCK_REALTIME armed for an absolute instant
with TFD_TIMER_CANCEL_ON_SET becomes readable at that instant, or as soon as the clock is
set (its read then fails with ECANCELED). systemd runs its calendar timers this way. So
the loop can sleep until its next job however far away it is, and wake for nothing else.

Python has `os.timerfd_*` only from 3.13, so this calls the C library through `ctypes`.
Where there is no timerfd (macOS, Windows, a seccomp profile that forbids it), `open()`
returns None and the loop falls back on waking every `max_sleep` to look at the clock.
"""

from __future__ import annotations

import ctypes
import errno
import math
import os
import sys
from typing import Any

CLOCK_REALTIME = 0
TFD_TIMER_ABSTIME = 1
TFD_TIMER_CANCEL_ON_SET = 2
TFD_NONBLOCK = getattr(os, "O_NONBLOCK", 0)  # (absent on Windows, where open() says None)
TFD_CLOEXEC = getattr(os, "O_CLOEXEC", 0)

#: What a read of the timer says (`WallTimer.rang`).
EXPIRED, CLOCK_SET = "expired", "clock set"


class _Timespec(ctypes.Structure):
    _fields_ = [("tv_sec", ctypes.c_long), ("tv_nsec", ctypes.c_long)]


class _Itimerspec(ctypes.Structure):
    _fields_ = [("it_interval", _Timespec), ("it_value", _Timespec)]


def _libc() -> Any | None:
    if not sys.platform.startswith("linux"):
        return None
    try:  # the process's own symbols: glibc and musl (Alpine) both export timerfd_*
        libc = ctypes.CDLL(None, use_errno=True)
        libc.timerfd_create.argtypes = [ctypes.c_int, ctypes.c_int]
        libc.timerfd_settime.argtypes = [
            ctypes.c_int,
            ctypes.c_int,
            ctypes.POINTER(_Itimerspec),
            ctypes.POINTER(_Itimerspec),
        ]
    except (OSError, AttributeError):  # no timerfd in this C library
        return None
    return libc


class WallTimer:
    """One timerfd: `arm(at)`, wait until `fileno()` is readable, then `rang()` says why."""

    def __init__(self, libc: Any, fd: int) -> None:
        self._libc = libc
        # A file object owns the descriptor: it is closed with the timer, or when collected.
        self._file = open(fd, "rb", buffering=0, closefd=True)  # noqa: SIM115

    @classmethod
    def open(cls) -> WallTimer | None:
        """A timer, or None where the system has none."""
        libc = _libc()
        if libc is None:
            return None
        fd = libc.timerfd_create(CLOCK_REALTIME, TFD_NONBLOCK | TFD_CLOEXEC)
        if fd < 0:
            return None
        timer = cls(libc, fd)
        try:
            timer.arm(0.0)  # the flags are checked here: a kernel older than 3.0 refuses them
        except OSError:
            timer.close()
            return None
        timer.rang()
        return timer

    def fileno(self) -> int:
        return self._file.fileno()

    def arm(self, at: float) -> None:
        """Become readable at `at` (seconds since the epoch, on the wall clock), or as soon
        as the wall clock is set. An instant already past rings at once."""
        fraction, whole = math.modf(max(at, 0.0))
        spec = _Itimerspec()
        spec.it_value.tv_sec = int(whole)
        spec.it_value.tv_nsec = min(int(fraction * 1e9), 999_999_999)
        if whole == 0 and spec.it_value.tv_nsec == 0:
            spec.it_value.tv_nsec = 1  # zero would disarm the timer instead
        flags = TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET
        if self._libc.timerfd_settime(self.fileno(), flags, ctypes.byref(spec), None) != 0:
            code = ctypes.get_errno()
            raise OSError(code, os.strerror(code))

    def rang(self) -> str | None:
        """Why the timer is readable: EXPIRED, CLOCK_SET, or None when it has not rung."""
        try:
            count = self._file.read(8)  # how many times it expired; None: not yet
        except OSError as error:
            # ECANCELED: the clock was set. Anything else cannot say; the loop looks again.
            return CLOCK_SET if error.errno == errno.ECANCELED else None
        return None if count is None else EXPIRED

    def close(self) -> None:
        self._file.close()
