"""What ends the loop's sleep early: `should_exit = True`, `stop()`, or a stop signal.

A `threading.Event` cannot be set from a signal handler safely: the handler runs in the
main thread, which may be holding the Event's internal lock at that very moment (entering
or leaving its own wait), and the process then deadlocks on the first stop signal. This
wake-up is a flag and a bare lock used as a gate, closed while nobody has woken the loop:
`wait()` blocks acquiring it, `set()` releases it. Releasing a lock takes no other lock,
so it is safe from a signal handler (the interrupted acquire runs the handler, then
succeeds), and a lock's timed acquire wakes as promptly as an Event does.
"""

from __future__ import annotations

import threading


class Wakeup:
    def __init__(self) -> None:
        self._flag = False
        self._gate = threading.Lock()
        self._gate.acquire()  # closed: wait() blocks until set()

    def is_set(self) -> bool:
        return self._flag

    def set(self) -> None:
        self._flag = True
        try:
            self._gate.release()
        except RuntimeError:
            pass  # already open: woken before, nobody has waited since

    def clear(self) -> None:
        self._flag = False
        self._gate.acquire(blocking=False)  # close it again if a set() opened it

    def wait(self, timeout: float) -> bool:
        """Sleep up to `timeout` seconds or until `set()`; True if set."""
        if not self._flag:
            self._gate.acquire(timeout=max(0.0, timeout))  # taking it closes it again
        return self._flag
