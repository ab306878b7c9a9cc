"""How often a failed job is tried again, and how long to wait in between.

`push(fn, ..., retry=3)` or `retry=Retry(max=3, intervals=[10, 60])`: the redis driver maps it
to `rq.Retry`; the sync driver re-runs at once (it never sleeps in the caller's thread).
This module does not import rq, so the spec can be written anywhere.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from equipment.Queue.Errors import RetryError

#: The longest wait before a retry: as long as the longest `push_in` delay (3650 days).
MAX_INTERVAL_SECONDS = 3650 * 86400


@dataclass(frozen=True)
class Retry:
    """Up to `max` more tries; wait `intervals[i]` seconds before try i (the last repeats).

    The intervals are kept as whole seconds, rounded up (RQ schedules whole seconds), and
    each must be a number from 0 to `MAX_INTERVAL_SECONDS`: RQ computes a retry's time only
    when the job fails, in the worker, where NaN, infinity or 1e12 would crash it."""

    max: int
    intervals: tuple[int, ...] = (0,)

    def __post_init__(self) -> None:
        if isinstance(self.max, bool) or not isinstance(self.max, int) or self.max < 1:
            raise RetryError(f"retry max must be a whole number of at least 1, got {self.max!r}")
        object.__setattr__(self, "intervals", _intervals(self.intervals))


def as_retry(spec: Any) -> Retry | None:
    """Normalise what a caller may pass as `retry=`: None, an int (0: no retries), a Retry,
    an `rq.Retry`, or a mapping with `max` and `interval`/`intervals`. Raises RetryError (a
    ValueError) saying what is wrong."""
    if spec is None or spec is False or (type(spec) is int and spec == 0):
        return None  # retry=0: no more tries, as a count from config may well say
    if isinstance(spec, Retry):
        return spec
    if isinstance(spec, int) and not isinstance(spec, bool):
        return Retry(max=spec)
    if isinstance(spec, Mapping):
        intervals = spec.get("intervals", spec.get("interval", 0))
        return Retry(max=spec.get("max"), intervals=_intervals(intervals))
    if hasattr(spec, "max") and hasattr(spec, "intervals"):  # rq.Retry
        return Retry(max=spec.max, intervals=_intervals(spec.intervals))
    raise RetryError(
        f"retry must be a count (retry=3) or Retry(max=3, intervals=[10, 60]), got {spec!r}"
    )


def returned_retry(result: Any) -> Retry | None:
    """The retry a job asked for by returning `Retry(...)` or `rq.Retry(...)`: RQ's way for
    a job to be tried again without failing. None for any other result. Its intervals are
    held to a push's rule; RetryError, naming the return, when they break it: RQ would
    time the retry from them in the worker, where NaN or infinity raised inside RQ."""
    if isinstance(result, Retry):
        return result
    rq_job = sys.modules.get("rq.job")  # an rq.Retry can only come from a loaded rq
    if rq_job is None or not isinstance(result, rq_job.Retry):
        return None
    try:
        return as_retry(result)
    except RetryError as error:
        raise RetryError(f"the job returned {result!r}: {error}") from None


def is_interval(value: Any) -> bool:
    """Whether `value` is a wait `Retry` accepts: seconds from 0 to `MAX_INTERVAL_SECONDS`
    (so not NaN, infinity, nor a number too large for a float)."""
    try:
        _intervals([value])
    except ValueError:
        return False
    return True


def _intervals(value: Any) -> tuple[int, ...]:
    """Whole seconds, rounded up; RetryError for anything but numbers from 0 to the limit."""
    if isinstance(value, (str, bytes)) or not isinstance(value, (int, float, Iterable)):
        raise RetryError(f"retry intervals must be seconds, got {value!r}")
    values = [value] if isinstance(value, (int, float)) else list(value) or [0]
    seconds = []
    for v in values:
        try:
            if isinstance(v, (bool, str, bytes)):
                raise TypeError
            number = float(v)
        except OverflowError:  # a whole number too large for a float (10**400): too long
            number = math.inf
        except (TypeError, ValueError):
            raise RetryError(f"retry intervals must be seconds, got {value!r}") from None
        if not 0 <= number <= MAX_INTERVAL_SECONDS:  # also false for NaN and infinity
            raise RetryError(
                f"retry intervals must be from 0 to {MAX_INTERVAL_SECONDS} seconds "
                f"(3650 days), got {value!r}"
            )
        seconds.append(math.ceil(number))
    return tuple(seconds)
