"""Run one workload against one peer and print its figures as one JSON line.

    python -m peers.worker WORKLOAD PEER '{"param": value}'

A peer that cannot do the workload prints {"na": "why"}; so does one that fails.
"""

from __future__ import annotations

import importlib
import json
import sys
from typing import Any

from peers.stats import Unsupported

WORKLOADS = ("timing", "idle", "scale", "burst", "pushes", "startup", "takeover")


def measure(workload: str, peer: str, params: dict[str, Any]) -> dict[str, Any]:
    if workload not in WORKLOADS:
        raise SystemExit(f"unknown workload {workload!r} (known: {', '.join(WORKLOADS)})")
    module = importlib.import_module(f"peers.{workload}")
    try:
        return module.run(peer, **params)
    except Unsupported as reason:
        return {"na": str(reason)}
    except ImportError as error:
        return {"na": f"not installed here (no module {error.name})"}
    except Exception as error:  # a benchmark reports a peer's failure, it does not stop
        return {"na": f"failed: {type(error).__name__}: {error}"}


if __name__ == "__main__":
    workload, peer, params = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
    print(json.dumps(measure(workload, peer, params)))
