"""The scheduler core at scale, side by side with plain `schedule` in one run.

    .venv/bin/python benchmarks/core_scale.py            # about 2 minutes
    .venv/bin/python benchmarks/core_scale.py --quick    # about 30 seconds

Each measure runs in a fresh subprocess, so one does not inherit another's heap:

- registering N interval jobs (`every(10).seconds.do(noop)`), ours and `schedule`'s;
- a pass with nothing due (`tick()` vs `run_pending()`) and the next wake-up
  (`idle_seconds`), at N jobs, each the median of many calls;
- 10,000 jobs every 10 s on the real clock for a window, their phases spread evenly over
  the 10 s (one due every millisecond, as jobs registered over time are): CPU share of the
  process and lateness (start minus scheduled instant) median and p99. (Jobs that all fall
  due in the same instant queue behind each other: that burst is measured in `make bench`.)
- start-up with N jobs already in a SQLite state file: constructing the scheduler,
  registering the jobs against the stored grids and its first pass;
- memory per 10,000 registered jobs (tracemalloc);
- one pass's state write: 10,000 run records into SQLite in one batch, and one record.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

SIZES = (1_000, 10_000, 100_000)


def noop() -> None:
    """A job that does nothing: what is measured is the scheduler."""


def ours(state: Any = None, log: Any = None, size: int = 0, named: bool = False):
    """Our scheduler; with `size`, a subclass whose `run()` registers that many jobs, as an
    application's does (`collect()` registers them without starting the loop)."""
    from equipment.Log.NullLogger import NullLogger
    from equipment.Scheduler.Scheduler import Scheduler

    class Jobs(Scheduler):
        def run(self) -> None:
            for number in range(size):
                job = self.schedule.every(10).seconds
                (job.name(f"job-{number}") if named else job).do(noop)
            super().run()

    return Jobs(log=log or NullLogger(), settings={"timezone": "UTC"}, state=state)


def median_call_ms(call, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


# -- measures (each runs in its own process) ------------------------------------------------


def register(size: int) -> dict[str, float]:
    import schedule

    plain = schedule.Scheduler()
    started = time.perf_counter()
    for _ in range(size):
        plain.every(10).seconds.do(noop)
    plain_seconds = time.perf_counter() - started
    scheduler = ours(size=size)
    started = time.perf_counter()
    scheduler.collect()
    return {"ours_s": time.perf_counter() - started, "schedule_s": plain_seconds}


def idle_pass(size: int) -> dict[str, float]:
    import schedule

    plain = schedule.Scheduler()
    scheduler = ours()
    for _ in range(size):
        plain.every(1).hours.do(noop)
        scheduler.schedule.every(1).hours.do(noop)
    scheduler.tick()
    repeat = 200 if size <= 10_000 else 20
    return {
        "ours_pass_ms": median_call_ms(scheduler.tick, 2000),
        "schedule_pass_ms": median_call_ms(plain.run_pending, repeat),
        "ours_wake_ms": median_call_ms(lambda: scheduler.schedule.idle_seconds, 2000),
        "schedule_wake_ms": median_call_ms(lambda: plain.idle_seconds, repeat),
    }


def load(size: int, window: float, state_folder: str | None = None) -> dict[str, float]:
    """The load test; with `state_folder`, job state goes to SQLite there, as in a project."""
    import resource
    import threading

    from equipment.Scheduler.State.SqliteStateStore import SqliteStateStore

    lateness: list[float] = []

    class Measured(type(ours())):  # type: ignore[misc]
        def tick(self):
            records = super().tick()
            lateness.extend(r.lateness for r in records if r.started_at is not None)
            return records

    from equipment.Log.NullLogger import NullLogger

    state = SqliteStateStore(Path(state_folder) / "state.db") if state_folder else None
    scheduler = Measured(log=NullLogger(), settings={"timezone": "UTC"}, state=state)
    first = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=2)
    for number in range(size):
        job = scheduler.schedule.every(10).seconds.do(noop)
        job.next_run_at = first + dt.timedelta(seconds=10 * number / size)  # spread phases
    timer = threading.Timer(window, scheduler.stop)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu_before, wall_before = usage.ru_utime + usage.ru_stime, time.monotonic()
    timer.start()
    scheduler.run()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu = usage.ru_utime + usage.ru_stime - cpu_before
    wall = time.monotonic() - wall_before
    ordered = sorted(lateness)
    return {
        "runs": len(ordered),
        "runs_per_s": len(ordered) / wall,
        "cpu_share": cpu / wall,
        "lateness_median_ms": statistics.median(ordered) * 1000,
        "lateness_p99_ms": ordered[int(len(ordered) * 0.99)] * 1000,
        "lateness_max_ms": ordered[-1] * 1000,
    }


def startup(size: int, folder: str) -> dict[str, float]:
    from equipment.Scheduler.State.SqliteStateStore import SqliteStateStore

    path = Path(folder) / "scheduler.sqlite3"
    first = ours(state=SqliteStateStore(path), size=size, named=True)
    first.collect()
    first.schedule.sync_state()
    first.state.close()
    started = time.perf_counter()
    second = ours(state=SqliteStateStore(path), size=size, named=True)
    second.collect()
    second.tick()
    return {"startup_s": time.perf_counter() - started}


def memory(size: int) -> dict[str, float]:
    import tracemalloc

    import schedule

    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    plain = schedule.Scheduler()
    for _ in range(size):
        plain.every(10).seconds.do(noop)
    plain_bytes = tracemalloc.get_traced_memory()[0] - before
    before = tracemalloc.get_traced_memory()[0]
    scheduler = ours()
    for _ in range(size):
        scheduler.schedule.every(10).seconds.do(noop)
    ours_bytes = tracemalloc.get_traced_memory()[0] - before
    per = 10_000 / size / 1024 / 1024
    return {"ours_mib_per_10k": ours_bytes * per, "schedule_mib_per_10k": plain_bytes * per}


def state_write(size: int, folder: str) -> dict[str, float]:
    from equipment.Scheduler.RunRecord import SUCCESS, RunRecord
    from equipment.Scheduler.State.SqliteStateStore import SqliteStateStore
    from equipment.Scheduler.State.StateStore import JobState

    now = dt.datetime.now(dt.UTC)
    store = SqliteStateStore(Path(folder) / "scheduler.sqlite3")
    store.adopt(JobState(f"job-{n}", "every 10 seconds", now) for n in range(size))
    records = [
        RunRecord(f"job-{n}", f"job-{n}@x", now, now, now, 0.001, SUCCESS) for n in range(size)
    ]
    batch = median_call_ms(lambda: store.record(records), 5)
    single = median_call_ms(lambda: store.record(records[:1]), 200)
    return {"batch_ms": batch, "per_record_in_batch_us": batch * 1000 / size, "one_ms": single}


MEASURES = {
    "register": register,
    "idle_pass": idle_pass,
    "load": load,
    "startup": startup,
    "memory": memory,
    "state_write": state_write,
}


def in_subprocess(name: str, *args: Any) -> dict[str, float]:
    code = (
        "import json, sys; sys.path.insert(0, 'benchmarks'); import core_scale; "
        f"print(json.dumps(core_scale.MEASURES[{name!r}](*{list(args)!r})))"
    )
    output = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=900
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def ratio(plain: float, mine: float) -> str:
    return f"{plain / mine:.0f}x" if mine else "n/a"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller load window")
    options = parser.parse_args()
    window = 20.0 if options.quick else 60.0
    rows = ["| measure | jobs | equipment | schedule | schedule / ours |", "|---|---|---|---|---|"]
    for size in SIZES:
        r = in_subprocess("register", size)
        rows.append(
            f"| register | {size:,} | {r['ours_s']:.3f} s | {r['schedule_s']:.3f} s | "
            f"{r['ours_s'] / r['schedule_s']:.1f}x their time |"
        )
    for size in SIZES:
        r = in_subprocess("idle_pass", size)
        rows.append(
            f"| pass, nothing due | {size:,} | {r['ours_pass_ms']:.4f} ms | "
            f"{r['schedule_pass_ms']:.3f} ms | {ratio(r['schedule_pass_ms'], r['ours_pass_ms'])} |"
        )
        rows.append(
            f"| next wake-up | {size:,} | {r['ours_wake_ms']:.4f} ms | "
            f"{r['schedule_wake_ms']:.3f} ms | {ratio(r['schedule_wake_ms'], r['ours_wake_ms'])} |"
        )
    for label, folder in (("memory", None), ("SQLite", tempfile.mkdtemp())):
        r = in_subprocess("load", 10_000, window, folder)
        rows.append(
            f"| every 10 s, {window:.0f} s window, state in {label} | 10,000 | "
            f"{r['runs_per_s']:.0f} runs/s, CPU {r['cpu_share']:.1%}, lateness median "
            f"{r['lateness_median_ms']:.2f} ms, p99 {r['lateness_p99_ms']:.2f} ms, max "
            f"{r['lateness_max_ms']:.2f} ms | | |"
        )
    with tempfile.TemporaryDirectory() as folder:
        r = in_subprocess("startup", 100_000, folder)
    rows.append(f"| start-up with stored state | 100,000 | {r['startup_s']:.2f} s | | |")
    r = in_subprocess("memory", 10_000)
    rows.append(
        f"| memory per 10,000 jobs | 10,000 | {r['ours_mib_per_10k']:.1f} MiB | "
        f"{r['schedule_mib_per_10k']:.1f} MiB | |"
    )
    with tempfile.TemporaryDirectory() as folder:
        r = in_subprocess("state_write", 10_000, folder)
    rows.append(
        f"| state write, one pass | 10,000 records | {r['batch_ms']:.1f} ms "
        f"({r['per_record_in_batch_us']:.1f} µs each); 1 record {r['one_ms']:.2f} ms | | |"
    )
    print("\n".join(rows))


if __name__ == "__main__":
    main()
