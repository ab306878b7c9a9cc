"""What ends the loop's sleep early: `should_exit = True`, `stop()`, or a stop signal.

A `threading.Event` cannot be set from a signal handler safely: the handler runs in the
main thread, which may be holding the Event's lock at that very moment (entering or
leaving its own wait), and the process then deadlocks on the first stop signal. This wake-up
takes no lock: `set()` raises a flag and writes a byte to a pipe; `wait()` sleeps in
`select()` on that pipe. The pipe exists only while someone waits on it (the loop), so a
scheduler that never runs its loop holds no file descriptors.
"""

from __future__ import annotations

import contextlib
import os
import select


class Wakeup:
    def __init__(self) -> None:
        self._flag = False
        self._pipe: tuple[int, int] | None = None

    def is_set(self) -> bool:
        return self._flag

    def set(self) -> None:
        self._flag = True
        pipe = self._pipe
        if pipe is not None:
            with contextlib.suppress(OSError):  # full (already woken) or closed meanwhile
                os.write(pipe[1], b"!")

    def clear(self) -> None:
        self._flag = False

    def wait(self, timeout: float) -> bool:
        """Sleep up to `timeout` seconds or until `set()`; True if set."""
        if self._pipe is None:
            reader, writer = os.pipe()
            os.set_blocking(reader, False)
            os.set_blocking(writer, False)
            self._pipe = (reader, writer)
        if not self._flag:
            select.select([self._pipe[0]], [], [], max(0.0, timeout))
            with contextlib.suppress(OSError):
                os.read(self._pipe[0], 512)
        return self._flag

    def close(self) -> None:
        """Release the pipe (the loop has ended); `set()` keeps working as a flag."""
        pipe, self._pipe = self._pipe, None
        if pipe is not None:
            for fd in pipe:
                os.close(fd)
