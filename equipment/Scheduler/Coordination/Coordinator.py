"""Who may run an occurrence: the claim step of every dispatch.

One process owns every occurrence, so `SingleProcess` grants every claim. A coordinator
for replicas grants a claim to exactly one of them per run ID.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

from equipment.Scheduler.RunRecord import RunRecord


class Coordinator(ABC):
    #: What `schedule list` and start-up lines call this mode.
    mode: str = "none"

    @abstractmethod
    def claim(self, record: RunRecord) -> bool:
        """Whether this process may run the occurrence `record` names (its run ID)."""

    @property
    def is_leader(self) -> bool:
        """Whether this process leads its replicas (metrics, health); one process always does."""
        return True


class SingleProcess(Coordinator):
    mode = "none"

    def claim(self, record: RunRecord) -> bool:
        return True
