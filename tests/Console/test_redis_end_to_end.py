"""The seed's example end to end on the real Redis: `scheduler.py` pushes `_inspire` every
five seconds and `queues.py` logs a quote for each. Real processes, bounded (about 15 s)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from tests.Console.test_generated_project import clean_environment, create_project, read_until

REDIS_DB = "14"


def redis_or_skip() -> None:
    redis = pytest.importorskip("redis")
    try:
        redis.Redis(host="127.0.0.1", port=6379, socket_connect_timeout=1).ping()
    except redis.exceptions.RedisError as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"no Redis answers on 127.0.0.1:6379 ({exc}); CI=true requires one")
        pytest.skip(f"no Redis answers on 127.0.0.1:6379 ({exc})")


def start(project: Path, script: str, queue: str) -> subprocess.Popen[str]:
    env = clean_environment(
        project,
        PYTHONUNBUFFERED="1",
        QUEUE_CONNECTION="redis",
        REDIS_DB=REDIS_DB,
        REDIS_QUEUE=queue,
    )
    return subprocess.Popen(
        [sys.executable, script],
        cwd=project,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def stop(process: subprocess.Popen[str]) -> tuple[int, str]:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        rest, _ = process.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        rest, _ = process.communicate()
    return process.returncode, rest


def test_scheduler_pushes_inspire_and_the_worker_logs_each_quote(tmp_path: Path) -> None:
    redis_or_skip()
    project = create_project("e2e-app", tmp_path / "e2e-app")
    quotes = json.loads((project / "config" / "inspiring.json").read_text())["quotes"]
    queue = f"e2e-{uuid.uuid4().hex[:10]}"

    worker = start(project, "queues.py", queue)
    scheduler = start(project, "scheduler.py", queue)
    try:
        worked = read_until(
            worker, lambda line: "_inspire" in line and "finished" in line.lower(), seconds=45
        )
        worked += read_until(worker, lambda line: any(q in line for q in quotes), seconds=5)
    finally:
        scheduler_code, scheduled = stop(scheduler)
        worker_code, worked_rest = stop(worker)

    worked += worked_rest
    assert any(q in worked for q in quotes), worked
    pushes = [line for line in scheduled.splitlines() if "Queued" in line and "_inspire" in line]
    assert pushes, scheduled
    assert "RQ job" in pushes[0] and "(run _inspire:every-5-seconds" in pushes[0], pushes[0]
    assert scheduler_code == 0, scheduled
    assert worker_code == 0, worked
