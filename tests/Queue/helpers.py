"""Running a burst worker in the test process, and reading what jobs recorded."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from equipment.Log.AbstractLogger import AbstractLogger
from equipment.Queue.Settings import QueueSettings
from equipment.Queue.Worker import run_worker

ROOT = Path(__file__).resolve().parents[2]


def burst(settings: QueueSettings, log: AbstractLogger) -> int:
    """Run every job now in the queue (and every scheduled job that is due) in-process."""
    return run_worker(settings.redis, log, burst=True, simple=True)


def recorded(conn: Any, key: str) -> list[str]:
    return [v.decode() for v in conn.lrange(key, 0, -1)]


def wait_for(predicate: Callable[[], Any], seconds: float) -> Any:
    """Poll a real process's effect until `predicate()` is truthy or `seconds` pass."""
    deadline = time.monotonic() + seconds
    while True:
        value = predicate()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(0.05)  # waiting on another process, not on the code under test


PRINT_APP_PY = """
import logging
from types import SimpleNamespace
from equipment.Log.AbstractLogger import AbstractLogger


class PrintLogger(AbstractLogger):
    def log(self, level, msg, *args, **kwargs):
        text = msg % args if args else msg
        print(logging.getLevelName(level), text.replace("\\n", " | "), flush=True)


class App:
    @classmethod
    def make(cls, base_path):
        config = {config!r}
        log = PrintLogger()
        return SimpleNamespace(log=lambda: log, config=SimpleNamespace(queue=lambda: config))
"""


def write_print_app(folder: Path, queue_config: dict) -> None:
    """An `app.py` whose App has `queue_config` and logs each record as one printed line
    ("LEVEL message"), so that a test reads a worker process's log from its stdout."""
    (folder / "app.py").write_text(PRINT_APP_PY.format(config=queue_config))


def worker_process(folder, config) -> subprocess.Popen:
    """`queues.py work` of an app with `config` in `folder`: its log lines on stdout."""
    write_print_app(folder, config)
    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{folder}"}
    code = "from equipment.Console.QueueCommand import queue; queue(['work'])"
    return subprocess.Popen(
        [sys.executable, "-c", code], cwd=folder, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )


def work_until(folder, config, done: Callable[[], Any], seconds: float = 15) -> tuple:
    """`queues.py work` until `done()` (or its exit; at most `seconds`), then SIGTERM, a
    warm stop: what the wait gave, the exit code and the output."""
    proc = worker_process(folder, config)
    try:
        ran = wait_for(lambda: done() or proc.poll() is not None, seconds)
        proc.send_signal(signal.SIGTERM)
        output, _ = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
    return ran, proc.returncode, output


def alive(pid: int) -> bool:
    """Whether `pid` runs (a zombie nobody reaped yet has ended)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state not in ("Z", "X")


def kill_alive(pids: list[int]) -> None:
    """A test's clean-up: SIGKILL to those of `pids` still running."""
    for pid in pids:
        if alive(pid):
            os.kill(pid, signal.SIGKILL)


PASSWORD = "*pw-s3cret #x"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RedisServer:
    def __init__(self, binary: str, port: int) -> None:
        self.binary, self.port = binary, port
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--requirepass",
                PASSWORD,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        assert wait_for(self.answers, 10), "redis-server did not start"

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def pause(self) -> None:
        """SIGSTOP: the server stalls (connections are accepted by the kernel, never answered)."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGCONT)

    def client(self):
        import redis

        return redis.Redis(port=self.port, password=PASSWORD, socket_connect_timeout=0.5)

    def answers(self) -> bool:
        try:
            return bool(self.client().ping())
        except Exception:
            return False
