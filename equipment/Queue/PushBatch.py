"""Pushes that fall due together, sent to the queue in one round trip.

When several `do(self.queue.push, fn, ...)` jobs fall due in one pass, the scheduler opens a
batch on their queue: each job's push is checked at once (a function a worker cannot import,
arguments that do not pickle: refused then, failing that run alone) and becomes a
`DeferredPush`; sending the batch queues them all in one step and resolves each one, so
every run still learns whether its own push was queued, keeps its own RQ job ID and fence,
and fails alone.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class DeferredPush:
    """A push waiting in a batch; `accepted` is known once the batch is sent."""

    fn: Any
    args: tuple[Any, ...]
    spec: dict[str, Any]
    what: str
    run_id: str | None
    job_id: str | None
    fence: Any = None
    accepted: bool | None = None
    #: The RQ job ID it was queued as (or found queued as), once sent.
    queue_job_id: str | None = None
    _callbacks: list[Callable[[bool], Any]] = field(default_factory=list, repr=False)

    def on_done(self, callback: Callable[[bool], Any]) -> None:
        """Call `callback(accepted)` once the batch is sent (at once if it was)."""
        if self.accepted is None:
            self._callbacks.append(callback)
        else:
            callback(self.accepted)

    def resolve(self, accepted: bool) -> None:
        self.accepted = accepted
        callbacks, self._callbacks = self._callbacks, []
        for callback in callbacks:
            callback(accepted)


class PushBatch(ABC):
    def __init__(self) -> None:
        self.pending: list[DeferredPush] = []

    @abstractmethod
    def add(self, fn: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> DeferredPush | bool:
        """Take one push: a `DeferredPush`, or False when it is refused at once."""

    @abstractmethod
    def send(self) -> None:
        """Queue every pending push in one step and resolve each; never raises."""
