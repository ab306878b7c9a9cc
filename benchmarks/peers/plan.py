"""What a run measures: sizes and durations for `--tiny` (the smoke test), `--quick`, full.

The timing and idle workloads run side by side for all peers at once (they mostly sleep);
the single-process measures (scale, pushes, start-up, takeover) run one after another on
the side meanwhile; the bursts, which load a core, run one peer at a time afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

PEERS = ("ours", "loop", "schedule", "aps3", "aps4", "rq-cron")
PUSHERS = ("ours", "rq-cron", "rq-enqueue", "rq-enqueue-many")


@dataclass(frozen=True)
class Plan:
    name: str
    firings: int  # (a)/(b): runs of the 1 s job, so also the seconds the timing phase lasts
    idle_window: float  # (c), seconds
    scale_sizes: tuple[int, ...]  # (d)/(f)
    burst_sizes: tuple[int, ...]  # (e)
    burst_period: int
    burst_rounds: int
    pushes: int  # (g)
    slack: float = 60.0  # added to each run's time limit

    def side_by_side(self) -> list[tuple[str, str, dict[str, Any], float]]:
        timing = [("timing", peer, {"firings": self.firings}) for peer in PEERS]
        idle = [("idle", peer, {"window": self.idle_window}) for peer in PEERS]
        limit = max(self.firings, self.idle_window) + self.slack
        return [(*run, limit) for run in timing + idle]

    def meanwhile(self) -> list[tuple[str, str, dict[str, Any], float]]:
        runs = [
            ("scale", peer, {"jobs": size}, self.slack)
            for size in self.scale_sizes for peer in PEERS
        ]
        runs += [("pushes", peer, {"jobs": self.pushes}, self.slack) for peer in PUSHERS]
        runs += [("startup", peer, {}, self.slack) for peer in PEERS]
        return runs + [("takeover", peer, {}, self.slack) for peer in PEERS]

    def after(self) -> list[tuple[str, str, dict[str, Any], float]]:
        return [
            ("burst", peer, {"jobs": size, "period": self.burst_period,
                             "rounds": self.burst_rounds},
             self.slack + (self.burst_rounds + 1) * self.burst_period)
            for size in self.burst_sizes for peer in PEERS
        ]


PLANS = {
    "full": Plan("full", 600, 600, (1_000, 10_000, 100_000), (10_000, 100_000), 10, 2, 10_000,
                 slack=40.0),
    "quick": Plan("quick", 60, 60, (1_000, 10_000), (10_000,), 10, 1, 1_000, slack=20.0),
    "tiny": Plan("tiny", 2, 1, (100,), (50,), 1, 1, 20, slack=20.0),
}
