"""A simulated day in a generated project's test kit, next to plain `schedule` on a patched clock.

    .venv/bin/python benchmarks/simulated_day.py

Ours: `equipment new` makes a project in a temporary folder; a test of its own `TestCase`
runs `run_until(self.scheduler(), timedelta(days=1))`: its two jobs (a quote logged every
second, a queue push every 5 seconds on the sync queue) for 86,400 simulated seconds, each
run with its record, its log lines, its state and history row.

The bare runs: the same project's same two jobs through the same day, each run making only
its record and its start and end lines, from a heap: what every run costs at the least,
without any other step of the scheduler's (pauses, claims, state, the clock watch...).

The steps inlined: the same runs with every step a run of ours takes (its record, the pause
lookup, its push scope, its timing, its two lines, rescheduling on its trigger, the state and
history write of each pass) written out in one loop, with no call between them that the
steps do not need: what our design costs with no layers. Not a way to run jobs (it has no
stop, claim, hook or catch-up path): a measure of what the layers cost.

Plain `schedule`: the same two jobs, each logging one line to a handler that keeps it,
driven through the same day by patching the `datetime` that `schedule` reads.

Prints the four and the ratios; medians of 3.
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


BARE = '''
import heapq
import time
import unittest
from datetime import timedelta

from equipment.Scheduler.CollectorPause import collector_paused
from equipment.Scheduler.RunRecord import SUCCESS, RunRecord
from tests.TestCase import TestCase


class BareDay(TestCase):
    def test_a_day(self) -> None:
        jobs = self.scheduler().collect()
        log, clock = self.log, self.clock
        end = clock.now() + timedelta(days=1)
        due = [(job.next_run_at, n, job.trigger.period(), job) for n, job in enumerate(jobs)]
        heapq.heapify(due)
        runs = []
        started = time.perf_counter()
        with collector_paused():
            while due[0][0] < end:
                at, n, period, job = heapq.heappop(due)
                clock.set(at)
                record = RunRecord.of_occurrence(job.id, at)
                record.started_at = at
                log.info("Job %s started", record.job_id, extra=record.start_fields())
                record.result = job.job_func()
                record.outcome, record.finished_at = SUCCESS, clock.now()
                log.info("Job %s finished in %s", job.id, "0.0 ms", extra=record.log_fields())
                runs.append(record)
                heapq.heappush(due, (at + period, n, period, job))
        print(f"{time.perf_counter() - started} {len(runs)} {len(log.records)}")


unittest.main(argv=["day"], exit=False, verbosity=0)
'''


INLINED = '''
import heapq
import time
import unittest
from datetime import timedelta
from logging import INFO

from equipment.Queue.RunContext import PushScope, enter_run, leave_run
from equipment.Scheduler import Occurrences
from equipment.Scheduler.CollectorPause import collector_paused
from equipment.Scheduler.Runner import _seconds
from equipment.Scheduler.RunRecord import FAILURE, SUCCESS, RunRecord
from tests.TestCase import TestCase


class InlinedDay(TestCase):
    def test_a_day(self) -> None:
        scheduler = self.scheduler()
        jobs = scheduler.collect()
        scheduler.schedule.sync_state()
        log, clock, store = self.log, self.clock, scheduler.state
        end = clock.now() + timedelta(days=1)
        due = [(job.next_run_at, n, job) for n, job in enumerate(jobs)]
        heapq.heapify(due)
        runs, paused, read_at = [], (), -1.0
        started = time.perf_counter()
        with collector_paused():
            while due[0][0] < end:
                at = due[0][0]
                clock.set(at)
                handled = []
                while due and due[0][0] <= at:
                    _, n, job = heapq.heappop(due)
                    record = RunRecord.of_occurrence(job.id, at, job.epoch, None)
                    if clock.monotonic() - read_at >= 1.0:
                        paused, read_at = store.paused(), clock.monotonic()
                    if record.job_id not in paused:
                        record.started_at = clock.now()
                        began = clock.monotonic()
                        if log.is_enabled_for(INFO):
                            log.info("Job %s started", job.id, extra=record.start_fields())
                        try:
                            run = enter_run(PushScope(record.run_id, None))
                            try:
                                record.result = job.job_func()
                            finally:
                                record.queue_job_id = leave_run(run)
                            record.outcome = SUCCESS
                        except Exception as error:
                            record.outcome, record.error = FAILURE, error
                        finally:
                            record.duration = clock.monotonic() - began
                            record.finished_at = clock.now()
                        if log.is_enabled_for(INFO):
                            log.info("Job %s finished in %s", job.id,
                                     _seconds(record.duration), extra=record.log_fields())
                    handled.append(record)
                    job.last_run_at, job.last_record = record.finished_at, record
                    job._next_run_at = Occurrences.next_run(job.trigger, at, clock.now())
                    heapq.heappush(due, (job._next_run_at, n, job))
                store.record(handled)
                runs += handled
        print(f"{time.perf_counter() - started} {len(runs)} {len(log.records)}")


unittest.main(argv=["day"], exit=False, verbosity=0)
'''


def ours(project: Path, script: str = TEST) -> tuple[float, int, int]:
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=project, capture_output=True, text=True, check=True
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
        bare_results = [ours(project, BARE) for _ in range(3)]
        inlined = statistics.median(ours(project, INLINED)[0] for _ in range(3))
    mine = statistics.median(seconds for seconds, _, _ in results)
    bare = statistics.median(seconds for seconds, _, _ in bare_results)
    _, runs, records = results[0]
    _, bare_runs, bare_records = bare_results[0]
    plain = statistics.median(plain_schedule() for _ in range(3))
    print(f"generated project's TestCase, run_until one day: {mine:.2f} s "
          f"({runs:,} runs, {records:,} log records)")
    print(f"the same runs bare (records and lines only):    {bare:.2f} s "
          f"({bare_runs:,} runs, {bare_records:,} log records)")
    print(f"the same runs, our steps inlined in one loop:   {inlined:.2f} s")
    print(f"plain schedule on a patched clock, same day:     {plain:.2f} s")
    print(f"ratio: {mine / plain:.2f}x the plain loop's time, {mine / bare:.2f}x the bare runs', "
          f"{mine / inlined:.2f}x the inlined steps'; inlined: {inlined / plain:.2f}x plain")


if __name__ == "__main__":
    main()
