"""Equipment's scheduler loop vs the original framework's loop, side by side, in real time.

Two processes run at once on the same machine:

- ours: `Scheduler.run()` (sleeps until the next job is due, interruptible);
- plain: `schedule` 1.2.2 with `while True: schedule.run_pending(); time.sleep(1)`.

Each registers a job every second and six jobs pinned to the wall clock
(`every().minute.at(":00")`, `":10"` ... `":50"`), and records when each run starts.
Lateness of the 1-second job is measured against its grid (first scheduled run + k x 1 s,
the scheduled time read from the job when it is registered): median,
p99, least-squares slope per firing, and the median of the first vs the last tenth of the
run. Pinned jobs are measured against their exact second. Then (also side by side) the
idle CPU of each loop with 100 hourly jobs (benchmarks/idle_cpu.py).

    python benchmarks/loop_lateness.py            # 600 firings: about 11 minutes
    python benchmarks/loop_lateness.py --quick    # 60 firings, 20 s idle window: ~1.5 min
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import idle_cpu

PINNED_SECONDS = (0, 10, 20, 30, 40, 50)


class Recorder:
    """Start times (time.time()) of the 1-second job and of the pinned jobs."""

    def __init__(self, firings: int, work: float, on_done: Callable[[], None]) -> None:
        self.firings = firings
        self.work = work
        self.on_done = on_done
        self.every_second: list[float] = []
        self.pinned: list[float] = []
        self.first_due = 0.0  # when the 1 s job was first scheduled to run (epoch seconds)

    def second(self) -> None:
        self.every_second.append(time.time())
        if self.work:
            time.sleep(self.work)  # the job's own duration
        if len(self.every_second) >= self.firings:
            self.on_done()

    def pin(self) -> None:
        self.pinned.append(time.time())

    def result(self) -> dict[str, Any]:
        return {
            "every_second": self.every_second,
            "pinned": self.pinned,
            "first_due": self.first_due,
        }


def lateness_ours(firings: int, work: float) -> dict[str, Any]:
    from equipment.Log.NullLogger import NullLogger
    from equipment.Scheduler.Scheduler import Scheduler

    scheduler = Scheduler(log=NullLogger(), settings={"timezone": "UTC"})
    recorder = Recorder(firings, work, scheduler.stop)
    job = scheduler.schedule.every(1).seconds.name("every-second").do(recorder.second)
    recorder.first_due = job.next_run_at.timestamp()
    for second in PINNED_SECONDS:
        scheduler.schedule.every().minute.at(f":{second:02d}").name(f"pin-{second}").do(
            recorder.pin
        )
    scheduler.run()
    return recorder.result()


class _Done(Exception):
    pass


def lateness_plain(firings: int, work: float) -> dict[str, Any]:
    import schedule

    def done() -> None:
        raise _Done

    recorder = Recorder(firings, work, done)
    job = schedule.every(1).seconds.do(recorder.second)
    recorder.first_due = job.next_run.timestamp()  # naive local, as schedule keeps it
    for second in PINNED_SECONDS:
        schedule.every().minute.at(f":{second:02d}").do(recorder.pin)
    try:
        while True:  # the original framework's loop
            schedule.run_pending()
            time.sleep(1)
    except _Done:
        pass
    return recorder.result()


WORKERS: dict[str, Callable[..., dict[str, Any]]] = {
    "lateness-ours": lateness_ours,
    "lateness-plain": lateness_plain,
}


# -- statistics ------------------------------------------------------------------------------


def grid_lateness(starts: list[float], first_due: float) -> list[float]:
    """Lateness in ms of firing k against the first scheduled run + k seconds."""
    return [(start - first_due - k) * 1000 for k, start in enumerate(starts)]


def pinned_lateness(starts: list[float]) -> list[float]:
    """Lateness in ms of runs pinned to whole seconds (:00, :10 ... of each minute)."""
    return [((start % 60) % 10) * 1000 for start in starts]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(share * len(ordered) + 0.5) - 1))
    return ordered[rank]


def slope(values: list[float]) -> float:
    """Least-squares slope of values against their index (ms per firing)."""
    n = len(values)
    mean_x, mean_y = (n - 1) / 2, statistics.fmean(values)
    covariance = sum((x - mean_x) * (y - mean_y) for x, y in enumerate(values))
    variance = sum((x - mean_x) ** 2 for x in range(n))
    return covariance / variance


def summarize(result: dict[str, Any]) -> dict[str, float]:
    late = grid_lateness(result["every_second"], result["first_due"])
    tenth = max(1, len(late) // 10)
    pinned = pinned_lateness(result["pinned"]) or [float("nan")]
    return {
        "firings": len(late),
        "median": statistics.median(late),
        "p99": percentile(late, 0.99),
        "slope": slope(late),
        "first_tenth": statistics.median(late[:tenth]),
        "last_tenth": statistics.median(late[-tenth:]),
        "pinned_runs": len(result["pinned"]),
        "pinned_median": statistics.median(pinned),
        "pinned_max": max(pinned),
    }


# -- the report ------------------------------------------------------------------------------

ROWS = (
    ("1 s job: lateness median (ms)", "median", "{:.2f}"),
    ("1 s job: lateness p99 (ms)", "p99", "{:.2f}"),
    ("1 s job: trend (ms per firing)", "slope", "{:+.4f}"),
    ("1 s job: median, first 10% (ms)", "first_tenth", "{:.2f}"),
    ("1 s job: median, last 10% (ms)", "last_tenth", "{:.2f}"),
    ("pinned :SS jobs: lateness median (ms)", "pinned_median", "{:.2f}"),
    ("pinned :SS jobs: lateness max (ms)", "pinned_max", "{:.2f}"),
)


def ratio(ours: float, plain: float) -> str:
    if abs(ours) < 1e-9:
        return "-"
    return f"{plain / ours:.0f}x"


def table(ours: dict[str, float], plain: dict[str, float], idle: list[str]) -> str:
    lines = [
        "| measure | equipment | schedule + sleep(1) | plain / ours |",
        "|---|---|---|---|",
        f"| firings (1 s job / pinned) | {ours['firings']} / {ours['pinned_runs']} "
        f"| {plain['firings']} / {plain['pinned_runs']} | |",
    ]
    for label, key, pattern in ROWS:
        a, b = pattern.format(ours[key]), pattern.format(plain[key])
        lines.append(f"| {label} | {a} | {b} | {ratio(ours[key], plain[key])} |")
    return "\n".join(lines + idle)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--firings", type=int, default=600, help="runs of the 1 s job")
    parser.add_argument("--window", type=float, default=60.0, help="idle CPU window, s")
    parser.add_argument("--work-ms", type=float, default=0.0, help="the job's own duration")
    parser.add_argument("--quick", action="store_true", help="60 firings, 20 s idle window")
    parser.add_argument("--worker", choices=sorted(WORKERS), help=argparse.SUPPRESS)
    options = parser.parse_args(argv)
    if options.quick:
        options.firings, options.window = 60, 20.0
    if options.worker:
        print(json.dumps(WORKERS[options.worker](options.firings, options.work_ms / 1000)))
        return
    run_all(options.firings, options.window, options.work_ms)


def run_all(firings: int, window: float, work_ms: float) -> None:
    args = ("--firings", str(firings), "--work-ms", str(work_ms))
    started = time.monotonic()
    ours = idle_cpu.spawn(__file__, "lateness-ours", *args)
    plain = idle_cpu.spawn(__file__, "lateness-plain", *args)
    ours_summary = summarize(idle_cpu.collect(ours))
    plain_summary = summarize(idle_cpu.collect(plain))
    # Idle CPU after the lateness runs, so the busy processes do not disturb it.
    idle_ours = idle_cpu.spawn(idle_cpu.__file__, "idle-ours", "--window", str(window))
    idle_plain = idle_cpu.spawn(idle_cpu.__file__, "idle-plain", "--window", str(window))
    idle = idle_cpu.format_idle(idle_cpu.collect(idle_ours), idle_cpu.collect(idle_plain))
    print(
        f"python {sys.version.split()[0]}, {firings} firings, job {work_ms:g} ms, "
        f"idle window {window:g} s, wall time {time.monotonic() - started:.0f} s\n"
    )
    print(table(ours_summary, plain_summary, idle))


if __name__ == "__main__":
    main()
