"""Makes the main thread run the handler of a signal that has arrived, whatever call it is in.

Python runs a signal's handler in the main thread, between two steps of Python code; the
signal itself only takes note of it (in C, on whichever thread the kernel picked). A call
the main thread is blocked in (a job's `time.sleep(30)`, a lock, a socket read) is cut short
only when the signal is delivered to the main thread *while* it is blocked there: a signal
that lands just as the main thread enters the call, or that the kernel gives to another
thread, leaves it blocked until the call returns by itself. For a stop signal that meant no
stop, no grace and no watchdog for as long as the job's call lasted.

So, while the loop runs: Python writes the number of each signal it takes note of to a
socket (`signal.set_wakeup_fd`), and every handler of ours empties that socket when it
runs. A daemon thread watches it: bytes still there `NUDGE_AFTER` after they came mean
the main thread has not run the handlers yet, and the thread sends it `SIGURG` (whose
handler here only empties the socket), which cuts its blocking call short; Python then runs
every handler pending, the stop's among them. It does so again, less and less often, while
the bytes stay. `SIGURG` is ignored by default and nothing else here uses it; when the
application handles it itself, or where there is no `SIGURG` or `pthread_kill` (Windows),
there are no nudges.
"""

from __future__ import annotations

import os
import select
import signal
import socket
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any

#: How long the main thread gets to run a handler on its own before it is nudged.
NUDGE_AFTER = 0.1
#: The longest wait between two nudges (a call that retries by itself when interrupted).
NUDGE_AT_MOST_EVERY = 1.0
_NUDGE = getattr(signal, "SIGURG", None)


class SignalNudge:
    def __init__(self) -> None:
        self._reader: socket.socket | None = None
        self._writer: socket.socket | None = None
        self._previous_fd = -1
        self._previous_handler: Any = None
        self._closing = threading.Event()
        self._thread: threading.Thread | None = None
        self._pid = 0  # the process that started it (a forked child shares the socket)

    def start(self) -> bool:
        """From the main thread: watch for signals whose handlers do not run. False when
        it cannot here (no SIGURG, no pthread_kill, SIGURG handled by the application)."""
        if _NUDGE is None or not hasattr(signal, "pthread_kill"):
            return False
        # (None: a handler installed outside Python, an embedding host's: theirs too.)
        if signal.getsignal(_NUDGE) not in (signal.SIG_DFL, signal.SIG_IGN):
            return False
        reader, writer = socket.socketpair()
        reader.setblocking(False)
        writer.setblocking(False)
        try:
            self._previous_fd = signal.set_wakeup_fd(writer.fileno(), warn_on_full_buffer=False)
        except (ValueError, OSError):
            reader.close()
            writer.close()
            return False
        self._reader, self._writer = reader, writer
        self._pid = os.getpid()
        global _watched_fd
        _watched_fd = writer.fileno()
        self._previous_handler = signal.signal(_NUDGE, self._nudged)
        main = threading.get_ident()  # (start() runs in the main thread)
        self._closing.clear()
        self._thread = threading.Thread(
            target=self._watch,
            args=(reader, main, _NUDGE),
            name="equipment-signal-nudge",
            daemon=True,
        )
        self._thread.start()
        return True

    def taken(self) -> None:
        """A handler of ours runs in the main thread: Python runs every pending handler at
        once, so the signals noted so far are being handled. Empties the socket.

        Not in a child forked from this process (a job's `os.fork`, multiprocessing's fork
        start method): it inherits our handlers and the socket, and a stop signal sent to
        both (a service manager stopping the whole group) would have its handlers empty
        the socket of this process's signal, whose handler then never ran."""
        reader = self._reader
        if reader is None or os.getpid() != self._pid:
            return
        try:
            while reader.recv(512):
                pass
        except OSError:  # empty (BlockingIOError), or closed
            pass

    def stop(self) -> None:
        """From the main thread: no more nudges; the wakeup fd and SIGURG as they were."""
        reader, writer, thread = self._reader, self._writer, self._thread
        if reader is None or writer is None or _NUDGE is None:
            return
        self._closing.set()
        global _watched_fd
        _watched_fd = -1
        signal.set_wakeup_fd(self._previous_fd)
        previous = self._previous_handler
        signal.signal(_NUDGE, signal.SIG_DFL if previous is None else previous)  # (None: set in C)
        try:
            writer.send(b"\0")  # wakes the watching thread, which sees it is closing
        except OSError:
            pass
        if thread is not None:
            thread.join(1.0)
        reader.close()
        writer.close()
        self._reader = self._writer = None
        self._thread = None

    def _nudged(self, signum: int, frame: FrameType | None) -> None:
        self.taken()

    def _watch(self, reader: socket.socket, main: int, nudge: int) -> None:
        delay = NUDGE_AFTER
        readable = _readable(reader)
        try:
            while not self._closing.is_set():
                readable(None)  # a signal was noted
                if self._closing.wait(delay):
                    return
                if not readable(0):
                    delay = NUDGE_AFTER  # its handler ran
                    continue
                signal.pthread_kill(main, nudge)
                delay = min(delay * 2, NUDGE_AT_MOST_EVERY)
        except (OSError, ValueError):  # the socket closed under it: nothing to watch
            return


def _readable(reader: socket.socket) -> Callable[[float | None], bool]:
    """`readable(timeout)`: whether `reader` has bytes, waiting `timeout` s (None: until it
    has). `poll` where there is one: `select` refuses a descriptor past FD_SETSIZE (1024),
    which a process with that many files open gets, and the watch would end at once."""
    if not hasattr(select, "poll"):
        return lambda timeout: bool(select.select([reader], [], [], timeout)[0])
    poller = select.poll()
    poller.register(reader, select.POLLIN)
    return lambda timeout: bool(poller.poll(None if timeout is None else timeout * 1000))


#: The wakeup fd of the nudge running in this process (-1: none).
_watched_fd = -1


def _leave_in_child() -> None:
    """In a child forked while a nudge runs (a job's `os.fork`, multiprocessing's fork):
    the child's signals are not the parent's to nudge for; Python stops writing them to
    the parent's socket, which would have the parent interrupted for nothing."""
    global _watched_fd
    if _watched_fd < 0:
        return
    try:
        previous = signal.set_wakeup_fd(-1)
        if previous != _watched_fd:  # not ours after all: as it was
            signal.set_wakeup_fd(previous)
    except (ValueError, OSError):  # not the main thread here (it is, after a fork)
        pass
    _watched_fd = -1


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_leave_in_child)
