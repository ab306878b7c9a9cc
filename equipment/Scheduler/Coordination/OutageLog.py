"""A coordination Redis that does not answer: said once, then summarised, then its end.

While Redis is unreachable no replica can prove that it leads, so none runs anything; the
log says so once, adds a summary every `summary_seconds`, and says when Redis is back.
"""

from __future__ import annotations

from equipment.Log.AbstractLogger import AbstractLogger
from equipment.Scheduler.Clock import Clock

SUMMARY_SECONDS = 60.0


class OutageLog:
    def __init__(
        self,
        log: AbstractLogger,
        where: str,
        clock: Clock,
        summary_seconds: float = SUMMARY_SECONDS,
    ) -> None:
        self.log = log
        self.where = where
        self.clock = clock
        self.summary_seconds = summary_seconds
        self.down_since: float | None = None
        self.failures = 0
        self._last_summary = 0.0

    @property
    def down(self) -> bool:
        return self.down_since is not None

    def failed(self, error: BaseException) -> None:
        now = self.clock.monotonic()
        self.failures += 1
        reason = f"{type(error).__name__}: {error}"
        if self.down_since is None:
            self.down_since = self._last_summary = now
            self.log.error(
                f"Scheduler coordination: Redis at {self.where} is unreachable ({reason}); "
                "this replica runs nothing it cannot prove it owns until Redis answers. "
                f"Summaries follow every {self.summary_seconds:g}s",
                extra={"redis": self.where},
            )
        elif now - self._last_summary >= self.summary_seconds:
            self._last_summary = now
            self.log.error(
                f"Scheduler coordination: Redis at {self.where} still unreachable after "
                f"{now - self.down_since:.0f}s ({self.failures} failed attempts; last: {reason})",
                extra={"redis": self.where, "failures": self.failures},
            )

    def recovered(self) -> None:
        if self.down_since is None:
            return
        elapsed = self.clock.monotonic() - self.down_since
        self.log.warning(
            f"Scheduler coordination: Redis at {self.where} answers again after {elapsed:.0f}s; "
            "occurrences missed meanwhile follow each job's catch-up rule",
            extra={"redis": self.where, "failures": self.failures},
        )
        self.down_since, self.failures = None, 0
