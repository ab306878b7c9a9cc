"""What ends the loop's sleep early: `should_exit = True`, `stop()`, or a stop signal.

A `threading.Event` cannot be set from a signal handler safely: the handler runs in the
main thread, which may be holding the Event's internal lock at that very moment (entering
or leaving its own wait), and the process then deadlocks on the first stop signal. This
wake-up is a flag and a bare lock used as a gate, closed while nobody has woken the loop:
`wait()` blocks acquiring it, `set()` releases it. Releasing a lock takes no other lock,
so it is safe from a signal handler (the interrupted acquire runs the handler, then
succeeds), and a lock's timed acquire wakes as promptly as an Event does.

Where the loop also waits for the wall clock (`WallTimer`), it waits with `poll` on both
this wake-up's `fileno()` and the timer: a pipe made on first use, written to by `set()`.
Writing a byte to a pipe takes no lock either.
"""

from __future__ import annotations

import io
import os
import threading


class Wakeup:
    def __init__(self) -> None:
        self._flag = False
        self._gate = threading.Lock()
        self._gate.acquire()  # closed: wait() blocks until set()
        self._pipe: tuple[io.FileIO, io.FileIO] | None = None  # made by fileno()

    def is_set(self) -> bool:
        return self._flag

    def set(self) -> None:
        self._flag = True
        try:
            self._gate.release()
        except RuntimeError:
            pass  # already open: woken before, nobody has waited since
        pipe = self._pipe
        if pipe is not None:
            try:
                pipe[1].write(b"!")
            except (BlockingIOError, ValueError):
                pass  # full (woken already), or closed (the loop is over)

    def clear(self) -> None:
        self._flag = False
        self._gate.acquire(blocking=False)  # close it again if a set() opened it
        self.drain()

    def drain(self) -> None:
        """Empty the pipe (the gate is closed by the wait it opened): a `set()` that raced
        a `clear()` can leave a byte there with the flag down, which is stale."""
        pipe = self._pipe
        if pipe is not None:
            try:
                while pipe[0].read(512):
                    pass
            except ValueError:
                pass  # closed meanwhile: the loop is over

    def fileno(self) -> int:
        """A descriptor that is readable once `set()` was called (see the module's doc)."""
        if self._pipe is None:
            read, write = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
            self._pipe = (io.FileIO(read, "rb"), io.FileIO(write, "wb"))
            if self._flag:
                self._pipe[1].write(b"!")
        return self._pipe[0].fileno()

    def close(self) -> None:
        """Close the pipe, if one was made (the wake-up still works without it)."""
        pipe, self._pipe = self._pipe, None
        if pipe is not None:
            pipe[0].close()
            pipe[1].close()

    def wait(self, timeout: float) -> bool:
        """Sleep up to `timeout` seconds or until `set()`; True if set."""
        if not self._flag:
            self._gate.acquire(timeout=max(0.0, timeout))  # taking it closes it again
        return self._flag
