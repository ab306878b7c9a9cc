"""(c) CPU per hour of a loop with 100 jobs, none due (every hour) during the window, and
how often its threads woke meanwhile.

CPU this small is at the floor of what `getrusage` can tell apart: the measuring thread's
own wake-up at the end of the window is most of it. Wake-ups are exact: each thread's
voluntary context switches (Linux `/proc`), the measuring thread's left out.
"""

from __future__ import annotations

import os
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
        switches = _switches()
        cpu, started = cpu_seconds(), time.monotonic()
        time.sleep(window)
        elapsed = time.monotonic() - started
        measured["cpu_s_per_hour"] = (cpu_seconds() - cpu) * 3600 / elapsed
        woke = _switches()
        if switches is not None and woke is not None:
            me = threading.get_native_id()
            count = sum(n - switches.get(tid, 0) for tid, n in woke.items() if tid != me)
            measured["wakeups_per_hour"] = count * 3600 / elapsed

    with opened(peer) as scheduler:
        for number in range(jobs):
            scheduler.interval(3600, number)
        thread = threading.Thread(target=measure, daemon=True)
        thread.start()
        scheduler.loop(settle + window + 0.2)
        thread.join()
    return measured


def _switches() -> dict[int, int] | None:
    """Voluntary context switches per thread of this process (None off Linux)."""
    try:
        tasks = os.listdir("/proc/self/task")
    except OSError:
        return None
    counts = {}
    for tid in tasks:
        try:
            with open(f"/proc/self/task/{tid}/status") as status:
                for line in status:
                    if line.startswith("voluntary_ctxt_switches:"):
                        counts[int(tid)] = int(line.split()[1])
        except OSError:
            continue  # the thread ended meanwhile
    return counts
