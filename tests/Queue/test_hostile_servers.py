"""Pushing to a Redis that stalls (SIGSTOP) or to something that is not Redis at all.

Both are outages like a refused connection: the push returns False with one error line and
no traceback, later pushes make one quick attempt, and the outage budget holds. Bounded:
about 5 s in all.
"""

from __future__ import annotations

import logging
import time

from equipment.Queue.RedisQueue import RedisQueue
from equipment.Queue.Settings import QueueSettings, redis_settings
from tests.Queue import jobs
from tests.Queue.helpers import PASSWORD


def settings_for(port: int, **more: object) -> QueueSettings:
    section = {"port": port, "password": PASSWORD, "queues": "hostile", **more}
    return QueueSettings("redis", "local", redis_settings(section))


def timed(push) -> tuple[bool, float]:
    started = time.monotonic()
    ok = push()
    return ok, time.monotonic() - started


def test_a_stalled_redis_costs_the_budget_once_then_one_quick_attempt(server, log):
    # socket_timeout 5 s: before the fix, every push through the stall waited all of it.
    queue = RedisQueue(
        settings_for(server.port, push_retry_seconds=1, connect_timeout=0.3, socket_timeout=5),
        log,
    )
    assert queue.push(jobs.noop) is True  # a pooled connection is open when the stall starts
    server.pause()
    try:
        first, first_took = timed(lambda: queue.push(jobs.noop))
        later = [timed(lambda: queue.push(jobs.noop)) for _ in range(2)]
    finally:
        server.resume()
    assert first is False and first_took < 1 + 0.3 + 0.5  # the budget plus one connect
    assert [ok for ok, _ in later] == [False, False]
    assert all(took < 0.3 + 0.5 for _, took in later)  # one quick attempt each
    assert len(log.find("is unreachable", logging.ERROR)) == 1
    assert queue.push(jobs.noop) is True
    assert log.find("answers again", logging.WARNING)
    server.client().delete("rq:queue:hostile")


def test_a_server_that_is_not_redis_is_an_outage(http_port, log):
    queue = RedisQueue(settings_for(http_port, outage_summary_seconds=1), log)
    assert [queue.push(jobs.noop) for _ in range(3)] == [False, False, False]
    [error] = log.messages(logging.ERROR)
    # What the server sent shows in the line: redis-py's parser quotes the line, hiredis's
    # the first byte.
    assert "is unreachable (InvalidResponse" in error
    assert "HTTP/1.1" in error or 'got "H"' in error
    assert all(record.traceback is None for record in log.records)
    assert len(log.find("still unreachable", logging.DEBUG)) == 2
