"""Scheduler replicas under `coordination: redis`, against the Redis on 127.0.0.1:6379/15.

1. Takeover: two replicas (tests/Scheduler/replicas/replica.py, a job every second); the
   leader gets kill -9, SIGTERM or SIGSTOP; the time from the signal to the standby's
   "Leading with fencing token" line, median and max over --runs runs.
2. Claim overhead: what claiming costs per occurrence, one claim per call vs a pass of
   1,000 claimed in one batch.
3. Load: one replica (this process) leading 10,000 jobs every 10 s for --seconds; its CPU
   share (process time / wall time) and the lateness (start - scheduled) p50/p99/max; then
   the same without coordination, for comparison. `every(10).seconds` jobs registered
   together share one grid, so the 10,000 fall due at the same instant: a burst.

    .venv/bin/python benchmarks/replicas.py                 # lease 10 s, 3 runs, 60 s load
    .venv/bin/python benchmarks/replicas.py --lease 3 --runs 5 --seconds 30
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import signal
import statistics
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import redis  # noqa: E402

from equipment.Log.NullLogger import NullLogger  # noqa: E402
from equipment.Scheduler.Clock import SystemClock  # noqa: E402
from equipment.Scheduler.Coordination.RedisCoordinator import RedisCoordinator  # noqa: E402
from equipment.Scheduler.RunRecord import RunRecord, run_id_for  # noqa: E402
from equipment.Scheduler.Scheduler import Scheduler  # noqa: E402
from tests.Scheduler.replicas.processes import leader, replicas, wait_for  # noqa: E402

URL = "redis://127.0.0.1:6379/15"


def cleanup(client: Any, prefix: str) -> None:
    for key in client.scan_iter(match=f"{prefix}*"):
        client.delete(key)


def takeover(client: Any, how: str, lease: float) -> float:
    prefix = f"bench-{uuid.uuid4().hex[:10]}:"
    spec = {"prefix": prefix, "lease": lease, "job": "record", "every": 1}
    try:
        with replicas(2, spec) as processes:
            assert wait_for(lambda: leader(processes, client, prefix), 15), "no leader"
            time.sleep(1.0 + (hash(prefix) % 1000) / 1000 * lease / 3)  # any point of a renewal
            first = leader(processes, client, prefix)
            other = next(p for p in processes if p is not first)
            signum = {"kill -9": signal.SIGKILL, "SIGTERM": signal.SIGTERM,
                      "SIGSTOP": signal.SIGSTOP}[how]
            sent = time.monotonic()
            first.signal(signum)
            assert wait_for(lambda: other.found("Leading with fencing token"), lease * 3)
            return other.found("Leading with fencing token")[0][0] - sent
    finally:
        cleanup(client, prefix)


def claim_overhead(client: Any) -> dict[str, float]:
    prefix = f"bench-{uuid.uuid4().hex[:10]}:"
    coordinator = RedisCoordinator(client, prefix, "bench:1", 10, SystemClock(), NullLogger(), URL)
    coordinator.step()
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)

    def records(count: int, offset: int) -> list[RunRecord]:
        at = start + dt.timedelta(seconds=offset)
        return [RunRecord(f"job-{n}", run_id_for(f"job-{n}", at), at) for n in range(count)]

    try:
        single = records(1000, 0)
        began = time.perf_counter()
        for record in single:
            assert coordinator.claim(record)
        one_by_one = (time.perf_counter() - began) / len(single)
        timings = []
        for pass_number in range(1, 11):
            batch = records(1000, pass_number)
            began = time.perf_counter()
            assert len(coordinator.claim_many(batch)) == 1000
            timings.append((time.perf_counter() - began) / 1000)
        return {
            "claim, one per call (us)": one_by_one * 1e6,
            "claim, 1,000 per pass (us each)": statistics.median(timings) * 1e6,
        }
    finally:
        cleanup(client, prefix)


def noop() -> None:
    return None


def spread(scheduler: Scheduler, period: float) -> None:
    """Store anchors spread evenly over `period` for the registered jobs, as jobs registered
    over time have: one falls due every `period / jobs` seconds instead of all at once."""
    from equipment.Scheduler.State.StateStore import JobState

    jobs = scheduler.schedule.get_jobs()
    base = dt.datetime.now(dt.UTC)
    scheduler.state.adopt(
        JobState(job.id, job.fingerprint, base + dt.timedelta(seconds=period * n / len(jobs)))
        for n, job in enumerate(jobs)
    )


def load(
    client: Any, jobs: int, seconds: float, coordination: str, spread_phases: bool = False
) -> dict[str, float]:
    prefix = f"bench-{uuid.uuid4().hex[:10]}:"
    settings = {"timezone": "UTC", "coordination": coordination, "redis_url": URL,
                "key_prefix": prefix, "max_sleep": 1}
    scheduler = Scheduler(log=NullLogger(), settings=settings)
    lateness: list[float] = []
    for n in range(jobs):
        scheduler.schedule.every(10).seconds.name(f"job-{n}").do(noop).on_success(
            lambda record: lateness.append(record.lateness)
        )
    if spread_phases:
        spread(scheduler, 10.0)
    timer = threading.Timer(seconds + 2, scheduler.stop)
    timer.start()
    cpu, wall = 0.0, 0.0

    def measure() -> None:
        nonlocal cpu, wall
        time.sleep(2)  # registration and the first takeover are not the steady state
        cpu0, wall0, seen = time.process_time(), time.monotonic(), len(lateness)
        time.sleep(seconds)
        cpu, wall = time.process_time() - cpu0, time.monotonic() - wall0
        lateness[:] = lateness[seen:]

    meter = threading.Thread(target=measure)
    meter.start()
    try:
        scheduler.run()
    finally:
        meter.join()
        timer.cancel()
        cleanup(client, prefix)
    ordered = sorted(lateness)
    return {
        "runs measured": len(ordered),
        "CPU share (%)": 100 * cpu / wall,
        "lateness p50 (ms)": 1000 * ordered[len(ordered) // 2],
        "lateness p99 (ms)": 1000 * ordered[int(len(ordered) * 0.99)],
        "lateness max (ms)": 1000 * ordered[-1],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lease", type=float, default=10.0)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--skip", nargs="*", default=[], choices=["takeover", "claims", "load"])
    parser.add_argument(
        "--spread", action="store_true", help="spread the jobs' phases over their 10 s"
    )
    options = parser.parse_args()
    client = redis.Redis.from_url(URL)
    results: dict[str, Any] = {"lease (s)": options.lease}
    if "takeover" not in options.skip:
        for how in ("SIGTERM", "kill -9", "SIGSTOP"):
            times = [takeover(client, how, options.lease) for _ in range(options.runs)]
            results[f"takeover after {how} (s)"] = {
                "median": round(statistics.median(times), 3),
                "max": round(max(times), 3),
                "runs": [round(t, 3) for t in times],
            }
            print(how, results[f"takeover after {how} (s)"], flush=True)
    if "claims" not in options.skip:
        results.update({k: round(v, 1) for k, v in claim_overhead(client).items()})
    if "load" not in options.skip:
        for coordination in ("redis", "none"):  # the leader, then one process alone
            measured = load(client, options.jobs, options.seconds, coordination, options.spread)
            shape = "spread over 10 s" if options.spread else "due together"
            results[f"{options.jobs} jobs every 10 s ({shape}), coordination {coordination}"] = {
                k: round(v, 2) for k, v in measured.items()
            }
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
