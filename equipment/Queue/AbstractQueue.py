"""The queue contract: what `self.queue` offers to a scheduler and to application code."""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from equipment.Errors import at_caller
from equipment.Queue.Errors import QueueError

if TYPE_CHECKING:
    from equipment.Queue.PushBatch import PushBatch


class AbstractQueue(ABC):
    """Push work to be run now (`push`), at an instant (`push_at`) or after a delay (`push_in`).

    Every method returns True when the work was accepted (run, for `sync`; stored in Redis,
    for `redis`) and False when it was not; the reason is logged, never raised, so a
    scheduler job that pushes keeps its schedule through a queue outage.
    """

    @abstractmethod
    def push(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> bool:
        """Run `fn(*args, **kwargs)` as soon as a worker can."""

    @abstractmethod
    def push_at(self, when: dt.datetime, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> bool:
        """Run `fn(*args, **kwargs)` at `when` (a naive value is in the scheduler's zone)."""

    @abstractmethod
    def push_in(
        self, delay: dt.timedelta | float, fn: Callable[..., Any], *args: Any, **kwargs: Any
    ) -> bool:
        """Run `fn(*args, **kwargs)` after `delay` (a timedelta or seconds)."""

    def on(self, name: str) -> AbstractQueue:
        """The same queue, pushing to the queue called `name` instead of the first configured
        one: `self.queue.on("reports").push(export, 7)`, served by `python queues.py reports`.
        The sync driver runs everything at once whatever the name, so it returns itself.
        Raises `QueueError` for a name that is not a non-empty string."""
        queue_name(name)
        return self

    def batch(self) -> PushBatch | None:
        """A batch for pushes that fall due together, or None when this driver sends each
        push on its own (the sync driver runs them at once anyway)."""
        return None

    def check(self) -> None:  # noqa: B027 - optional: most drivers have nothing to check
        """Raise a `ConfigError` for a setting the queue's server refuses, once, at start (the
        redis driver: a database the server does not have). An outage is no mistake: pushes
        ride it out."""

    def describe(self) -> str:
        """The driver in a few words, safe to log ('sync'; Redis: its masked address)."""
        return "sync"


def queue_name(name: Any) -> str:
    """`name` stripped; `QueueError` unless it is a non-empty string, naming the line of
    the user's code that gave it. A comma separates names in `REDIS_QUEUE` and on a
    worker's command line, so a name holding one could be served by no worker."""
    if not isinstance(name, str) or not name.strip():
        raise QueueError(at_caller(f"a queue name must be a non-empty string, got {name!r}"))
    if "," in name:
        raise QueueError(
            at_caller(f"a queue name cannot contain a comma (it separates names), got {name!r}")
        )
    return name.strip()
