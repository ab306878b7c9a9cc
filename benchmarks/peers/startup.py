"""(h) start-up: from starting an interpreter to the scheduler's first pass.

Every peer: a fresh `python` that imports the peer, registers one hourly job and makes its
first pass (median of 3). Ours also as users run it: `equipment new`, then
`python scheduler.py` until it logs "Scheduler starting" (its first tick follows at once).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from peers.adapters import opened

READY = "first pass done"
ROUNDS = 3


def child(peer: str) -> None:
    with opened(peer) as scheduler:
        scheduler.interval(3600, 0)
        scheduler.first_pass()
        print(READY, flush=True)


def time_to_line(command: list[str], line: str, cwd: str | None = None) -> float:
    """Seconds from spawning `command` until it prints `line`; then it is stopped."""
    started = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])},
    )
    try:
        for output in process.stdout or ():
            if line in output:
                return time.perf_counter() - started
        raise RuntimeError(f"{command} ended without printing {line!r}")
    finally:
        process.kill()
        process.wait()


def project_start() -> float:
    """`python scheduler.py` of a freshly generated project, to its startup line."""
    equipment = str(Path(sys.executable).with_name("equipment"))
    with tempfile.TemporaryDirectory() as folder:
        project = Path(folder) / "startup"
        subprocess.run(
            [equipment, "new", "startup", "--path", str(project)], check=True,
            capture_output=True,
        )
        return time_to_line([sys.executable, "scheduler.py"], "Scheduler starting", str(project))


def run(peer: str) -> dict[str, Any]:
    command = [sys.executable, "-m", "peers.startup", peer]
    result = {"start_ms": statistics.median(
        time_to_line(command, READY) * 1000 for _ in range(ROUNDS)
    )}
    if peer == "ours":
        result["project_start_ms"] = statistics.median(project_start() * 1000 for _ in range(2))
    return result


if __name__ == "__main__":
    child(sys.argv[1])
