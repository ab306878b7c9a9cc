"""(i) replicas: how long until another replica takes over a stopped one's jobs, and what
coordinating costs per run.

Our coordination is not built yet; `coordination()` looks for it, so that once it exists this
workload reports where to wire it instead of a plain n/a. The peers' reasons are fixed facts
of their designs.
"""

from __future__ import annotations

import pkgutil
import re
from typing import Any

from peers.stats import Unsupported

HINTS = ("lease", "lock", "coordinat", "replica", "leader", "claim")

PEER_REASONS = {
    "loop": "no coordination: every replica runs every job",
    "schedule": "no coordination: every replica runs every job",
    "aps3": "no coordination: replicas sharing a job store run jobs more than once",
    "aps4": "not measured: its coordination needs a shared SQL or MongoDB data store",
    "rq-cron": "no coordination: every CronScheduler enqueues every job",
}


def coordination() -> list[str]:
    """Modules of `equipment.Scheduler` whose names suggest replica coordination."""
    import equipment.Scheduler as package

    def words(name: str) -> list[str]:  # "ClockWatch" -> ["clock", "watch"]
        return [word.lower() for word in re.findall(r"[A-Z][a-z]*|[a-z]+", name)]

    return [
        module.name for module in pkgutil.iter_modules(package.__path__)
        if any(word.startswith(HINTS) for word in words(module.name))
    ]


def run(peer: str) -> dict[str, Any]:
    if peer != "ours":
        raise Unsupported(PEER_REASONS.get(peer, "no coordination"))
    found = coordination()
    if not found:
        raise Unsupported("coordination not built yet")
    # The hook: measure takeover time and per-run coordination cost with `found` here.
    raise Unsupported(f"coordination found ({', '.join(found)}); its measure is not wired yet")
