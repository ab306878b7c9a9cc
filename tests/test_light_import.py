"""`import equipment` must stay light: no queue backend, no web framework."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = ["redis", "rq", "flask", "django", "fastapi", "uvicorn", "prometheus_client"]
#: dependency_injector's wiring imports FastAPI whenever it is installed (the `web` extra):
#: what it loads is not ours, so it is measured first and left out.
DEPENDENCY = "import dependency_injector.containers, dependency_injector.providers"


def modules_after(code: str, cwd: Path) -> set[str]:
    """The top-level modules loaded after running `code` in a fresh interpreter."""
    script = f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=cwd, timeout=60
    )
    assert result.returncode == 0, result.stderr.strip().splitlines()[-1]
    return {name.split(".")[0] for name in json.loads(result.stdout.splitlines()[-1])}


def ours(code: str, cwd: Path) -> set[str]:
    """The heavy modules `code` loads that dependency_injector alone does not."""
    return (modules_after(code, cwd) - modules_after(DEPENDENCY, cwd)) & set(HEAVY)


def test_import_equipment_loads_no_heavy_module(tmp_path: Path) -> None:
    assert not ours("import equipment", tmp_path)


def test_the_scheduler_without_metrics_loads_no_heavy_module(tmp_path: Path) -> None:
    code = (
        "from equipment.Scheduler.Scheduler import Scheduler\n"
        "s = Scheduler()\ns.should_exit = True\ns.run()"
    )
    assert not ours(code, tmp_path)


@pytest.mark.parametrize(
    "code",
    [
        "from equipment import Equipment",
        "import equipment.Log.LoggerFactory, equipment.Config.ConfigLoader",
        "from equipment import Equipment; c = Equipment.make('.'); c.log(); c.queue()",
    ],
)
def test_the_container_on_sync_loads_no_heavy_module(tmp_path: Path, code: str) -> None:
    config = tmp_path / "config"
    config.mkdir()
    (config / "queue.yaml").write_text("connection: sync\n")
    (config / "log.yaml").write_text('default: "null"\n')

    assert not ours(code, tmp_path)


@pytest.mark.parametrize(
    "code",
    [
        "import equipment",
        "from equipment.Scheduler.Scheduler import Scheduler\n"
        "s = Scheduler()\ns.should_exit = True\ns.run()",
    ],
)
def test_the_scheduler_alone_does_not_load_the_container(tmp_path: Path, code: str) -> None:
    """The container (and dependency-injector, which loads FastAPI when it is installed)
    is imported when first used, not by `import equipment` or the scheduler."""
    loaded = modules_after(code, tmp_path)

    assert not loaded & {"dependency_injector", "fastapi", "yaml", "dotenv"}
