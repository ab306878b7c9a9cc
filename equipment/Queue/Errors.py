"""The queue's own errors: subclasses of `EquipmentError`, and of the built-in they refine."""

from __future__ import annotations

from equipment.Errors import EquipmentError


class QueueError(EquipmentError):
    """A push the queue cannot accept as given."""


class RetryError(QueueError, ValueError):
    """A `retry=` spec, or a `Retry(...)`, that says no number of tries or waits RQ can keep."""


class DelayError(QueueError, ValueError):
    """A `push_in` delay or `push_at` instant outside what a queue can hold."""
