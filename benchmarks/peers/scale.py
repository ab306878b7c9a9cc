"""(d) cost of registering N jobs, of a pass with nothing due and of the next wake-up;
(f) memory per 10,000 jobs. One size per process, so memory freed by a smaller size
cannot hide the cost of a larger one."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

from peers.adapters import opened
from peers.stats import Unsupported, rss_bytes

BUDGET = 0.5  # seconds spent repeating each measured call (at least 3 calls)


def repeat(call: Callable[[], object]) -> float:
    """Median seconds per call."""
    samples: list[float] = []
    spent = 0.0
    while len(samples) < 3 or (spent < BUDGET and len(samples) < 200):
        started = time.perf_counter()
        call()
        samples.append(time.perf_counter() - started)
        spent += samples[-1]
    return statistics.median(samples)


def run(peer: str, jobs: int = 1000) -> dict[str, Any]:
    result: dict[str, Any] = {"jobs": jobs}
    with opened(peer) as scheduler:
        scheduler.prepare()
        memory = rss_bytes()
        started = time.perf_counter()
        for number in range(jobs):
            scheduler.interval(3600, number)
        result["register_us"] = (time.perf_counter() - started) / jobs * 1e6
        result["memory_mb_per_10k"] = (rss_bytes() - memory) / jobs * 10_000 / 2**20
        scheduler.settle()
        for name, call in (("pass_ms", scheduler.idle_pass), ("wakeup_ms", scheduler.next_wakeup)):
            try:
                result[name] = repeat(call) * 1000
            except Unsupported as error:
                result[name] = {"na": str(error)}
    return result
