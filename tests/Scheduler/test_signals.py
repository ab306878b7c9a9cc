"""Stop signals on a real process: short and bounded (a few seconds each when they pass)."""

import ctypes
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from equipment.Scheduler.Signals import SAME_STOP, StopSignals

CHILD = Path(__file__).with_name("signal_child.py")
ROOT = Path(__file__).resolve().parents[2]
NOHUP = (
    "import os, signal, sys; signal.signal(signal.SIGHUP, signal.SIG_IGN); "
    "os.execv(sys.argv[1], sys.argv[1:])"
)


class Child:
    def __init__(
        self,
        job_seconds: float,
        grace: float,
        kind: str,
        ignore_sighup: bool,
        state: Path | None,
        more_env: dict[str, str] | None = None,
    ) -> None:
        command = [sys.executable, str(CHILD), str(job_seconds), str(grace), kind]
        if ignore_sighup:  # as `nohup` does: ignore SIGHUP, then exec (which keeps it ignored)
            command = [sys.executable, "-c", NOHUP, *command]
        environment = {**os.environ, "STATE_PATH": str(state or ""), **(more_env or {})}
        self.process = subprocess.Popen(
            command, stderr=subprocess.PIPE, text=True, cwd=ROOT, env=environment
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        for line in self.process.stderr:
            self.lines.put(line.rstrip("\n"))

    def wait_for(self, text: str, timeout: float = 30, times: int = 1) -> None:
        while sum(text in line for line in self.seen) < times:
            try:
                self.seen.append(self.lines.get(timeout=timeout))
            except queue.Empty:
                raise AssertionError(f"no {text!r} within {timeout}s:\n{self.output()}") from None

    def finish(self, timeout: float = 30) -> int:
        try:
            code = self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            code = None
        self.reader.join(timeout)  # stderr closes when the process ends
        while not self.lines.empty():
            self.seen.append(self.lines.get_nowait())
        assert code is not None, f"still running after {timeout}s:\n{self.output()}"
        return code

    def output(self) -> str:
        return "\n".join(self.seen)


@pytest.fixture
def child_factory():
    children: list[Child] = []

    def make(
        job_seconds: float,
        grace: float,
        kind: str = "sleep",
        ignore_sighup: bool = False,
        state: Path | None = None,
        more_env: dict[str, str] | None = None,
    ) -> Child:
        children.append(Child(job_seconds, grace, kind, ignore_sighup, state, more_env))
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


def test_a_job_outliving_the_grace_is_interrupted_and_the_process_still_stops(
    child_factory, tmp_path
):
    state = tmp_path / "scheduler.sqlite3"
    child = child_factory(job_seconds=30, grace=0.5, state=state)
    child.wait_for("Job slow started")
    child.process.send_signal(signal.SIGTERM)

    assert child.finish() == 0
    out = child.output()
    assert "Job slow did not finish within shutdown_grace (0.5s) and was interrupted" in out
    assert "Scheduler stopped" in out
    assert last_run(state) == (
        "failure",
        "ShutdownGraceExpired: the scheduler was stopping and shutdown_grace ran out",
    ), child.output()


def test_a_sigterm_the_blocked_main_thread_did_not_see_still_stops_the_job(
    child_factory, tmp_path
):
    """Python runs a handler in the main thread; a signal interrupts the call the main
    thread is blocked in only when delivered to it while it is blocked. One that lands just
    as the job's `time.sleep(30)` begins, or that the kernel gives to another thread (as
    here, on purpose), left it asleep: no stop, no grace, no watchdog for 30 s."""
    tgkill = getattr(ctypes.CDLL(None), "tgkill", None)  # glibc 2.30+
    if tgkill is None or not Path("/proc/self/task").is_dir():
        pytest.skip("needs Linux and glibc's tgkill to signal one thread of a process")
    state = tmp_path / "scheduler.sqlite3"
    child = child_factory(job_seconds=30, grace=0.5, state=state)
    child.wait_for("Job slow started")
    pid = child.process.pid
    main = Path(f"/proc/{pid}/task/{pid}")
    deadline = time.monotonic() + 5
    while "sleep" not in (main / "wchan").read_text() and time.monotonic() < deadline:
        time.sleep(0.01)  # until the job sleeps (waiting on another process)
    other = next(int(task) for task in os.listdir(main.parent) if int(task) != pid)
    signalled = time.monotonic()
    assert tgkill(pid, other, signal.SIGTERM) == 0

    assert child.finish(timeout=10) == 0
    assert time.monotonic() - signalled < 0.5 + 2 + 3  # the grace, the watchdog's bound
    out = child.output()
    assert "Scheduler stopping (SIGTERM)" in out
    assert "Job slow did not finish within shutdown_grace (0.5s) and was interrupted" in out


def last_run(state: Path) -> tuple[str, str | None] | None:
    """The outcome and error of job `slow`'s newest history row in the SQLite file (None
    without one: the assertion then shows the child's output)."""
    from equipment.Scheduler.State.SqliteStateStore import SqliteStateStore

    store = SqliteStateStore(state)
    try:
        rows = store.history("slow", limit=1)
        if not rows:
            return None
        [entry] = rows
        assert store.load()["slow"].last_run_id == entry.run_id
        return entry.outcome, entry.error
    finally:
        store.close()


def test_a_second_sigint_stops_at_once_with_a_non_zero_code(child_factory):
    child = child_factory(job_seconds=30, grace=30)
    child.wait_for("Job slow started")
    child.process.send_signal(signal.SIGINT)
    child.wait_for("Scheduler stopping (SIGINT)")
    time.sleep(SAME_STOP)  # a second signal, not the first one repeated
    child.process.send_signal(signal.SIGINT)

    assert child.finish() == 130
    assert "job slow abandoned" in child.output()


def test_a_background_run_cut_short_by_a_second_signal_is_recorded(child_factory, tmp_path):
    state = tmp_path / "scheduler.sqlite3"
    child = child_factory(job_seconds=30, grace=30, state=state, more_env={"BACKGROUND": "1"})
    child.wait_for("Job slow started")
    child.process.send_signal(signal.SIGTERM)
    child.wait_for("Waiting up to 30s for 1 background run(s)")
    time.sleep(SAME_STOP)  # a second signal, not the first one repeated
    child.process.send_signal(signal.SIGTERM)

    assert child.finish(timeout=10) == 130
    assert last_run(state) == (
        "failure",
        "Abandoned: a second SIGTERM stopped the scheduler at once",
    ), child.output()
    assert "Background job slow abandoned (run slow@" in child.output()  # as an inline one


def test_the_grace_running_out_does_not_cut_a_second_signal_short(child_factory, tmp_path):
    """The second signal waits up to a second for the store to take the abandoned run's
    record; the grace's alarm falling due meanwhile must not turn "at once, 130" into the
    ordinary stop."""
    state = tmp_path / "scheduler.sqlite3"
    child = child_factory(
        job_seconds=30, grace=1, state=state, more_env={"SLOW_STORE": "3"}
    )
    child.wait_for("Job slow started")
    child.process.send_signal(signal.SIGTERM)
    child.wait_for("Scheduler stopping (SIGTERM)")
    time.sleep(0.5)  # the second signal lands half-way through the grace
    child.process.send_signal(signal.SIGTERM)

    assert child.finish(timeout=10) == 130
    assert "Scheduler stopping at once (second SIGTERM): job slow abandoned" in child.output()


# A job that swallows every BaseException cannot be interrupted; the process still ends.


def test_a_second_sigterm_ends_a_job_that_swallows_everything_with_130(child_factory, tmp_path):
    state = tmp_path / "scheduler.sqlite3"
    child = child_factory(job_seconds=0, grace=30, kind="swallow", state=state)
    child.wait_for("Job slow started")
    child.process.send_signal(signal.SIGTERM)
    child.wait_for("Scheduler stopping (SIGTERM)")
    time.sleep(SAME_STOP)  # a second signal, not the first one repeated
    child.process.send_signal(signal.SIGTERM)

    assert child.finish(timeout=10) == 130
    out = child.output()
    assert "Scheduler stopping at once (second SIGTERM): job slow abandoned" in out
    assert "(run slow@" in out
    assert last_run(state) == (
        "failure",
        "Abandoned: a second SIGTERM stopped the scheduler at once",
    ), child.output()


def test_a_job_that_swallows_the_grace_expiry_is_abandoned_shortly_after(child_factory, tmp_path):
    state = tmp_path / "scheduler.sqlite3"
    child = child_factory(job_seconds=0, grace=0.5, kind="swallow", state=state)
    child.wait_for("Job slow started")
    signalled = time.monotonic()
    child.process.send_signal(signal.SIGTERM)

    assert child.finish(timeout=10) == 0
    # The grace, then the short bound after it (2 s), and not much more.
    assert time.monotonic() - signalled < 0.5 + 2 + 3
    out = child.output()
    assert "Job slow (run slow@" in out
    assert "still running 1s after shutdown_grace (0.5s) ran out: abandoned" in out
    assert last_run(state) == (
        "failure",
        "Abandoned: still running 1s after shutdown_grace (0.5s) ran out",
    ), child.output()


# A job's non-daemon thread does not keep a stopped scheduler alive.


def test_a_thread_left_running_by_a_job_is_abandoned_at_the_end_of_the_grace(child_factory):
    child = child_factory(job_seconds=0, grace=1, kind="thread")
    child.wait_for("Job slow finished")
    signalled = time.monotonic()
    child.process.send_signal(signal.SIGTERM)

    assert child.finish(timeout=10) == 0
    assert time.monotonic() - signalled < 1 + 3
    out = child.output()
    assert "Scheduler stopped" in out
    assert "thread(s) still running at the end of shutdown_grace (1s): stuck-poller" in out
    assert out.index("Scheduler stopped") < out.index("stuck-poller")


# SIGHUP (the terminal went away, or `docker stop`-like managers) is a graceful stop.


def test_sighup_is_a_graceful_stop(child_factory):
    child = child_factory(job_seconds=0, grace=10)
    child.wait_for("Job slow finished")
    child.process.send_signal(signal.SIGHUP)

    assert child.finish(timeout=10) == 0
    out = child.output()
    assert "Scheduler stopping (SIGHUP)" in out
    assert "Scheduler stopped" in out
    assert "exited cleanly" in out


def test_sighup_stays_ignored_under_nohup(child_factory):
    child = child_factory(job_seconds=0, grace=10, ignore_sighup=True)
    child.wait_for("Job slow finished")
    child.process.send_signal(signal.SIGHUP)
    child.wait_for("Job slow finished", times=3)  # still running two runs later
    child.process.send_signal(signal.SIGTERM)

    assert child.finish(timeout=10) == 0
    out = child.output()
    assert "SIGHUP" not in out
    assert "Scheduler stopping (SIGTERM)" in out


# Without a stop signal, nothing of the above touches the process (pytest's own, here).


def test_a_run_ended_without_a_signal_starts_no_watchdog_and_restores_handlers():
    from equipment.Scheduler.Scheduler import Scheduler

    before = signal.getsignal(signal.SIGTERM)
    urgent_before = signal.getsignal(signal.SIGURG)
    release = threading.Event()
    leftover = threading.Thread(target=release.wait, name="test-leftover")  # non-daemon
    leftover.start()
    try:
        scheduler = Scheduler(settings={"shutdown_grace": 0})
        scheduler.should_exit = True
        scheduler.run()
        assert scheduler._signals.watchdog is None
        names = {t.name for t in threading.enumerate()}
        assert not names & {"equipment-stop-watchdog", "equipment-signal-nudge"}
        assert signal.getsignal(signal.SIGTERM) is before
        assert signal.getsignal(signal.SIGURG) is urgent_before
        wakeup = signal.set_wakeup_fd(-1)  # (read, then put back)
        signal.set_wakeup_fd(wakeup)
        assert wakeup == -1
    finally:
        release.set()
        leftover.join()


def test_a_run_that_fails_to_start_leaves_the_handlers_as_they_were():
    import socket

    from equipment.Scheduler.Errors import SchedulerError
    from equipment.Scheduler.Scheduler import Scheduler

    watched = (signal.SIGTERM, signal.SIGINT, signal.SIGURG)
    before = {signum: signal.getsignal(signum) for signum in watched}
    with socket.socket() as taken:  # the metrics port is in use: run() raises at its start
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        scheduler = Scheduler(settings={"metrics_port": taken.getsockname()[1]})
        scheduler.should_exit = True
        with pytest.raises(SchedulerError, match="cannot listen"):
            scheduler.run()
    assert {signum: signal.getsignal(signum) for signum in before} == before
    assert not any(t.name == "equipment-signal-nudge" for t in threading.enumerate())


def test_a_stop_signal_repeated_within_a_moment_is_the_same_stop_not_a_second_one():
    """GNU `timeout` (and a supervisor that signals the process, then its group) sends
    SIGTERM twice within a millisecond: that is one stop, with its grace, not "at once"."""
    now = [100.0]
    stops: list[str] = []
    at_once: list[int] = []
    signals = StopSignals(on_stop=stops.append, monotonic=lambda: now[0])
    signals._at_once = lambda signum, frame: at_once.append(signum)  # instead of os._exit

    signals._handle(signal.SIGTERM, None)
    now[0] += 0.001
    signals._handle(signal.SIGTERM, None)

    assert (stops, at_once) == (["SIGTERM"], [])
    now[0] += SAME_STOP
    signals._handle(signal.SIGTERM, None)  # a real second signal
    assert at_once == [signal.SIGTERM]


def test_a_run_after_a_signal_stop_counts_its_first_signal_as_a_first():
    """The same scheduler run again after a stop signal: its next signal asks for a
    graceful stop, not an immediate exit."""
    now = [100.0]
    signals = StopSignals(on_stop=lambda name: None, monotonic=lambda: now[0])
    signals._handle(signal.SIGTERM, None)  # the first run's stop
    now[0] += 60

    assert signals.install()
    try:
        assert (signals.received, signals._first_at) == (0, None)
    finally:
        signals.restore()
