"""(e) N jobs every 10 s, all falling due together: what a peer keeps up with.

Each job's runs are measured against its own grid (first due + k x period; a skipped run
leaves its slot empty). Figures: runs per second against runs due per second, the share of
one core the loop used, and lateness median and p99. Peers that compute "every 10 s" from
the moment of registration (`schedule`, ours) spread the first due times over the time
registration took; the others get one shared start.
"""

from __future__ import annotations

import math
import time
from typing import Any

from peers.adapters import opened
from peers.stats import cpu_seconds, slot_lateness, summary_ms


def run(peer: str, jobs: int = 10_000, period: int = 10, rounds: int = 2) -> dict[str, Any]:
    with opened(peer) as scheduler:
        due = [scheduler.interval(period, number) for number in range(jobs)]
        began, cpu = time.time(), cpu_seconds()
        due = [began if first is None else first for first in due]
        scheduler.loop(min(due) - began + period * (rounds - 0.5))
        ended, cpu = time.time(), cpu_seconds() - cpu
        starts = scheduler.starts()
    window = ended - min(due)
    owed = sum(math.floor((ended - first) / period) + 1 for first in due if first <= ended)
    late = [slot_lateness(at, due[key], period) for key, at in starts]
    figures = summary_ms(late)
    return {
        "jobs": jobs,
        "runs_per_s": len(starts) / window,
        "due_per_s": owed / window,
        "cpu_share": cpu / (ended - began),
        "late_median_ms": figures["median_ms"],
        "late_p99_ms": figures["p99_ms"],
    }
