"""Time as an input: the scheduler asks a `Clock` for now, and sleeps through it.

`SystemClock` is production time. `FakeClock` is a clock tests move by hand: its `sleep`
advances `now` instantly, so a simulated hour of scheduling takes milliseconds, and
`jump()` steps the wall clock without the monotonic one, as an NTP step or a VM resume does.
"""

from __future__ import annotations

import datetime as dt
import math
import select
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from equipment.Scheduler.WallTimer import WallTimer

UTC = dt.UTC


class Wake(Protocol):
    """What can end a sleep early (`threading.Event`, or the loop's signal-safe `Wakeup`,
    whose `fileno()` lets a clock wait on it and on its wall-clock timer at once)."""

    def is_set(self) -> bool: ...

    def wait(self, timeout: float) -> bool: ...


class Clock(ABC):
    @abstractmethod
    def now(self) -> dt.datetime:
        """The wall-clock time, aware, in UTC."""

    @abstractmethod
    def monotonic(self) -> float:
        """Seconds on a clock that never steps; only differences mean anything."""

    @abstractmethod
    def sleep(self, seconds: float, wake: Wake | None = None) -> bool:
        """Wait `seconds`, or less if `wake` is set. Returns True when woken early."""

    def close(self) -> None:  # noqa: B027 - most clocks hold nothing
        """Release what the clock holds (the loop calls it when it ends)."""

    def sleep_until_due(
        self,
        seconds: float,
        wake: Wake | None = None,
        ready: Callable[[], object] | None = None,
        ready_ahead: float = 0.0,
    ) -> bool:
        """`sleep` until a job is due: a clock may trade a little CPU for ending on time,
        and call `ready()` shortly before the end (`ready_ahead` seconds at least, when it
        is known to take that long) to get the pass ready."""
        return self.sleep(seconds, wake)

    @property
    def watches_wall_clock(self) -> bool:
        """Whether a sleep also ends when the wall clock gets ahead of the monotonic one,
        or is set: then the loop need not wake every `max_sleep` to look (`WallTimer`)."""
        return False


class SystemClock(Clock):
    def __init__(self) -> None:
        self._timer: WallTimer | None = None
        self._timer_tried = False

    def now(self) -> dt.datetime:
        # `dt.datetime` is looked up at each call, so tests that patch `datetime.datetime`
        # (as `schedule`'s own test-suite does) move this clock too.
        return dt.datetime.now(UTC)

    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float, wake: Wake | None = None) -> bool:
        """Also ended, where the system can tell (`WallTimer`), when the wall clock gets
        `seconds` ahead first (it was set forward, or the machine was suspended) or is
        set: True then too, so that the loop looks at the clock again.

        A wait that ends early with `wake` not set (a `set()` that a `clear()` had already
        answered left the gate open, or a byte in the pipe) is resumed, never taken for the
        end of the sleep: the loop would get a pass ready, or poll the clock, too early."""
        seconds = max(0.0, seconds)
        if wake is None:
            time.sleep(seconds)
            return False
        deadline = time.monotonic() + seconds
        watching = seconds >= SPIN_AFTER and self.watches_wall_clock
        while True:
            left = deadline - time.monotonic()
            if watching and left >= SPIN_AFTER:
                if self._sleep_watching(left, wake):
                    return True
            elif wake.wait(max(0.0, left)):
                return True
            if time.monotonic() >= deadline:
                return False
            drain = getattr(wake, "drain", None)
            if drain is not None:
                drain()  # what made the wait end early was stale

    def sleep_until_due(
        self,
        seconds: float,
        wake: Wake | None = None,
        ready: Callable[[], object] | None = None,
        ready_ahead: float = 0.0,
    ) -> bool:
        """Sleep until `READY_AHEAD` (or `ready_ahead`, if longer) before the due time and
        call `ready()` (the loop gets its pass ready), sleep again to `SPIN` before it, then
        wait out the rest on the CPU.

        An operating system wakes a sleeper late: by 0.1 to over 1 ms on a virtual machine,
        more after a long idle stretch. The last millisecond spent polling the clock makes
        the start exact to a few microseconds. It costs at most `SPIN` of CPU per wake-up,
        and only after a sleep of `SPIN_AFTER` or more (so at most 2% of a core, whatever
        the schedule); a loop with nothing due soon never polls."""
        if seconds < SPIN_AFTER:
            return self.sleep(seconds, wake)
        deadline = time.monotonic() + seconds
        if ready is not None:
            if self.sleep(seconds - min(max(READY_AHEAD, ready_ahead), seconds), wake):
                return True
            ready()
        if self.sleep(deadline - time.monotonic() - SPIN, wake):
            return True
        while time.monotonic() < deadline:
            if wake is not None and wake.is_set():
                return True
        return False

    @property
    def watches_wall_clock(self) -> bool:
        return self._wall_timer() is not None

    def _wall_timer(self) -> WallTimer | None:
        if not self._timer_tried:  # opened on first use: `import equipment` stays light
            from equipment.Scheduler.WallTimer import WallTimer

            self._timer_tried = True
            self._timer = WallTimer.open()
        return self._timer

    def close(self) -> None:
        """Release the wall-clock timer (a later sleep opens another)."""
        timer, self._timer, self._timer_tried = self._timer, None, False
        if timer is not None:
            timer.close()

    def _sleep_watching(self, seconds: float, wake: Wake) -> bool:
        """One wait on `wake` and on the wall-clock timer (armed for the same instant, the
        monotonic timeout as the backstop); True when woken, or ended by the wall clock."""
        timer, fileno = self._wall_timer(), getattr(wake, "fileno", None)
        if timer is None or fileno is None:  # (a plain Event has no descriptor)
            return wake.wait(seconds)
        descriptor = fileno()  # made before the flag is read: a set() meanwhile is seen
        if wake.is_set():
            return True
        deadline = time.monotonic() + seconds
        try:
            timer.arm(time.time() + seconds)
        except OSError:  # refused (it never is once opened): sleep as without a timer
            return wake.wait(seconds)
        waiting = select.poll()  # (not select(): a descriptor past 1023 is allowed)
        waiting.register(descriptor, select.POLLIN)
        waiting.register(timer.fileno(), select.POLLIN)
        waiting.poll(math.ceil(seconds * 1000))
        from equipment.Scheduler.WallTimer import CLOCK_SET, EXPIRED

        rang = timer.rang()
        early = rang == CLOCK_SET or (rang == EXPIRED and time.monotonic() < deadline - SPIN)
        return early or wake.is_set()


#: How long before a due time the loop stops sleeping and polls the clock instead.
SPIN = 0.001
#: How long before a due time the loop gets its pass ready (`Schedule.index.stage`).
READY_AHEAD = 0.005
#: Sleeps shorter than this are not ended by polling (see `SystemClock.sleep_until_due`).
SPIN_AFTER = 0.05


class FakeClock(Clock):
    """A clock for tests; it starts at `start` (aware, or naive UTC) and moves only when told."""

    def __init__(self, start: dt.datetime | None = None, watches_wall_clock: bool = False) -> None:
        start = start or dt.datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
        self._now = start if start.tzinfo else start.replace(tzinfo=UTC)
        self._now = self._now.astimezone(UTC)
        self._monotonic = 1000.0
        self._lock = threading.Lock()
        self._watches = watches_wall_clock
        self.sleeps: list[float] = []

    @property
    def watches_wall_clock(self) -> bool:
        """As given: a test chooses whether the loop may sleep past `max_sleep`."""
        return self._watches

    # Reads take no lock: each reads one reference, which is atomic; the lock keeps the
    # two clocks moving together for writers.
    def now(self) -> dt.datetime:
        return self._now

    def monotonic(self) -> float:
        return self._monotonic

    def sleep(self, seconds: float, wake: Wake | None = None) -> bool:
        if wake is not None and wake.is_set():
            return True
        self.sleeps.append(seconds)
        self.advance(max(0.0, seconds))
        return False

    def advance(self, seconds: float | dt.timedelta) -> None:
        """Let time pass: wall and monotonic clocks move together."""
        delta = seconds if isinstance(seconds, dt.timedelta) else dt.timedelta(seconds=seconds)
        with self._lock:
            self._now += delta
            self._monotonic += delta.total_seconds()

    def jump(self, seconds: float | dt.timedelta) -> None:
        """Step the wall clock only (negative steps back), as NTP or a VM resume does."""
        delta = seconds if isinstance(seconds, dt.timedelta) else dt.timedelta(seconds=seconds)
        with self._lock:
            self._now += delta

    def set(self, when: dt.datetime) -> None:
        """Move to `when` as if that much time passed."""
        when = when if when.tzinfo else when.replace(tzinfo=UTC)
        if when.tzinfo is not UTC:
            when = when.astimezone(UTC)
        with self._lock:
            self._monotonic += (when - self._now).total_seconds()
            self._now = when
