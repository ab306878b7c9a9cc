"""(c) CPU per hour of a loop with 100 jobs, none due (every hour) during the window, and
how often its threads woke meanwhile.

Both are counted per thread from Linux `/proc` (CPU time in nanoseconds from `schedstat`,
wake-ups as voluntary context switches), leaving out the measuring thread, whose own wake
at the end of the window would otherwise be most of an idle peer's CPU: `getrusage` of the
whole process, the fallback elsewhere, cannot tell a peer that sleeps from one that wakes
a few times an hour. A thread that ends during the window takes its figures with it.
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
        before = _threads()
        cpu, started = cpu_seconds(), time.monotonic()
        time.sleep(window)
        elapsed = time.monotonic() - started
        after = _threads()
        if before is None or after is None:  # not Linux: the whole process, this thread too
            measured["cpu_s_per_hour"] = (cpu_seconds() - cpu) * 3600 / elapsed
            return
        me = threading.get_native_id()
        grew = [
            (woke - before.get(tid, (0, 0))[0], ns - before.get(tid, (0, 0))[1])
            for tid, (woke, ns) in after.items()
            if tid != me
        ]
        measured["cpu_s_per_hour"] = sum(ns for _, ns in grew) / 1e9 * 3600 / elapsed
        measured["wakeups_per_hour"] = sum(woke for woke, _ in grew) * 3600 / elapsed

    with opened(peer) as scheduler:
        for number in range(jobs):
            scheduler.interval(3600, number)
        thread = threading.Thread(target=measure, daemon=True)
        thread.start()
        scheduler.loop(settle + window + 0.2)
        thread.join()
    return measured


def _threads() -> dict[int, tuple[int, int]] | None:
    """Per thread of this process: (voluntary context switches, CPU nanoseconds); None
    where there is no `/proc`."""
    try:
        tasks = os.listdir("/proc/self/task")
    except OSError:
        return None
    found = {}
    for tid in tasks:
        try:
            with open(f"/proc/self/task/{tid}/schedstat") as schedstat:
                nanoseconds = int(schedstat.read().split()[0])
            with open(f"/proc/self/task/{tid}/status") as status:
                switches = next(
                    int(line.split()[1])
                    for line in status
                    if line.startswith("voluntary_ctxt_switches:")
                )
        except (OSError, StopIteration, ValueError, IndexError):
            continue  # the thread ended meanwhile, or the kernel keeps no schedstat
        found[int(tid)] = (switches, nanoseconds)
    return found
