"""Each benchmark workload at a tiny size against our scheduler and `schedule`.

Benchmarks assert nothing about speed; this only proves every workload still runs against
the public API and yields figures, and that the report is written from them. The workloads
run side by side in threads, so the whole file takes a few seconds.
"""

from __future__ import annotations

import importlib
import math
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
PEERS = ("ours", "schedule", "loop")
TINY: dict[str, dict[str, Any]] = {
    "timing": {"firings": 1},
    "idle": {"jobs": 5, "window": 0.3, "settle": 0.1},
    "scale": {"jobs": 50},
    "burst": {"jobs": 20, "period": 1, "rounds": 1},
}


def _redis_up() -> bool:
    from redis import Redis
    from redis.exceptions import ConnectionError

    try:
        return bool(Redis(db=15, socket_connect_timeout=0.5).ping())
    except ConnectionError:
        return False


@pytest.fixture(scope="module")
def results() -> dict[tuple[str, str], dict[str, Any]]:
    sys.path.insert(0, str(BENCHMARKS))
    worker = importlib.import_module("peers.worker")
    runs = [(workload, peer, params) for workload, params in TINY.items() for peer in PEERS]
    # Ours' takeover runs real replica processes: tests/Scheduler/replicas covers it.
    runs += [("startup", "ours", {}), ("takeover", "schedule", {})]
    if _redis_up():
        runs += [("pushes", "ours", {"jobs": 20}), ("pushes", "rq-enqueue-many", {"jobs": 20})]
    # Imported once here: modules first imported by several threads at once can deadlock
    # on their import locks (the workloads run in parallel threads).
    for module in ("equipment.Scheduler.Scheduler", "equipment.Queue.QueueFactory"):
        importlib.import_module(module)
    with ThreadPoolExecutor(max_workers=len(runs)) as pool:
        done = list(pool.map(lambda run: worker.measure(*run), runs))
    return {(run[0], run[1]): result for run, result in zip(runs, done, strict=True)}


@pytest.mark.parametrize("workload", [*TINY, "startup", "pushes"])
def test_each_workload_gives_figures_for_ours_and_schedule(results, workload: str) -> None:
    measured = {peer: result for (name, peer), result in results.items() if name == workload}
    if not measured:
        pytest.skip("no Redis on 127.0.0.1:6379 for the pushes workload")
    for peer, result in measured.items():
        assert "na" not in result, (peer, result)
        numbers = [value for value in result.values() if isinstance(value, float)]
        assert numbers and all(math.isfinite(value) for value in numbers), (peer, result)


def test_peers_without_coordination_are_na_with_a_reason(results) -> None:
    assert results[("takeover", "schedule")]["na"].startswith("no coordination")


def test_the_report_is_written_from_the_results(results, tmp_path: Path) -> None:
    report, plan = importlib.import_module("peers.report"), importlib.import_module("peers.plan")
    raw = [
        {"workload": workload, "peer": peer, "params": TINY.get(workload, {}), "result": result}
        for (workload, peer), result in results.items()
    ]
    text = report.markdown(report.Results(raw), plan.PLANS["tiny"], "today", 1.0, "versions")
    assert "| (a) 1 s job: lateness median (ms) |" in text
    assert "| (i) replicas: handover after SIGTERM (s) |" in text
    assert "no coordination: every replica runs every job" in text
    report.charts(report.Results(raw), plan.PLANS["tiny"], tmp_path)  # none without matplotlib


@pytest.mark.parametrize("mode", [["--repeat", "1"], ["--bytecodes"]])
def test_the_simulated_day_times_or_counts_the_same_runs_in_all_four(mode: list[str]) -> None:
    """The bare runs and the inlined steps are references only while they run what the
    test kit runs: the same number of runs and log records, over a tiny window."""
    script = BENCHMARKS / "simulated_day.py"
    done = subprocess.run(
        [sys.executable, str(script), "--window", "60", *mode],
        capture_output=True, text=True, timeout=120, check=True,
    )
    lines = done.stdout.splitlines()
    assert lines[0].endswith("60 simulated seconds:" if "--bytecodes" in mode else "of 1:")
    counts = [line[line.rindex("(") :] for line in lines[1:5]]
    assert counts[0] == counts[1] == counts[2] and counts[0].startswith("(70 runs"), lines
    assert lines[5].startswith("ratio: "), lines


def test_the_simulated_day_counts_the_same_bytecodes_in_every_run(tmp_path: Path) -> None:
    """What the README promises of `--bytecodes`: the quotes' random draws (and hash
    orders) made every run's count differ by a few hundred."""
    sys.path.insert(0, str(BENCHMARKS))
    try:
        day = importlib.import_module("simulated_day")
    finally:
        sys.path.remove(str(BENCHMARKS))
    project = tmp_path / "day"
    equipment = Path(sys.executable).with_name("equipment")
    subprocess.run(
        [str(equipment), "new", "day", "--path", str(project)], check=True, capture_output=True
    )
    for script in (day.TEST, day.PLAIN):
        counts = {day.measure(project, script, 120, True)[3] for _ in range(3)}
        assert len(counts) == 1, counts


@pytest.mark.parametrize("wrong", [["--window", "-5"], ["--window", "nan"], ["--repeat", "0"]])
def test_the_simulated_day_refuses_a_window_or_repeat_it_cannot_run(wrong: list[str]) -> None:
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / "simulated_day.py"), *wrong],
        capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 2
    assert done.stderr.splitlines()[-1].startswith("simulated_day.py: error: --")
    assert "Traceback" not in done.stderr
