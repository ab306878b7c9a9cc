"""Equipment's scheduler and its peers, side by side on one machine: `make bench`.

    .venv/bin/python benchmarks/bench.py            # full run, about 18 minutes
    .venv/bin/python benchmarks/bench.py --quick    # about 3 minutes
    .venv/bin/python benchmarks/bench.py --tiny --out /tmp/bench.md   # seconds (smoke)

Writes the markdown table (default docs/benchmarks.md), the raw figures beside it (.json)
and the charts (docs/benchmarks-lateness.png, docs/benchmarks-cpu.png).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from importlib import metadata
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from peers import report, runner  # noqa: E402
from peers.plan import PLANS, Plan  # noqa: E402

DOCS = Path(__file__).resolve().parents[1] / "docs"


def measure(plan: Plan) -> list[runner.Run]:
    def runs(specs: list[tuple]) -> list[runner.Run]:
        return [runner.Run(*spec) for spec in specs]

    side, meanwhile, after = runs(plan.side_by_side()), runs(plan.meanwhile()), runs(plan.after())
    print(f"timing and idle CPU, all peers side by side (~{plan.firings} s); meanwhile:")
    runner.together(side, meanwhile)
    for run in side:
        print(f"  {run.workload:<8} {run.peer:<16} {runner._brief(run.result)}")
    print("bursts, one peer at a time:")
    runner.one_by_one(after)
    return side + meanwhile + after


def versions() -> str:
    found = []
    for package in ("schedule", "APScheduler", "rq"):
        try:
            found.append(f"{package} {metadata.version(package)}")
        except metadata.PackageNotFoundError:
            found.append(f"{package} not installed")
    aps4 = runner.APS4_PYTHON.parent.parent / "lib"
    dists = sorted(aps4.glob("python*/site-packages/apscheduler-*.dist-info"))
    if dists:
        version = dists[-1].name.removesuffix(".dist-info").split("-")[1]
        found.append(f"APScheduler {version} (own venv)")
    return ", ".join(found)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_const", const="quick", dest="plan")
    size.add_argument("--tiny", action="store_const", const="tiny", dest="plan")
    parser.add_argument("--out", type=Path, default=DOCS / "benchmarks.md")
    options = parser.parse_args(argv)
    plan = PLANS[options.plan or "full"]
    started, when = time.monotonic(), dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    runs = measure(plan)
    raw = [{"workload": r.workload, "peer": r.peer, "params": r.params, "result": r.result}
           for r in runs]
    results = report.Results(raw)
    text = report.markdown(results, plan, when, time.monotonic() - started, versions())
    options.out.parent.mkdir(parents=True, exist_ok=True)
    options.out.write_text(text)
    options.out.with_suffix(".json").write_text(json.dumps(raw, indent=1) + "\n")
    charts = report.charts(results, plan, options.out.parent)
    print(f"wrote {options.out}" + "".join(f", {path}" for path in charts))


if __name__ == "__main__":
    main()
