"""Who may run an occurrence: the claim step of every dispatch.

One process owns every occurrence, so `SingleProcess` grants every claim. A coordinator
for replicas (`RedisCoordinator`) elects one leader by a lease and grants each run ID to
exactly one of them; only the leader dispatches.
"""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable

from equipment.Queue.RunContext import Fence
from equipment.Scheduler.Coordination.RunLocks import InProcessRunLocks, RunLocks
from equipment.Scheduler.RunRecord import RunRecord


class Coordinator(ABC):
    #: What `schedule list` and start-up lines call this mode.
    mode: str = "none"
    #: Locks of `.without_overlapping()` jobs.
    locks: RunLocks
    #: Whether `claim_many` is worth calling once per pass (one round trip for many).
    batches_claims: bool = False

    @abstractmethod
    def claim(self, record: RunRecord) -> bool:
        """Whether this process may run the occurrence `record` names (its run ID)."""

    def claimed(self) -> dict[str, tuple[str, dt.datetime]]:
        """Each job's latest claimed occurrence, (epoch, scheduled instant): what a leader
        took on, run or not, before it died (nothing without claims)."""
        return {}

    def claim_many(self, records: Iterable[RunRecord]) -> set[str]:
        """The run IDs among `records` this process may run: one pass's claims in one go.
        Backends that can batch (one round trip for a pass) override it."""
        return {record.run_id for record in records if self.claim(record)}

    def give_back(self, claims: Iterable[tuple[RunRecord, RunRecord | None]]) -> int:
        """At a stop: give back occurrences this process claimed and will not run, each
        with the job's occurrence before it that this process handled (None: none), so
        that the next leader runs them instead of counting them as this one's, run or
        not. Returns how many were given back (nothing to give without claims)."""
        return 0

    @property
    def is_leader(self) -> bool:
        """Whether this process may dispatch now (it holds the lease, as far as it knows)."""
        return True

    @property
    def fencing_token(self) -> int | None:
        """The lease's token while this process leads (it only grows), else None."""
        return None

    def fence(self) -> Fence | None:
        """What a run's pushes must still hold to be queued (None: pushes are not fenced)."""
        return None

    def start(self, on_change: Callable[[], None]) -> None:
        """Begin taking part; `on_change()` is called when this process gains or loses the
        lead (from another thread)."""
        return None

    def close(self) -> None:
        """Stop taking part and hand the lead over at once (a standby need not wait)."""
        return None


class SingleProcess(Coordinator):
    mode = "none"

    def __init__(self) -> None:
        self.locks = InProcessRunLocks()

    def claim(self, record: RunRecord) -> bool:
        return True
