"""A simulated day in a generated project's test kit, next to plain `schedule` on a patched clock.

    .venv/bin/python benchmarks/simulated_day.py

Ours: `equipment new` makes a project in a temporary folder; a test of its own `TestCase`
runs `run_until(self.scheduler(), timedelta(days=1))`: its two jobs (a quote logged every
second, a queue push every 5 seconds on the sync queue) for 86,400 simulated seconds, each
run with its record, its log lines, its state and history row. Plain `schedule`: the same
two jobs, each logging one line to a handler that keeps it, driven through the same day by
patching the `datetime` that `schedule` reads. Prints both and the ratio; medians of 3.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TEST = '''
import time
import unittest
from datetime import timedelta

from equipment.Scheduler.Testing import run_until
from tests.TestCase import TestCase


class SimulatedDay(TestCase):
    def test_a_day(self) -> None:
        scheduler = self.scheduler()
        started = time.perf_counter()
        runs = run_until(scheduler, timedelta(days=1))
        print(f"{time.perf_counter() - started} {len(runs)} {len(self.log.records)}")


unittest.main(argv=["day"], exit=False, verbosity=0)
'''


def ours(project: Path) -> tuple[float, int, int]:
    done = subprocess.run(
        [sys.executable, "-c", TEST], cwd=project, capture_output=True, text=True, check=True
    )
    seconds, runs, records = done.stdout.split()
    return float(seconds), int(runs), int(records)


def plain_schedule() -> float:
    import schedule

    now = [dt.datetime(2026, 1, 5, 12, 0)]

    class Frozen(dt.datetime):
        @classmethod
        def now(cls, tz: dt.tzinfo | None = None) -> dt.datetime:  # type: ignore[override]
            return now[0]

    kept: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            kept.append(record)

    log = logging.getLogger("simulated-day")
    log.handlers, log.propagate = [Keep()], False
    log.setLevel(logging.DEBUG)
    quotes = ["Keep going.", "One step at a time.", "Ship it."]
    real = schedule.datetime.datetime
    schedule.datetime.datetime = Frozen  # type: ignore[misc]
    try:
        jobs = schedule.Scheduler()
        jobs.every(1).seconds.do(lambda: log.debug(random.choice(quotes)))
        jobs.every(5).seconds.do(lambda: log.info(random.choice(quotes)))
        end = now[0] + dt.timedelta(days=1)
        started = time.perf_counter()
        while now[0] < end:
            jobs.run_pending()
            now[0] = jobs.next_run  # type: ignore[assignment]
        return time.perf_counter() - started
    finally:
        schedule.datetime.datetime = real  # type: ignore[misc]


def main() -> None:
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args()  # no options
    with tempfile.TemporaryDirectory() as folder:
        project = Path(folder) / "day"
        equipment = Path(sys.executable).with_name("equipment")
        subprocess.run(
            [str(equipment), "new", "day", "--path", str(project)],
            check=True, capture_output=True, env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
        )
        results = [ours(project) for _ in range(3)]
    mine = statistics.median(seconds for seconds, _, _ in results)
    _, runs, records = results[0]
    plain = statistics.median(plain_schedule() for _ in range(3))
    print(f"generated project's TestCase, run_until one day: {mine:.2f} s "
          f"({runs:,} runs, {records:,} log records)")
    print(f"plain schedule on a patched clock, same day:     {plain:.2f} s")
    print(f"ratio: {mine / plain:.2f}x the plain loop's time")


if __name__ == "__main__":
    main()
