"""Stop signals on a real process: short and bounded (a few seconds each when they pass)."""

import queue
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

CHILD = Path(__file__).with_name("signal_child.py")
ROOT = Path(__file__).resolve().parents[2]


class Child:
    def __init__(self, job_seconds: float, grace: float) -> None:
        self.process = subprocess.Popen(
            [sys.executable, str(CHILD), str(job_seconds), str(grace)],
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        for line in self.process.stderr:
            self.lines.put(line.rstrip("\n"))

    def wait_for(self, text: str, timeout: float = 30) -> None:
        while not any(text in line for line in self.seen):
            self.seen.append(self.lines.get(timeout=timeout))

    def finish(self, timeout: float = 30) -> int:
        code = self.process.wait(timeout)
        self.reader.join(timeout)  # stderr closes when the process ends
        while not self.lines.empty():
            self.seen.append(self.lines.get_nowait())
        return code

    def output(self) -> str:
        return "\n".join(self.seen)


@pytest.fixture
def child_factory():
    children: list[Child] = []

    def make(job_seconds: float, grace: float) -> Child:
        children.append(Child(job_seconds, grace))
        return children[-1]

    yield make
    for child in children:
        if child.process.poll() is None:
            child.process.kill()


def test_sigterm_lets_the_running_job_finish_then_exits_zero(child_factory):
    # Long enough that SIGTERM lands during the first run even on a starved machine.
    child = child_factory(job_seconds=5, grace=10)
    child.wait_for("Job slow started")
    child.process.send_signal(signal.SIGTERM)

    assert child.finish() == 0
    out = child.output()
    assert "Scheduler stopping (SIGTERM): no new runs; waiting up to 10s for job slow" in out
    assert out.index("Scheduler stopping") < out.index("Job slow finished")
    assert out.index("Job slow finished") < out.index("Scheduler stopped")
    assert out.count("Job slow started") == 1
    assert "exited cleanly" in out


def test_a_job_outliving_the_grace_is_interrupted_and_the_process_still_stops(child_factory):
    child = child_factory(job_seconds=30, grace=0.5)
    child.wait_for("Job slow started")
    child.process.send_signal(signal.SIGTERM)

    assert child.finish() == 0
    out = child.output()
    assert "Job slow did not finish within shutdown_grace (0.5s) and was interrupted" in out
    assert "Scheduler stopped" in out


def test_a_second_sigint_stops_at_once_with_a_non_zero_code(child_factory):
    child = child_factory(job_seconds=30, grace=30)
    child.wait_for("Job slow started")
    child.process.send_signal(signal.SIGINT)
    child.wait_for("Scheduler stopping (SIGINT)")
    child.process.send_signal(signal.SIGINT)

    assert child.finish() == 130
    assert "interrupted" in child.output()


def test_a_second_signal_landing_inside_the_first_handler_finds_the_loop_stopping():
    """The second SIGINT's KeyboardInterrupt can be raised at any line of the first one's
    handler (here: while it logs); the runner must then see a stop, not a job's own ^C."""
    from equipment.Log.MemoryLogger import MemoryLogger
    from equipment.Scheduler.Scheduler import Scheduler

    class Interrupting(MemoryLogger):
        def log(self, level, msg, *args, **kwargs):
            raise KeyboardInterrupt("second stop signal (SIGINT): stopping at once")

    scheduler = Scheduler(log=Interrupting())

    with pytest.raises(KeyboardInterrupt):
        scheduler._request_stop("SIGINT")

    assert not scheduler.lifecycle.accepts_runs
