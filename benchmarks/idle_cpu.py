"""CPU seconds per hour spent by a scheduler loop that has nothing to do.

100 jobs every hour, none due during the window; each loop runs in its own process and the
process's CPU time (user + system, `resource.getrusage`) over the window, taken once start-up
is over, is scaled to an hour. Run alone with `python benchmarks/idle_cpu.py [--window 60]`,
or as part of `python benchmarks/loop_lateness.py`. Both loops run side by side.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

IDLE_JOBS = 100
SETTLE = 2.0  # seconds left for registration and the startup log before measuring


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def idle_job() -> None:
    """Never due during the window."""


def idle_ours(window: float) -> dict[str, Any]:
    from equipment.Log.NullLogger import NullLogger
    from equipment.Scheduler.Scheduler import Scheduler

    scheduler = Scheduler(log=NullLogger(), settings={"timezone": "UTC"})
    for number in range(IDLE_JOBS):
        scheduler.schedule.every().hour.name(f"idle-{number}").do(idle_job)
    measured: dict[str, Any] = {}
    threading.Thread(target=_measure, args=(window, measured, scheduler.stop)).start()
    scheduler.run()
    return measured


def idle_plain(window: float) -> dict[str, Any]:
    import schedule

    for _ in range(IDLE_JOBS):
        schedule.every().hour.do(idle_job)
    measured: dict[str, Any] = {}
    threading.Thread(target=_measure, args=(window, measured, lambda: None)).start()
    while not measured:  # the original framework's loop
        schedule.run_pending()
        time.sleep(1)
    return measured


def _measure(window: float, into: dict[str, Any], stop: Callable[[], None]) -> None:
    """Steady state only: wait for start-up to finish, then count CPU over `window`."""
    time.sleep(SETTLE)
    cpu_before, started = cpu_seconds(), time.monotonic()
    time.sleep(window)
    elapsed, cpu = time.monotonic() - started, cpu_seconds() - cpu_before
    into.update(window=elapsed, cpu=cpu, cpu_per_hour=cpu * 3600 / elapsed)
    stop()


WORKERS = {"idle-ours": idle_ours, "idle-plain": idle_plain}


def spawn(script: str, worker: str, *args: str) -> subprocess.Popen[str]:
    """Start `script --worker worker args...` in its own interpreter; it prints JSON."""
    command = [sys.executable, script, "--worker", worker, *args]
    return subprocess.Popen(command, stdout=subprocess.PIPE, text=True)


def collect(process: subprocess.Popen[str]) -> dict[str, Any]:
    output, _ = process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"benchmark worker {process.args} failed ({process.returncode})")
    return json.loads(output)


def format_idle(ours: dict[str, Any], plain: dict[str, Any]) -> list[str]:
    ratio = plain["cpu_per_hour"] / ours["cpu_per_hour"] if ours["cpu_per_hour"] else float("inf")
    return [
        f"| idle CPU, {IDLE_JOBS} hourly jobs (s per hour) | {ours['cpu_per_hour']:.3f} "
        f"| {plain['cpu_per_hour']:.3f} | {ratio:.0f}x less |",
    ]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--window", type=float, default=60.0, help="seconds measured")
    parser.add_argument("--worker", choices=sorted(WORKERS), help=argparse.SUPPRESS)
    options = parser.parse_args(argv)
    if options.worker:
        print(json.dumps(WORKERS[options.worker](options.window)))
        return
    window = str(options.window)
    ours = spawn(__file__, "idle-ours", "--window", window)
    plain = spawn(__file__, "idle-plain", "--window", window)
    print("| measure | equipment | schedule + sleep(1) | ratio |")
    print("|---|---|---|---|")
    print("\n".join(format_idle(collect(ours), collect(plain))))


if __name__ == "__main__":
    main()
