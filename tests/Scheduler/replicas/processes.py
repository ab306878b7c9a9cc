"""Real replica processes for the tests: start them, read their lines as they come, send
them signals, and always kill them at the end."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[3]


class Process:
    def __init__(self, spec: dict[str, Any]) -> None:
        env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.Scheduler.replicas.replica", json.dumps(spec)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.pid = self.proc.pid
        self.lines: list[tuple[float, str]] = []  # (monotonic time read, line)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append((time.monotonic(), line.rstrip("\n")))

    def found(self, text: str) -> list[tuple[float, str]]:
        return [(at, line) for at, line in list(self.lines) if text in line]

    def signal(self, signum: int) -> None:
        if self.proc.poll() is None:
            os.kill(self.pid, signum)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)
            self.proc.kill()
        self.proc.wait(10)

    def output(self) -> str:
        return "\n".join(line for _, line in self.lines)


@contextmanager
def replicas(count: int, spec: dict[str, Any]) -> Iterator[list[Process]]:
    started = [Process(spec) for _ in range(count)]
    try:
        yield started
    finally:
        for process in started:
            process.kill()


def stop(processes: list[Process], seconds: float = 10) -> None:
    """SIGTERM them all and wait until they have left: a run going on finishes first, so
    every run recorded has its push resolved (queued, or refused and logged) by then."""
    for process in processes:
        process.signal(signal.SIGTERM)
    for process in processes:
        code = process.proc.wait(seconds)
        assert code == 0, f"replica {process.pid} left with {code}:\n{process.output()}"


FENCED = re.compile(r"was not queued: run (\S+) was claimed under a scheduler lease")


def fenced(process: Process) -> set[str]:
    """The run IDs whose push this replica's fence refused (it logged each one)."""
    found = (FENCED.search(line) for _, line in process.found("was not queued"))
    return {match[1] for match in found if match}


def outputs(processes: list[Process]) -> str:
    """Every replica's lines, headed by its pid: for assertion messages."""
    return "\n".join(f"--- replica {p.pid}:\n{p.output()}" for p in processes)


def wait_for(predicate: Callable[[], Any], seconds: float) -> Any:
    """Poll other processes' effects until `predicate()` is truthy or `seconds` pass."""
    deadline = time.monotonic() + seconds
    while True:
        value = predicate()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(0.02)  # waiting on other processes, not on the code under test


def leader(processes: list[Process], client: Any, prefix: str) -> Process | None:
    """The process whose pid the lease names, or None."""
    value = client.get(f"{prefix}lease")
    if value is None:
        return None
    pid = int(value.decode().rsplit(":", 1)[1])
    return next((p for p in processes if p.pid == pid), None)


def runs(client: Any, prefix: str) -> list[tuple[str, int, float]]:
    """(run ID, pid, start time) of every run recorded, in order."""
    rows = []
    for value in client.lrange(f"{prefix}runs", 0, -1):
        run_id, pid, started = value.decode().rsplit("|", 2)
        rows.append((run_id, int(pid), float(started)))
    return rows
