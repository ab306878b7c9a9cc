"""Lateness, percentiles, drift and process figures shared by the workloads."""

from __future__ import annotations

import gc
import math
import resource
import statistics
from collections.abc import Sequence

NA = "n/a"


class Unsupported(Exception):
    """A peer cannot do a workload; the message says why (shown as "n/a: why")."""


def percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, math.ceil(share * len(ordered)) - 1))
    return ordered[rank]


def summary_ms(values: Sequence[float]) -> dict[str, float]:
    """Median and p99 of seconds, in milliseconds."""
    if not values:
        return {"median_ms": math.nan, "p99_ms": math.nan}
    return {
        "median_ms": statistics.median(values) * 1000,
        "p99_ms": percentile(values, 0.99) * 1000,
    }


def grid_lateness(starts: Sequence[float], first_due: float, period: float) -> list[float]:
    """Seconds late against the grid first_due + k x period, k counted from the runs."""
    return [start - first_due - k * period for k, start in enumerate(sorted(starts))]


def slot_lateness(start: float, first_due: float, period: float) -> float:
    """Seconds late against the nearest earlier grid slot (runs may have been skipped)."""
    offset = start - first_due
    return offset - math.floor(offset / period + 0.05) * period


def pinned_lateness(starts: Sequence[float]) -> list[float]:
    """Seconds late of runs pinned to whole seconds."""
    return [start - math.floor(start + 0.05) for start in starts]


def slope(values: Sequence[float]) -> float:
    """Least-squares slope of values against their index."""
    n = len(values)
    if n < 2:
        return 0.0
    mean_x, mean_y = (n - 1) / 2, statistics.fmean(values)
    covariance = sum((x - mean_x) * (y - mean_y) for x, y in enumerate(values))
    return covariance / sum((x - mean_x) ** 2 for x in range(n))


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def rss_bytes() -> int:
    """Resident memory now (not the peak), after a collection."""
    gc.collect()
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize()
