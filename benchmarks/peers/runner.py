"""Run (workload, peer) pairs, each in its own interpreter with a time limit.

APScheduler 4 runs in benchmarks/.venv-aps4 (made by `make bench`), the others in the
interpreter running this. A run that is over time is killed and reported as n/a.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parents[1]
APS4_PYTHON = HERE / ".venv-aps4" / "bin" / "python"


@dataclass
class Run:
    workload: str
    peer: str
    params: dict[str, Any]
    limit: float  # seconds
    result: dict[str, Any] = field(default_factory=dict)
    process: subprocess.Popen[str] | None = None
    deadline: float = 0.0


def interpreter(peer: str) -> Path | None:
    if peer == "aps4":
        return APS4_PYTHON if APS4_PYTHON.exists() else None
    return Path(sys.executable)


def start(run: Run) -> None:
    python = interpreter(run.peer)
    if python is None:
        run.result = {"na": f"no {APS4_PYTHON.relative_to(HERE.parent)}: `make bench` makes it"}
        return
    command = [str(python), "-m", "peers.worker", run.workload, run.peer, json.dumps(run.params)]
    env = {**os.environ, "PYTHONPATH": str(HERE)}
    run.process = subprocess.Popen(
        command, cwd=HERE, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    run.deadline = time.monotonic() + run.limit


def finish(run: Run) -> dict[str, Any]:
    if run.process is None:
        return run.result
    try:
        output, errors = run.process.communicate(timeout=max(0.1, run.deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        run.process.kill()
        run.process.communicate()
        run.result = {"na": f"did not finish within {run.limit:g} s"}
        return run.result
    lines = output.strip().splitlines()
    if run.process.returncode != 0 or not lines:
        last = (errors.strip().splitlines() or ["no output"])[-1]
        run.result = {"na": f"failed (exit {run.process.returncode}): {last}"}
    else:
        run.result = json.loads(lines[-1])
    return run.result


def together(runs: list[Run], meanwhile: list[Run] = ()) -> None:  # type: ignore[assignment]
    """Start `runs` at once; run `meanwhile` one after another while they go; wait for all."""
    for run in runs:
        start(run)
    one_by_one(list(meanwhile))
    for run in runs:
        finish(run)


def one_by_one(runs: list[Run]) -> None:
    for run in runs:
        start(run)
        finish(run)
        print(f"  {run.workload:<8} {run.peer:<16} {_brief(run.result)}", flush=True)


def _brief(result: dict[str, Any]) -> str:
    if "na" in result:
        return f"n/a: {result['na']}"
    return ", ".join(f"{key}={value:.4g}" for key, value in result.items()
                     if isinstance(value, int | float))[:110]
