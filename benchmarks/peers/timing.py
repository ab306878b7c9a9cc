"""(a) lateness of a 1-second job and of jobs pinned to whole seconds; (b) drift over the run.

One job every second and 60 jobs pinned to :00 ... :59 of each minute (so one falls due
every whole second). The 1 s job is measured against its grid (first due + k seconds, k
counted from its runs), so a loop that slips a little each time shows it as drift.
"""

from __future__ import annotations

import statistics
from typing import Any

from peers.adapters import opened
from peers.stats import grid_lateness, pinned_lateness, slope, summary_ms


def run(peer: str, firings: int = 60) -> dict[str, Any]:
    with opened(peer) as scheduler:
        first_due = scheduler.interval(1, "tick")
        for second in range(60):
            scheduler.pinned(second, "pin")
        scheduler.loop(firings + (1.5 if first_due else 0.5))
        starts = scheduler.starts()
    ticks = sorted(at for key, at in starts if key == "tick")[:firings]
    if not ticks:
        return {"firings": 0}
    late = grid_lateness(ticks, first_due or ticks[0], 1.0)
    tenth = max(1, len(late) // 10)
    interval, pinned = summary_ms(late), summary_ms(pinned_lateness(
        [at for key, at in starts if key == "pin"]
    ))
    return {
        "firings": len(late),
        "pinned_firings": sum(1 for key, _ in starts if key == "pin"),
        "interval_median_ms": interval["median_ms"],
        "interval_p99_ms": interval["p99_ms"],
        "pinned_median_ms": pinned["median_ms"],
        "pinned_p99_ms": pinned["p99_ms"],
        "drift_ms": (statistics.median(late[-tenth:]) - statistics.median(late[:tenth])) * 1000,
        "slope_ms": slope(late) * 1000,
    }
