"""How often a failed job is tried again, and how long to wait in between.

`push(fn, ..., retry=3)` or `retry=Retry(max=3, intervals=[10, 60])`: the redis driver maps it
to `rq.Retry`; the sync driver re-runs at once (it never sleeps in the caller's thread).
This module does not import rq, so the spec can be written anywhere.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Retry:
    """Up to `max` more tries; wait `intervals[i]` seconds before try i (the last repeats)."""

    max: int
    intervals: tuple[int, ...] = (0,)

    def __post_init__(self) -> None:
        if isinstance(self.max, bool) or not isinstance(self.max, int) or self.max < 1:
            raise ValueError(f"retry max must be a whole number of at least 1, got {self.max!r}")
        if not self.intervals or any(i < 0 for i in self.intervals):
            raise ValueError(f"retry intervals must be seconds >= 0, got {self.intervals!r}")


def as_retry(spec: Any) -> Retry | None:
    """Normalise what a caller may pass as `retry=`: None, an int, a Retry, an `rq.Retry`,
    or a mapping with `max` and `interval`/`intervals`. Raises ValueError saying what is wrong."""
    if spec is None or spec is False:
        return None
    if isinstance(spec, Retry):
        return spec
    if isinstance(spec, int) and not isinstance(spec, bool):
        return Retry(max=spec)
    if isinstance(spec, Mapping):
        intervals = spec.get("intervals", spec.get("interval", 0))
        return Retry(max=spec.get("max"), intervals=_intervals(intervals))
    if hasattr(spec, "max") and hasattr(spec, "intervals"):  # rq.Retry
        return Retry(max=spec.max, intervals=_intervals(spec.intervals))
    raise ValueError(
        f"retry must be a count (retry=3) or Retry(max=3, intervals=[10, 60]), got {spec!r}"
    )


def _intervals(value: Any) -> tuple[int, ...]:
    if isinstance(value, str) or not isinstance(value, (int, float, Iterable)):
        raise ValueError(f"retry intervals must be seconds, got {value!r}")
    values = [value] if isinstance(value, (int, float)) else list(value) or [0]
    try:
        return tuple(math.ceil(float(v)) for v in values)
    except (TypeError, ValueError):
        raise ValueError(f"retry intervals must be seconds, got {value!r}") from None
