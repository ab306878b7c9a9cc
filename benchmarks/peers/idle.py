"""(c) CPU per hour of a loop with 100 jobs, none due (every hour) during the window."""

from __future__ import annotations

import threading
import time
from typing import Any

from peers.adapters import opened
from peers.stats import cpu_seconds

SETTLE = 2.0  # seconds for start-up before counting


def run(peer: str, jobs: int = 100, window: float = 60.0, settle: float = SETTLE) -> dict[str, Any]:
    measured: dict[str, Any] = {}

    def measure() -> None:
        time.sleep(settle)
        cpu, started = cpu_seconds(), time.monotonic()
        time.sleep(window)
        elapsed = time.monotonic() - started
        measured["cpu_s_per_hour"] = (cpu_seconds() - cpu) * 3600 / elapsed

    with opened(peer) as scheduler:
        for number in range(jobs):
            scheduler.interval(3600, number)
        thread = threading.Thread(target=measure, daemon=True)
        thread.start()
        scheduler.loop(settle + window + 0.2)
        thread.join()
    return measured
