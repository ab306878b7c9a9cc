"""SIGTERM, SIGINT and SIGHUP as a stop request; a second one, or the grace running out, as a
hard stop.

Handlers are installed only in the main thread (Python allows nothing else) and restored
when the loop ends, so a scheduler run inside tests or another app leaves no trace. After a
stop signal the process is on its way out instead: a `StopWatchdog` makes sure it ends, and
a further stop signal, even after the loop ended, still ends it at once with code 130 when
the main thread can run the handler (Python runs handlers only there: a main thread blocked
for good, as in interpreter exit joining a leftover thread, runs it only when it wakes; the
watchdog's bound still applies).

SIGHUP (the terminal closed, or a process manager's hang-up) is a graceful stop like
SIGTERM; when the process was started with SIGHUP ignored (`nohup`), it stays ignored.

A signal that does not cut short the call the main thread is blocked in (it landed as the
call began, or another thread took it) would wait for that call to return: `SignalNudge`
makes the main thread run the handlers anyway.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable
from types import FrameType
from typing import Any, NoReturn

from equipment.Log.AbstractLogger import AbstractLogger
from equipment.Log.NullLogger import NullLogger
from equipment.Scheduler.Abandon import (
    RunningRun,
    leave_now,
    leftover_threads,
    run_fields,
    thread_names,
)
from equipment.Scheduler.SignalNudge import SignalNudge
from equipment.Scheduler.StopWatchdog import StopWatchdog

STOP_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGTERM", "SIGINT", "SIGHUP") if hasattr(signal, name)
)
# Exit code of a stop "at once" (a second stop signal): the shell's code for Ctrl-C.
AT_ONCE = 130
#: A stop signal this soon after the first (seconds) is the same request, not a second one:
#: GNU `timeout`, and supervisors that signal the process and then its group, send it twice
#: within a millisecond. A person's quick second Ctrl-C (100 ms and more) is a second one.
SAME_STOP = 0.05


class ShutdownGraceExpired(BaseException):
    """Raised into a job that was still running when `shutdown_grace` ran out.

    A BaseException, so that the job's own `except Exception` blocks do not swallow it.
    """


class StopSignals:
    def __init__(
        self,
        on_stop: Callable[[str], None],
        current_run: Callable[[], RunningRun | None] = lambda: None,
        log: Callable[[], AbstractLogger] = NullLogger,
        on_abandon: Callable[[str], None] = lambda why: None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        """`current_run()` gives the run in progress (or None), `log()` the logger to use;
        `on_abandon(why)` is called just before the process leaves at once."""
        self.on_stop = on_stop
        self.current_run = current_run
        self.log = log
        self.on_abandon = on_abandon
        self.received = 0
        self.monotonic = monotonic
        self._first_at: float | None = None  # when the first stop signal came
        self.watchdog: StopWatchdog | None = None
        self.nudge = SignalNudge()
        self._previous: dict[int, Any] = {}

    def install(self) -> bool:
        if threading.current_thread() is not threading.main_thread():
            return False
        self.received, self._first_at = 0, None  # a run after an earlier stop starts afresh
        for signum in STOP_SIGNALS:
            if signum == _SIGHUP and signal.getsignal(signum) == signal.SIG_IGN:
                continue  # nohup: the user asked for hang-ups to be ignored
            self._previous[signum] = signal.signal(signum, self._handle)
        self.nudge.start()
        return True

    def restore(self) -> None:
        """The loop ended: put the previous handlers back, or, after a stop signal, keep
        "a further signal stops at once" (and the nudges) and let the watchdog bound what
        is left."""
        self.disarm_grace()
        if self.watchdog is not None:
            self.watchdog.loop_ended()
            for signum in self._previous:
                signal.signal(signum, self._after_the_loop)
        else:
            self.nudge.stop()
            for signum, handler in self._previous.items():
                signal.signal(signum, handler)
        self._previous.clear()

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        self.nudge.taken()
        if self._same_stop():
            return
        self.received += 1
        if self.received > 1:
            self._at_once(signum, frame)
        self.on_stop(signal.Signals(signum).name)

    def _after_the_loop(self, signum: int, frame: FrameType | None) -> None:
        self.nudge.taken()
        if not self._same_stop():
            self._at_once(signum, frame)

    def _same_stop(self) -> bool:
        """Whether this signal repeats the first within `SAME_STOP` (the process and its
        group signalled together): the stop already asked for, not a second one."""
        now = self.monotonic()
        if self._first_at is None:
            self._first_at = now
            return False
        return now - self._first_at < SAME_STOP

    def _at_once(self, signum: int, frame: FrameType | None) -> NoReturn:
        self.nudge.taken()
        name = signal.Signals(signum).name
        self.disarm_grace()  # its alarm must not cut this handler short
        run = self.current_run()
        try:
            self.on_abandon(f"a second {name} stopped the scheduler at once")
        except BaseException:  # noqa: BLE001 - best effort: leaving now is what matters
            pass
        threads = leftover_threads()
        left = f"; threads left running: {thread_names(threads)}" if threads else ""
        if run is None:
            leave_now(AT_ONCE, self.log(), "Scheduler stopping at once (second %s)%s", name, left)
        leave_now(
            AT_ONCE,
            self.log(),
            "Scheduler stopping at once (second %s): job %s abandoned (run %s)%s",
            name,
            run.job_id,
            run.run_id,
            left,
            **run_fields(run),
        )

    def arm_grace(self, seconds: float) -> None:
        """After `seconds`, raise ShutdownGraceExpired in the main thread (where jobs run);
        from now on, a `StopWatchdog` bounds how long the process may still live."""
        if not self._previous:
            return
        if self.watchdog is None:
            self.watchdog = StopWatchdog(self.log(), self.current_run, seconds, self.on_abandon)
            self.watchdog.start()
        if hasattr(signal, "setitimer"):
            signal.signal(signal.SIGALRM, self._expire)
            signal.setitimer(signal.ITIMER_REAL, max(seconds, 0.001))

    def _expire(self, signum: int, frame: FrameType | None) -> None:
        self.nudge.taken()
        raise ShutdownGraceExpired("the scheduler was stopping and shutdown_grace ran out")

    def disarm_grace(self) -> None:
        if self._previous and hasattr(signal, "setitimer"):
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, signal.SIG_DFL)


_SIGHUP = getattr(signal, "SIGHUP", None)

