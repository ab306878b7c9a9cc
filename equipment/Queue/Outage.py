"""Pushing through a Redis outage: a short bounded retry, then one error and a summary.

The first failure after a healthy period is retried with backoff for at most the budget
(`push_retry_seconds`), then logged once as an outage. While the outage lasts, each push makes
a single attempt (a scheduler must not stall), failures are counted, and a summary is logged
every `summary_seconds`. The first success logs the recovery with the count. No tracebacks:
an outage is an expected condition, not a bug.
"""

from __future__ import annotations

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
        secrets: tuple[str, ...] = (),
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.log = log
        self.target = target
        self.budget = budget
        self.summary_seconds = summary_seconds
        self.transient = _test(transient)
        self.fatal = _test(fatal)
        self.secrets = secrets
        self.clock = clock
        self.sleep = sleep
        self.down_since: float | None = None
        self.failed = 0
        self._last_summary = 0.0
        self._lock = threading.Lock()

    @property
    def down(self) -> bool:
        return self.down_since is not None

    def call(self, op: Callable[[], T], what: str) -> tuple[bool, T | None]:
        """Run `op`; (True, result) when it succeeded, (False, None) when Redis did not answer."""
        deadline = self.clock() + (0.0 if self.down else self.budget)
        delay = FIRST_DELAY
        while True:
            try:
                result = op()
            except Exception as exc:
                if not self.transient(exc):
                    raise
                if self.fatal(exc) or self.clock() + delay > deadline:
                    self._failed(exc, what)
                    return False, None
                self.sleep(delay)
                delay = min(delay * 2, MAX_DELAY)
                continue
            self._recovered()
            return True, result

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
                f"Redis at {self.target} is unreachable ({reason}); {what} was not queued. "
                f"Further failures are summarised every {self.summary_seconds:g}s "
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
