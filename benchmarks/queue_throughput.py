"""Queue benchmark: `RedisQueue.push` against raw `rq.Queue.enqueue`, and scheduled-job delay.

    .venv/bin/python benchmarks/queue_throughput.py [--jobs 5000] [--rounds 3] [--delayed 10]

Needs a Redis on 127.0.0.1:6379 (uses db 15 and throw-away queue names). Part 1 enqueues
`--jobs` no-op jobs both ways, alternating, and reports the median of `--rounds`; our push
does more per call (import/pickle checks, run ID, outage guard, a log line to a NullLogger),
so the ratio is its overhead. Part 2 starts one worker process (`run_worker`, scheduler on)
and measures, for `--delayed` jobs pushed with `push_at`, the time from the requested instant
to the worker starting the job (RQ's `job.started_at`).
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import os
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rq import Queue  # noqa: E402
from rq.job import Job  # noqa: E402

from equipment.Log.NullLogger import NullLogger  # noqa: E402
from equipment.Queue.QueueFactory import QueueFactory  # noqa: E402

NOOP = math.floor  # importable everywhere, cheap; the worker never runs part 1's jobs


def config(queue_name: str) -> dict:
    return {"connection": "redis", "redis": {"db": 15, "queues": queue_name}}


def time_raw(n: int) -> float:
    name = f"bench-raw-{uuid.uuid4().hex[:8]}"
    queue = QueueFactory(config(name), NullLogger())
    raw = Queue(name, connection=queue.connection)  # type: ignore[attr-defined]
    started = time.perf_counter()
    for _ in range(n):
        raw.enqueue(NOOP, 1.5)
    elapsed = time.perf_counter() - started
    raw.delete(delete_jobs=True)
    return elapsed


def time_push(n: int) -> float:
    name = f"bench-push-{uuid.uuid4().hex[:8]}"
    queue = QueueFactory(config(name), NullLogger())
    started = time.perf_counter()
    for _ in range(n):
        if not queue.push(NOOP, 1.5):
            raise SystemExit("push failed: is Redis running on 127.0.0.1:6379?")
    elapsed = time.perf_counter() - started
    queue.queue.delete(delete_jobs=True)  # type: ignore[attr-defined]
    return elapsed


def throughput(n: int, rounds: int) -> tuple[float, float]:
    raws, pushes = [], []
    for _ in range(rounds):
        raws.append(time_raw(n))
        pushes.append(time_push(n))
    return statistics.median(raws), statistics.median(pushes)


WORKER = (
    "import sys; from equipment.Log.NullLogger import NullLogger;"
    "from equipment.Queue.Settings import QueueSettings;"
    "from equipment.Queue.Worker import run_worker;"
    "s = QueueSettings.from_config({config!r});"
    "sys.exit(run_worker(s.redis, NullLogger()))"
)


def scheduled_delay(count: int) -> list[float]:
    name = f"bench-delay-{uuid.uuid4().hex[:8]}"
    queue = QueueFactory(config(name), NullLogger())
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    worker = subprocess.Popen([sys.executable, "-c", WORKER.format(config=config(name))], env=env)
    try:
        time.sleep(1.5)  # let the worker and its scheduler start
        base = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1)
        instants = [base + dt.timedelta(seconds=i * 0.37) for i in range(count)]
        for instant in instants:
            queue.push_at(instant, NOOP, 1.5)
        ids = queue.queue.scheduled_job_registry.get_job_ids()  # type: ignore[attr-defined]
        return _wait_started(queue, ids, instants)
    finally:
        worker.terminate()
        worker.wait(timeout=20)
        queue.queue.delete(delete_jobs=True)  # type: ignore[attr-defined]


def _wait_started(queue, ids: list[str], instants: list[dt.datetime]) -> list[float]:
    conn = queue.connection
    deadline = time.monotonic() + 30 + len(ids)
    while time.monotonic() < deadline:
        jobs = Job.fetch_many(ids, connection=conn)
        if all(j is not None and j.get_status() == "finished" for j in jobs):
            break
        time.sleep(0.2)
    by_id = {j.id: j for j in Job.fetch_many(ids, connection=conn) if j}
    starts = sorted(by_id[i].started_at for i in ids if by_id.get(i) and by_id[i].started_at)
    return [(s - w).total_seconds() for s, w in zip(starts, sorted(instants), strict=False)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--delayed", type=int, default=10)
    args = parser.parse_args()

    raw, push = throughput(args.jobs, args.rounds)
    overhead = push / raw - 1
    print(f"enqueue {args.jobs} no-op jobs, median of {args.rounds} (lower is better)")
    print(f"{'method':<24}{'seconds':>10}{'jobs/s':>10}")
    print(f"{'rq.Queue.enqueue':<24}{raw:>10.3f}{args.jobs / raw:>10.0f}")
    print(f"{'RedisQueue.push':<24}{push:>10.3f}{args.jobs / push:>10.0f}")
    verdict = "OK" if overhead <= 0.15 else "ABOVE TARGET"
    print(f"overhead of push: {overhead:+.1%} (target <= 15%: {verdict})")

    delays = scheduled_delay(args.delayed)
    if delays:
        print(
            f"push_at -> worker start, {len(delays)} jobs, one worker: median "
            f"{statistics.median(delays):.3f}s, min {min(delays):.3f}s, max {max(delays):.3f}s"
        )
    else:
        print("push_at -> worker start: no job started (is the worker able to run?)")


if __name__ == "__main__":
    main()
