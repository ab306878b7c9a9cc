"""One scheduler replica for the process tests: `python -m tests.Scheduler.replicas.replica
SPEC_JSON`. It logs each line to stdout ("TIME LEVEL message", TIME in Unix seconds, to line
the replicas' logs up) and its job records each run in the test Redis (db 15): `<prefix>runs`
gets "run ID|pid|start time".

SPEC: prefix, lease (s), job ("record", "push", "slow"), every (s), optional redis_url
(coordination's Redis, default db 15), queue (a queue name: the job pushes to it),
seconds (the slow job's length), background, exclusive.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from typing import Any

import redis

from equipment.Log.AbstractLogger import AbstractLogger
from equipment.Queue.RunContext import get_run_id
from equipment.Scheduler.Scheduler import Scheduler
from tests.Queue.jobs import noop  # importable by a worker (this file runs as __main__)

TEST_URL = "redis://127.0.0.1:6379/15"


class PrintLogger(AbstractLogger):
    def log(self, level: int, msg: str, *args: Any, **kwargs: Any) -> None:
        text = msg % args if args else msg
        level_name = logging.getLevelName(level)
        print(f"{time.time():.3f}", level_name, text.replace("\n", " | "), flush=True)


def record(key: str) -> None:
    line = f"{get_run_id()}|{os.getpid()}|{time.time():.3f}"
    redis.Redis.from_url(TEST_URL).rpush(key, line)


def slow(key: str, seconds: float) -> None:
    record(key)
    time.sleep(seconds)  # the job's own duration


def push(queue: Any, key: str) -> None:
    record(key)
    if queue.push(noop) is not True:
        raise RuntimeError("not queued")


class Replica(Scheduler):
    def __init__(self, spec: dict[str, Any], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.spec = spec

    def run(self) -> None:
        spec = self.spec
        key = spec["prefix"] + "runs"
        job = self.schedule.every(spec.get("every", 1)).seconds
        if spec.get("background"):
            job = job.in_background()
        if spec.get("exclusive"):
            job = job.without_overlapping()
        kind = spec["job"]
        if kind == "push":
            job.name("push").do(push, self.queue, key)
        elif kind == "slow":
            job.name("slow").do(slow, key, spec["seconds"])
        else:
            job.name("record").do(record, key)
        super().run()


def main(spec: dict[str, Any]) -> None:
    log = PrintLogger()
    queue = None
    if spec.get("queue"):
        from equipment.Queue.QueueFactory import QueueFactory

        queue = QueueFactory(
            {"connection": "redis", "redis": {"url": TEST_URL, "queues": [spec["queue"]]}}, log
        )
    settings = {
        "timezone": "UTC",
        "max_sleep": 1,
        "coordination": "redis",
        "redis_url": spec.get("redis_url", TEST_URL),
        "key_prefix": spec["prefix"],
        "lease_seconds": spec["lease"],
        "shutdown_grace": spec.get("grace", 5),
    }
    Replica(spec, log=log, queue=queue, settings=settings).run()


if __name__ == "__main__":
    main(json.loads(sys.argv[1]))
