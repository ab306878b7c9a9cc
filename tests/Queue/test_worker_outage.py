"""A real worker process through a real Redis outage: a throwaway redis-server is stopped
and started again under it (bounded: about 20 s). Skips when `redis-server` is missing,
except under CI=true, where that is a failure.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest

from tests.Queue.helpers import PASSWORD, wait_for, write_print_app

ROOT = Path(__file__).resolve().parents[2]
class Output:
    """The worker's output, read line by line on a thread (so waiting never blocks)."""

    def __init__(self, proc: subprocess.Popen) -> None:
        self.lines: list[str] = []
        self.thread = threading.Thread(target=self._read, args=(proc,), daemon=True)
        self.thread.start()

    def _read(self, proc: subprocess.Popen) -> None:
        for line in proc.stdout:
            self.lines.append(line.rstrip("\n"))

    def count(self, text: str) -> int:
        return sum(text in line for line in self.lines)

    def text(self) -> str:
        return "\n".join(self.lines)


def outage_config(server, queue_name: str) -> dict:
    """The queue config of a worker on the throwaway server, summarising outages each second."""
    return {
        "connection": "redis",
        "redis": {
            "host": "127.0.0.1",
            "port": str(server.port),
            "db": "0",
            "password": PASSWORD,
            "queues": queue_name,
            "outage_summary_seconds": "1",
        },
    }


def test_worker_rides_out_a_redis_outage_and_stops_cleanly_during_one(tmp_path, server):
    queue_name = f"outage-{uuid.uuid4().hex[:8]}"
    config = outage_config(server, queue_name)
    write_print_app(tmp_path, config)
    env = {
        **os.environ,
        "PYTHONPATH": f"{ROOT}{os.pathsep}{tmp_path}",
        "EQUIPMENT_TEST_REDIS_URL": f"redis://127.0.0.1:{server.port}/0",
    }
    env["EQUIPMENT_TEST_REDIS_URL"] = env["EQUIPMENT_TEST_REDIS_URL"].replace(
        "//", f"//:{PASSWORD.replace('#', '%23').replace(' ', '%20')}@"
    )
    code = "from equipment.Console.QueueCommand import queue; queue(['work'])"
    proc = subprocess.Popen(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    out = Output(proc)
    try:
        from equipment.Log.MemoryLogger import MemoryLogger
        from equipment.Queue.QueueFactory import QueueFactory
        from tests.Queue import jobs

        assert wait_for(lambda: out.count("Acquired scheduler lock"), 10), out.text()

        # 1. Redis goes away for about 3.5 s, then comes back empty (no persistence).
        server.stop()
        assert wait_for(lambda: out.count("lost Redis"), 10), out.text()
        time.sleep(3.5)
        server.start()
        assert wait_for(lambda: out.count("answers again"), 10), out.text()
        assert wait_for(lambda: out.count("Scheduler started again"), 5), out.text()

        # 2. The scheduler runs again: a delayed job pushed after the outage starts.
        queue = QueueFactory(config, MemoryLogger())
        key = f"outage-key-{uuid.uuid4().hex[:8]}"
        assert queue.push_in(1, jobs.record, key) is True
        assert wait_for(lambda: server.client().lrange(key, 0, -1), 10), out.text()
        # ...and its end is recorded (a job still being recorded when Redis goes holds the
        # stop below until Redis answers: a warm shutdown, as docs/queue.md says).
        assert wait_for(lambda: out.count("finished: tests.Queue.jobs.record"), 10), out.text()

        # 3. Redis goes away again; SIGTERM during the outage is a clean stop.
        server.stop()
        assert wait_for(lambda: out.count("lost Redis") == 2, 10), out.text()
        proc.send_signal(signal.SIGTERM)
        proc.wait(15)
        out.thread.join(5)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)
    output = out.text()
    assert proc.returncode == 0, output
    assert "Traceback" not in output and "raised an exception" not in output, output
    assert "s3cret" not in output, output
    errors = [line for line in out.lines if line.startswith("ERROR")]
    # Two outages: each logged once, then about one summary a second (3.5 s + waiting).
    assert out.count("lost Redis") == 2 and len(errors) <= 10, output
    assert "still unreachable" in output
    assert out.count("Worker") and out.count("stopped"), output


WORKER_PY = """
import sys
from equipment.Queue import Worker
from equipment.Queue.Settings import QueueSettings
from app import App

build = Worker.build_worker


def build_worker(*args, **kwargs):
    worker = build(*args, **kwargs)
    worker.job_monitoring_interval = 2  # RQ's default is 30 s: keep the test short
    return worker


Worker.build_worker = build_worker
app = App.make(".")
settings = QueueSettings.from_config(app.config.queue())
sys.exit(Worker.run_worker(settings.redis, app.log(), simple={simple!r}))
"""


def start_worker(tmp_path, server, *, simple: bool = False):
    """A worker (`run_worker`, job monitoring every 2 s) on a fresh queue; returns
    (process, output, queue name, script path)."""
    queue_name = f"outage-{uuid.uuid4().hex[:8]}"
    config = outage_config(server, queue_name)
    write_print_app(tmp_path, config)
    script = tmp_path / f"worker_{uuid.uuid4().hex[:8]}.py"
    script.write_text(WORKER_PY.format(simple=simple))
    password = PASSWORD.replace("#", "%23").replace(" ", "%20")
    env = {
        **os.environ,
        "PYTHONPATH": f"{ROOT}{os.pathsep}{tmp_path}",
        "EQUIPMENT_TEST_REDIS_URL": f"redis://:{password}@127.0.0.1:{server.port}/0",
    }
    proc = subprocess.Popen(
        [sys.executable, str(script)],
        cwd=tmp_path,
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    return proc, Output(proc), queue_name, script, config


def stop_worker(proc: subprocess.Popen, out: Output) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)
        out.thread.join(5)
        raise AssertionError(f"the worker ignored SIGTERM for 15 s:\n{out.text()}") from None
    out.thread.join(5)


def processes_running(script: Path) -> str:
    """The processes (worker, work horse, scheduler) still running `script`."""
    found = subprocess.run(["pgrep", "-f", str(script)], capture_output=True, text=True)
    return found.stdout.strip()


@pytest.mark.parametrize("simple", [False, True], ids=["forking", "simple"])
def test_a_job_running_through_an_outage_is_finished_and_recorded(tmp_path, server, simple):
    from rq import Queue
    from rq.registry import FinishedJobRegistry, StartedJobRegistry

    proc, out, queue_name, script, _ = start_worker(tmp_path, server, simple=simple)
    try:
        assert wait_for(lambda: out.count("Acquired scheduler lock"), 10), out.text()
        # A job that does not use Redis itself: time.sleep(5).
        job = Queue(queue_name, connection=server.client()).enqueue(time.sleep, 5)
        assert wait_for(lambda: out.count(f"Job {job.id} started"), 10), out.text()

        # Redis goes away 1 s into the 5 s job (the forking worker's heartbeat, every 2 s,
        # fails) until the job has ended (its result waits), and comes back empty. The end
        # is seen where the job ran: the work horse (its outage line is DEBUG, the worker
        # watching it logs the ERROR) or the simple worker itself.
        time.sleep(1)
        server.stop()
        ended = "ERROR" if simple else "DEBUG"
        assert wait_for(
            lambda: any(line.startswith(ended) and "lost Redis" in line for line in out.lines),
            15,
        ), out.text()
        server.start()

        # The job ended during the outage; it is recorded once Redis is back.
        assert wait_for(lambda: out.count(f"Job {job.id} finished"), 10), out.text()
        connection = server.client()
        finished = FinishedJobRegistry(queue_name, connection=connection)
        assert wait_for(lambda: job.id in finished.get_job_ids(), 5), out.text()
        assert job.id not in StartedJobRegistry(queue_name, connection=connection).get_job_ids()
        assert proc.poll() is None, out.text()  # still serving
        stop_worker(proc, out)
    finally:
        stop_worker(proc, out)
    output = out.text()
    assert proc.returncode == 0, output
    assert processes_running(script) == "", output  # no orphaned work horse
    assert "Traceback" not in output and "unhandled exception" not in output, output
    # Logged once by the worker (a forking worker's horse, waiting too, logs at debug only).
    assert sum(line.startswith("ERROR") and "lost Redis" in line for line in out.lines) == 1, output
    assert sum(line.startswith("WARNING") and "answers again" in line for line in out.lines) == 1, (
        output
    )
    assert out.count(f"Job {job.id} failed") == 0, output


def test_scheduler_comes_back_promptly_after_a_blip_the_worker_never_saw(tmp_path, server):
    from equipment.Log.MemoryLogger import MemoryLogger
    from equipment.Queue.QueueFactory import QueueFactory
    from tests.Queue import jobs

    proc, out, _, script, config = start_worker(tmp_path, server)
    try:
        assert wait_for(lambda: out.count("Acquired scheduler lock"), 10), out.text()
        time.sleep(0.5)  # the worker is idle, blocked waiting for a job
        # The scheduler process touches Redis once a second: it is gone once it has noticed.
        server.stop()
        assert wait_for(lambda: out.count("Scheduler with PID"), 5), out.text()
        server.start()

        queue = QueueFactory(config, MemoryLogger())
        key = f"blip-key-{uuid.uuid4().hex[:8]}"
        assert queue.push_in(1, jobs.record, key) is True
        # The dead scheduler is seen within SCHEDULER_CHECK_SECONDS (5 s), then the job is due.
        assert wait_for(lambda: server.client().lrange(key, 0, -1), 12), out.text()
        assert out.count("Scheduler started again"), out.text()
    finally:
        stop_worker(proc, out)
    output = out.text()
    assert proc.returncode == 0, output
    assert processes_running(script) == "", output
    assert "Traceback" not in output, output


def _ignore_sigterm_and_wait() -> None:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    time.sleep(60)


def test_stopping_a_scheduler_process_that_ignores_sigterm_is_bounded():
    """A scheduler forked just before a stop can still carry the worker's SIGTERM handler;
    stopping it must not wait for it for ever."""
    import multiprocessing
    from types import SimpleNamespace

    from equipment.Queue import WorkerClasses

    process = multiprocessing.get_context("fork").Process(target=_ignore_sigterm_and_wait)
    process.start()
    time.sleep(0.3)  # let the child install its handler (a real process, not the code under test)
    worker = SimpleNamespace(scheduler=SimpleNamespace(_process=process))

    began = time.monotonic()
    WorkerClasses.EquipmentWorker.stop_scheduler(worker)

    assert not process.is_alive()
    assert time.monotonic() - began < WorkerClasses.SCHEDULER_STOP_SECONDS + 5  # bounded
