"""A simulated day in a generated project's test kit, next to plain `schedule` on a patched clock.

    .venv/bin/python benchmarks/simulated_day.py               # times a day, about 30 s
    .venv/bin/python benchmarks/simulated_day.py --bytecodes   # counts, about 6 s

`--bytecodes` counts the Python bytecodes each of the four executes per run over one
simulated hour instead of timing a day: the same on every machine and every run, where the
wall time of this VM moves by half between runs of the same code. (Counted by a trace
function, which makes the counted run some 30 times slower.)

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
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

#: Each script's start: the window, and how it times (or counts) its runs and says so.
PRELUDE = '''
import os
import random
import sys
import time
from datetime import timedelta

# The quotes are drawn at random, and a draw's bytecodes depend on the numbers drawn
# (`random` rejects some and draws again): the same draws in every run, so the same count.
random.seed(0)
WINDOW = timedelta(seconds=float(os.environ["SIMULATED_SECONDS"]))
COUNTS = os.environ.get("COUNT_BYTECODES") == "1"
_bytecodes = [0]


def _count(frame, event, arg):
    frame.f_trace_opcodes = True
    if event == "opcode":
        _bytecodes[0] += 1
    return _count


def begin():
    """Start the clock, or the count: of the caller's frame and of every call it makes."""
    if COUNTS:
        caller = sys._getframe(1)
        caller.f_trace, caller.f_trace_opcodes = _count, True
        sys.settrace(_count)
    return time.perf_counter()


def report(started, runs, records):
    elapsed = time.perf_counter() - started
    if COUNTS:
        sys.settrace(None)
        sys._getframe(1).f_trace = None
    print(f"{elapsed} {runs} {records} {_bytecodes[0]}")
'''


TEST = PRELUDE + '''
import unittest

from equipment.Scheduler.Testing import run_until
from tests.TestCase import TestCase


class SimulatedDay(TestCase):
    def test_a_day(self) -> None:
        scheduler = self.scheduler()
        started = begin()
        runs = run_until(scheduler, WINDOW)
        report(started, len(runs), len(self.log.records))


unittest.main(argv=["day"], exit=False, verbosity=0)
'''


BARE = PRELUDE + '''
import heapq
import unittest

from equipment.Scheduler.CollectorPause import collector_paused
from equipment.Scheduler.RunRecord import SUCCESS, RunRecord
from tests.TestCase import TestCase


class BareDay(TestCase):
    def test_a_day(self) -> None:
        jobs = self.scheduler().collect()
        log, clock = self.log, self.clock
        end = clock.now() + WINDOW
        due = [(job.next_run_at, n, job.trigger.period(), job) for n, job in enumerate(jobs)]
        heapq.heapify(due)
        runs = []
        started = begin()
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
        report(started, len(runs), len(log.records))


unittest.main(argv=["day"], exit=False, verbosity=0)
'''


INLINED = PRELUDE + '''
import heapq
import unittest
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
        end = clock.now() + WINDOW
        due = [(job.next_run_at, n, job) for n, job in enumerate(jobs)]
        heapq.heapify(due)
        runs, paused, read_at = [], (), -1.0
        started = begin()
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
        report(started, len(runs), len(log.records))


unittest.main(argv=["day"], exit=False, verbosity=0)
'''


PLAIN = PRELUDE + '''
import datetime as dt
import logging
import random

import schedule

now = [dt.datetime(2026, 1, 5, 12, 0)]


class Frozen(dt.datetime):
    @classmethod
    def now(cls, tz=None):
        return now[0]


kept = []


class Keep(logging.Handler):
    def emit(self, record):
        kept.append(record)


def a_day() -> None:
    log = logging.getLogger("simulated-day")
    log.handlers, log.propagate = [Keep()], False
    log.setLevel(logging.DEBUG)
    quotes = ["Keep going.", "One step at a time.", "Ship it."]
    schedule.datetime.datetime = Frozen  # the clock `schedule` reads
    jobs = schedule.Scheduler()
    jobs.every(1).seconds.do(lambda: log.debug(random.choice(quotes)))
    jobs.every(5).seconds.do(lambda: log.info(random.choice(quotes)))
    end = now[0] + WINDOW
    started = begin()
    while now[0] < end:
        jobs.run_pending()
        now[0] = jobs.next_run
    report(started, len(kept), len(kept))


a_day()
'''

#: The four, in the order printed.
SCRIPTS = {
    "generated project's TestCase, run_until": TEST,
    "the same runs bare (records and lines only)": BARE,
    "the same runs, our steps inlined in one loop": INLINED,
    "plain schedule on a patched clock": PLAIN,
}

Measured = tuple[float, int, int, int]  # seconds, runs, log records, bytecodes


def measure(project: Path, script: str, seconds: float, count: bool) -> Measured:
    """Run one script in its own interpreter, in the generated project."""
    env = {
        **os.environ,
        "SIMULATED_SECONDS": str(seconds),
        "COUNT_BYTECODES": "1" if count else "0",
        "PYTHONHASHSEED": "0",  # the same set and dict orders in every run, for the count
    }
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=project, env=env, capture_output=True, text=True,
        check=True,
    )
    elapsed, runs, records, bytecodes = done.stdout.split()
    return float(elapsed), int(runs), int(records), int(bytecodes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bytecodes", action="store_true",
                        help="count bytecodes per run over a simulated hour instead of timing")
    parser.add_argument("--window", type=float,
                        help="simulated seconds (default: a day; an hour with --bytecodes)")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs of each (median)")
    args = parser.parse_args()
    if args.window is not None and not 0 < args.window <= 366 * 86400:
        parser.error(
            f"--window must be more than 0 and at most {366 * 86400} simulated seconds (a "
            f"year), got {args.window:g}"
        )
    if args.repeat < 1:
        parser.error(f"--repeat must be at least 1, got {args.repeat}")
    seconds = args.window or (3600.0 if args.bytecodes else 86400.0)
    repeat = 1 if args.bytecodes else args.repeat
    with tempfile.TemporaryDirectory() as folder:
        project = Path(folder) / "day"
        equipment = Path(sys.executable).with_name("equipment")
        subprocess.run(
            [str(equipment), "new", "day", "--path", str(project)],
            check=True, capture_output=True, env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
        )
        results = {
            name: [measure(project, script, seconds, args.bytecodes) for _ in range(repeat)]
            for name, script in SCRIPTS.items()
        }
    print(_report(results, seconds, args.bytecodes))


def _report(results: dict[str, list[Measured]], seconds: float, bytecodes: bool) -> str:
    window = {86400: "one simulated day", 3600: "one simulated hour"}.get(
        seconds, f"{seconds:g} simulated seconds"
    )
    if bytecodes:
        values = {name: runs[0][3] / max(runs[0][1], 1) for name, runs in results.items()}
        lines = [f"bytecodes per run over {window}:"]
        lines += [f"  {name}: {value:,.0f} ({runs[0][1]:,} runs)"
                  for (name, value), runs in zip(values.items(), results.values(), strict=True)]
    else:
        values = {name: statistics.median(r[0] for r in runs) for name, runs in results.items()}
        lines = [f"seconds for {window}, medians of {len(next(iter(results.values())))}:"]
        lines += [f"  {name}: {value:.2f} s ({runs[0][1]:,} runs, {runs[0][2]:,} log records)"
                  for (name, value), runs in zip(values.items(), results.values(), strict=True)]
    mine, bare, inlined, plain = values.values()
    lines.append(
        f"ratio: {mine / plain:.2f}x plain schedule's, {mine / bare:.2f}x the bare runs', "
        f"{mine / inlined:.2f}x the inlined steps'; inlined: {inlined / plain:.2f}x plain"
    )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
