"""Pushing through a Redis outage: a short bounded retry, then one error and a summary.

The first failure after a healthy period is retried with backoff for at most the budget
(`push_retry_seconds`), then logged once as an outage. While the outage lasts, each push makes
a single attempt (a scheduler must not stall), failures are counted, and a summary is logged
every `summary_seconds`. The first success logs the recovery with the count. No tracebacks:
an outage is an expected condition, not a bug.

A single attempt is quick when the connection is refused, but not when the server stalls (a
SIGSTOPped or `DEBUG SLEEP`ing Redis accepts the connection and never answers): it waits out
the timeout. So when the last failure was slow (`stalled(error)`, or it took `slow_after`
seconds or more), pushes fail at once without trying, still counted and summarised, and one
daemon thread `probe()`s the server with the normal timeouts every `probe_every` seconds. When
it answers (or refuses quickly), the thread ends and pushes try again: the next success logs
the recovery as usual.
"""

from __future__ import annotations

import math
import os
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from equipment.Log.AbstractLogger import AbstractLogger
from equipment.Queue.Settings import scrub

T = TypeVar("T")
#: Which errors count: a tuple of classes, or a test of the error (`RedisConnection.is_outage`).
Kinds = tuple[type[BaseException], ...] | Callable[[BaseException], bool]

FIRST_DELAY = 0.05
MAX_DELAY = 0.5


class OutageGuard:
    def __init__(
        self,
        log: AbstractLogger,
        target: str,
        *,
        budget: float,
        summary_seconds: float,
        transient: Kinds,
        fatal: Kinds = (),
        refused: Kinds = (),
        secrets: tuple[str, ...] = (),
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        probe: Callable[[], object] | None = None,
        stalled: Kinds = (),
        slow_after: float = math.inf,
        probe_every: float = 1.0,
    ) -> None:
        self.log = log
        self.target = target
        self.budget = budget
        self.summary_seconds = summary_seconds
        self.transient = _test(transient)
        self.fatal = _test(fatal)
        #: Redis answered, and refused this process's credentials or rights: said so.
        self.refused = _test(refused)
        self.secrets = secrets
        self.clock = clock
        self.sleep = sleep
        self.down_since: float | None = None
        self.failed = 0
        self._last_summary = 0.0
        self._lock = threading.Lock()
        self._pid = os.getpid()
        # Without a probe nothing would ever see the server back: every push keeps trying.
        self.probe = probe
        self.stalled = _test(stalled)
        self.slow_after = slow_after
        self.probe_every = probe_every
        #: The error that made the server count as stalled; None when pushes may try.
        self.stall: BaseException | None = None
        self.prober: threading.Thread | None = None

    @property
    def down(self) -> bool:
        return self.down_since is not None

    def call(self, op: Callable[[], T], what: str) -> tuple[bool, T | None]:
        """Run `op`; (True, result) when it succeeded, (False, None) when Redis did not answer."""
        if self._pid != os.getpid():  # a forked child: a lock held by a parent's thread
            self._lock, self._pid = threading.Lock(), os.getpid()
        stall = self.stall
        if stall is not None:  # the probe looks for the server; trying would wait it out
            self._ensure_prober()
            self._failed(stall, what)
            return False, None
        deadline = self.clock() + (0.0 if self.down else self.budget)
        delay = FIRST_DELAY
        while True:
            started = self.clock()
            try:
                result = op()
            except Exception as exc:
                if not self.transient(exc):
                    raise
                if self.fatal(exc) or self.clock() + delay > deadline:
                    if self.probe is not None and self._slow(exc, started):
                        self.stall = exc
                        self._ensure_prober()
                    self._failed(exc, what)
                    return False, None
                self.sleep(delay)
                delay = min(delay * 2, MAX_DELAY)
                continue
            self._recovered()
            return True, result

    def _slow(self, exc: BaseException, started: float) -> bool:
        return bool(self.stalled(exc)) or self.clock() - started >= self.slow_after

    def _ensure_prober(self) -> None:
        """Start the probe thread unless it runs (a forked child has none: start its own)."""
        with self._lock:
            if self.stall is None or (self.prober is not None and self.prober.is_alive()):
                return
            self.prober = threading.Thread(
                target=self._probe_until_answered, name="equipment-redis-probe", daemon=True
            )
            self.prober.start()

    def _probe_until_answered(self) -> None:
        """Probe every `probe_every` seconds until the server is no longer stalled."""
        while True:
            with self._lock:  # decided with the lock held: a new stall finds no thread ending
                if self.stall is None:
                    self.prober = None
                    return
            self.sleep(self.probe_every)
            self.probe_once()

    def probe_once(self) -> bool:
        """One probe: True (and pushes may try again) when the server is not stalled now."""
        assert self.probe is not None
        started = self.clock()
        try:
            self.probe()
        except Exception as exc:
            if self.transient(exc) and not self.fatal(exc) and self._slow(exc, started):
                self.stall = exc  # the latest reason, for the summaries
                return False
        # It answered, or refused at once: a push's single attempt costs nothing now.
        self.stall = None
        return True

    def _failed(self, exc: BaseException, what: str) -> None:
        reason = scrub(f"{type(exc).__name__}: {exc}", self.secrets)
        with self._lock:
            now = self.clock()
            self.failed += 1
            if self.down_since is None:
                self.down_since = self._last_summary = now
                first = True
            else:
                first = False
                due = now - self._last_summary >= self.summary_seconds
                if due:
                    self._last_summary = now
            count, elapsed = self.failed, now - self.down_since
        extra: dict[str, Any] = {"redis": self.target, "failed_pushes": count}
        if first:
            self.log.error(
                f"Redis at {self.target} {self._why_down(exc)} ({reason}); {what} was not "
                f"queued. Further failures are summarised every {self.summary_seconds:g}s "
                "until Redis answers again",
                extra=extra,
            )
        elif due:
            self.log.error(
                f"{count} pushes failed during the Redis outage at {self.target} "
                f"({elapsed:.0f}s so far; last: {reason})",
                extra=extra,
            )
        else:
            self.log.debug(f"{what} was not queued: Redis still unreachable", extra=extra)

    def _why_down(self, exc: BaseException) -> str:
        """Unreachable, or up and refusing the settings: the user to check is not the same."""
        if self.refused(exc):
            return (
                "is up and refused the user, password or rights given: check the queue's "
                "Redis settings"
            )
        return "is unreachable"

    def _recovered(self) -> None:
        if self.down_since is None:
            return
        with self._lock:
            if self.down_since is None:
                return
            count, elapsed = self.failed, self.clock() - self.down_since
            self.down_since, self.failed = None, 0
        self.log.warning(
            f"Redis at {self.target} answers again after {elapsed:.0f}s; "
            f"{count} pushes failed during the outage",
            extra={"redis": self.target, "failed_pushes": count},
        )


def _test(kinds: Kinds) -> Callable[[BaseException], bool]:
    if callable(kinds):
        return kinds
    return lambda error: isinstance(error, kinds)
