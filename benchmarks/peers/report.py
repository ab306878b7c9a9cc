"""The results as a markdown table (figures and our ratio to each peer) and two PNG charts."""

from __future__ import annotations

import math
import os
import platform
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from peers.adapters import NOTES
from peers.plan import PEERS, PUSHERS, Plan

LABELS = {
    "ours": "Equipment",
    "loop": "schedule + sleep(1)",
    "schedule": "schedule, sleep to next",
    "aps3": "APScheduler 3",
    "aps4": "APScheduler 4",
    "rq-cron": "RQ CronScheduler",
    "rq-enqueue": "RQ `Queue.enqueue` loop",
    "rq-enqueue-many": "RQ `enqueue_many` ×100",
}


@dataclass(frozen=True)
class Row:
    label: str
    workload: str
    key: str
    higher_is_better: bool = False
    scale: float = 1.0
    digits: int = 2
    jobs: int | None = None  # for the workloads measured at several sizes


class Results:
    def __init__(self, runs: Iterable[dict[str, Any]]) -> None:
        self.runs = list(runs)

    def get(self, workload: str, peer: str, jobs: int | None = None) -> dict[str, Any] | None:
        for run in self.runs:
            if run["workload"] == workload and run["peer"] == peer:
                if jobs is None or run["params"].get("jobs") == jobs:
                    return run["result"]
        return None


class Notes:
    """Footnotes for n/a cells, one per distinct (peer, reason)."""

    def __init__(self) -> None:
        self.reasons: dict[str, int] = {}

    def cite(self, peer: str, reason: str) -> str:
        text = f"{LABELS[peer]}: {reason}"
        number = self.reasons.setdefault(text, len(self.reasons) + 1)
        return f"n/a [{number}]"

    def lines(self) -> list[str]:
        return [f"{number}. {text}" for text, number in self.reasons.items()]


def rows(plan: Plan) -> list[Row]:
    found = [
        Row("(a) 1 s job: lateness median (ms)", "timing", "interval_median_ms"),
        Row("(a) 1 s job: lateness p99 (ms)", "timing", "interval_p99_ms"),
        Row("(a) pinned :SS jobs: lateness median (ms)", "timing", "pinned_median_ms"),
        Row("(a) pinned :SS jobs: lateness p99 (ms)", "timing", "pinned_p99_ms"),
        Row(f"(b) drift over {plan.firings} s: last − first tenth (ms)", "timing", "drift_ms"),
        Row("(c) idle CPU, 100 hourly jobs (s per hour)", "idle", "cpu_s_per_hour", digits=3),
        Row("(c) idle: wake-ups per hour, 100 hourly jobs", "idle", "wakeups_per_hour",
            digits=0),
    ]
    for size in plan.scale_sizes:
        found += [
            Row(f"(d) register, {size:,} jobs (µs per job)", "scale", "register_us", jobs=size),
            Row(f"(d) pass, nothing due, {size:,} jobs (ms)", "scale", "pass_ms", digits=3,
                jobs=size),
            Row(f"(d) next wake-up, {size:,} jobs (µs)", "scale", "wakeup_ms", scale=1000,
                jobs=size),
        ]
    for size in plan.burst_sizes:
        found += [
            Row(f"(e) {size:,} jobs every {plan.burst_period:g} s: runs per s", "burst",
                "runs_per_s", higher_is_better=True, digits=0, jobs=size),
            Row(f"(e) {size:,} jobs: share of due runs done (%)", "burst", "done",
                higher_is_better=True, digits=1, jobs=size),
            Row(f"(e) {size:,} jobs: CPU share (%)", "burst", "cpu_share", scale=100,
                digits=1, jobs=size),
            Row(f"(e) {size:,} jobs: lateness median (ms)", "burst", "late_median_ms", jobs=size),
            Row(f"(e) {size:,} jobs: lateness p99 (ms)", "burst", "late_p99_ms", jobs=size),
        ]
    found += [
        Row(f"(f) memory per 10,000 jobs, measured at {size:,} (MB)", "scale",
            "memory_mb_per_10k", digits=1, jobs=size)
        for size in plan.scale_sizes if size >= 10_000
    ]
    return found + [
        Row("(h) start-up to first pass (ms)", "startup", "start_ms", digits=0),
        Row("(h) `python scheduler.py`, generated project (ms)", "startup", "project_start_ms",
            digits=0),
        Row("(i) replicas: handover after SIGTERM (s)", "takeover", "takeover_s"),
        Row("(i) replicas: takeover after kill -9, lease 3 s (s)", "takeover", "kill9_s"),
    ]


def value(result: dict[str, Any] | None, key: str) -> float | str | None:
    """A number, an n/a reason, or None when nothing was measured."""
    if result is None:
        return None
    if "na" in result:
        return str(result["na"])
    if key == "done":
        return 100 * result["runs_per_s"] / result["due_per_s"] if result["due_per_s"] else None
    found = result.get(key)
    if isinstance(found, dict):
        return str(found.get("na"))
    return found


def ratio(ours: float, theirs: float, higher_is_better: bool) -> str:
    ours, theirs = abs(ours), abs(theirs)
    if min(ours, theirs) < 1e-9:
        return ""
    times = ours / theirs if higher_is_better else theirs / ours
    if times < 1:
        return f" ({times:.2g}×)"
    return f" ({times:.1f}×)" if times < 10 else f" ({times:,.0f}×)"


def cell(row: Row, peer: str, ours: Any, found: Any, notes: Notes) -> str:
    if found is None:
        return "—"
    if isinstance(found, str):
        return notes.cite(peer, found)
    if isinstance(found, float) and math.isnan(found):
        return "—"
    text = f"{found * row.scale:,.{row.digits}f}"
    if peer != "ours" and isinstance(ours, int | float) and not math.isnan(ours):
        text += ratio(ours, found, row.higher_is_better)
    return text


def table(results: Results, plan: Plan, notes: Notes) -> list[str]:
    lines = [
        "| measure | " + " | ".join(LABELS[peer] for peer in PEERS) + " |",
        "|---|" + "---|" * len(PEERS),
    ]
    for row in rows(plan):
        found = {peer: value(results.get(row.workload, peer, row.jobs), row.key) for peer in PEERS}
        if all(item is None for item in found.values()):
            continue
        cells = [cell(row, peer, found["ours"], found[peer], notes) for peer in PEERS]
        lines.append(f"| {row.label} | " + " | ".join(cells) + " |")
    return lines


def pushes_table(results: Results, plan: Plan, notes: Notes) -> list[str]:
    row = Row(f"(g) pushes per s, {plan.pushes:,} due at once", "pushes", "pushes_per_s",
              higher_is_better=True, digits=0)
    found = {peer: value(results.get("pushes", peer), row.key) for peer in PUSHERS}
    cells = [cell(row, peer, found["ours"], found[peer], notes) for peer in PUSHERS]
    return [
        "| measure | " + " | ".join(LABELS[peer] for peer in PUSHERS) + " |",
        "|---|" + "---|" * len(PUSHERS),
        f"| {row.label} | " + " | ".join(cells) + " |",
    ]


def machine() -> str:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (f"{platform.system()} {platform.release()}, {model}, {os.cpu_count()} cores, "
            f"Python {platform.python_version()}")


def markdown(results: Results, plan: Plan, when: str, wall: float, versions: str) -> str:
    notes = Notes()
    main, pushes = table(results, plan, notes), pushes_table(results, plan, notes)
    method = [f"- {LABELS[peer]}: {note}" for peer, note in NOTES.items()]
    return "\n".join([
        "# Benchmarks: Equipment's scheduler and its peers",
        "",
        "Generated by `make bench` (`benchmarks/bench.py`; how each workload is measured is in",
        "benchmarks/README.md). Not tests: the figures depend on the machine and its load.",
        "",
        f"- run: `{plan.name}`, {when}, {wall / 60:.1f} minutes",
        f"- machine: {machine()}",
        f"- peers: {versions}",
        "",
        "Each cell is the figure and, in brackets, how many times better ours is than that",
        "peer on it (below 1× the peer is better). Lower is better except where the measure",
        "says runs or pushes per second or share done.",
        "",
        *main,
        "",
        *pushes,
        "",
        "![lateness against job count](benchmarks-lateness.png)",
        "![CPU against job count](benchmarks-cpu.png)",
        "",
        "Notes on method:",
        "",
        *method,
        "",
        "Why some cells are n/a:",
        "",
        *notes.lines(),
        "",
    ])


def charts(results: Results, plan: Plan, folder: Path) -> list[Path]:
    """docs/benchmarks-lateness.png and -cpu.png; none when matplotlib is not installed."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return []
    lateness, axes = plt.subplots(1, 2, figsize=(11, 4))
    _plot(axes[0], results, "burst", "late_median_ms", plan.burst_sizes, "lateness median (ms)")
    _plot(axes[1], results, "burst", "late_p99_ms", plan.burst_sizes, "lateness p99 (ms)")
    lateness.suptitle(f"Jobs every {plan.burst_period:g} s falling due together")
    cpu, axes = plt.subplots(1, 2, figsize=(11, 4))
    _plot(axes[0], results, "scale", "pass_ms", plan.scale_sizes, "pass with nothing due (ms)")
    _plot(axes[1], results, "burst", "cpu_share", plan.burst_sizes, "CPU share, jobs every 10 s")
    paths = [folder / "benchmarks-lateness.png", folder / "benchmarks-cpu.png"]
    for figure, path in zip((lateness, cpu), paths, strict=True):
        figure.tight_layout()
        figure.savefig(path, dpi=90)
        plt.close(figure)
    return paths


def _plot(axis: Any, results: Results, workload: str, key: str, sizes: Iterable[int],
          title: str) -> None:
    for peer in PEERS:
        points = [(size, value(results.get(workload, peer, size), key)) for size in sizes]
        points = [(size, found) for size, found in points if isinstance(found, int | float)]
        if points:
            axis.plot(*zip(*points, strict=True), marker="o", label=LABELS[peer])
    axis.set_xscale("log")
    axis.set_yscale("log")
    axis.set_xlabel("jobs")
    axis.set_title(title)
    if axis.lines:
        axis.legend(fontsize="small")
