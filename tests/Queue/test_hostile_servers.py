"""Pushing to a Redis that stalls (SIGSTOP) or to something that is not Redis at all.

Both are outages like a refused connection: the push returns False with one error line and
no traceback, later pushes cost next to nothing, and the outage budget holds. Bounded:
about 5 s in all.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import time

from equipment.Queue.RedisQueue import RedisQueue
from equipment.Queue.Settings import QueueSettings, redis_settings
from tests.Queue import jobs
from tests.Queue.helpers import PASSWORD, wait_for


def settings_for(port: int, **more: object) -> QueueSettings:
    section = {"port": port, "password": PASSWORD, "queues": "hostile", **more}
    return QueueSettings("redis", "local", redis_settings(section))


def timed(push) -> tuple[bool, float]:
    started = time.monotonic()
    ok = push()
    return ok, time.monotonic() - started


def test_a_stalled_redis_costs_the_budget_once_then_one_quick_attempt(server, log):
    # socket_timeout 5 s: before the fix, every push through the stall waited all of it; then
    # each later push still waited connect_timeout (1 s by default) for a reply.
    queue = RedisQueue(
        settings_for(server.port, push_retry_seconds=1, connect_timeout=0.3, socket_timeout=5),
        log,
    )
    assert queue.push(jobs.noop) is True  # a pooled connection is open when the stall starts
    server.pause()
    try:
        first, first_took = timed(lambda: queue.push(jobs.noop))
        later = [
            timed(lambda: queue.push(jobs.noop)),
            timed(lambda: queue.push_in(60, jobs.noop)),
            timed(lambda: queue.push_at(dt.datetime.now() + dt.timedelta(minutes=1), jobs.noop)),
        ]
        batch = queue.batch()
        deferred = [batch.add(jobs.noop, (), {}) for _ in range(2)]
        later.append(timed(lambda: batch.send() or all(push.accepted for push in deferred)))
    finally:
        server.resume()
    assert first is False and first_took < 1 + 0.3 + 0.5  # the budget plus one connect
    assert [ok for ok, _ in later] == [False] * 4
    assert all(took < 0.1 for _, took in later), later  # no wait for the stalled server
    assert len(log.find("is unreachable", logging.ERROR)) == 1
    assert len(log.find("still unreachable", logging.DEBUG)) == 4  # counted all the same
    # Once the server answers again, a push goes through within a probe or two.
    assert wait_for(lambda: queue.push(jobs.noop), 3)
    [back] = log.find("answers again", logging.WARNING)
    assert int(re.search(r"(\d+) pushes failed", back.message)[1]) >= 5  # and the polls
    assert wait_for(lambda: queue.guard.prober is None, 3)  # the probe thread has ended
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


def test_credentials_redis_refuses_are_said_as_such_not_as_an_outage(log):
    """The line said "is unreachable": the network, where the password was wrong."""
    section = {"url": "redis://nobody-here:wrong@127.0.0.1:6379/15", "queues": "hostile"}
    queue = RedisQueue(QueueSettings("redis", "local", redis_settings(section)), log)

    assert queue.push(jobs.noop) is False

    [error] = log.messages(logging.ERROR)
    assert error.startswith(
        "Redis at redis://nobody-here:***@127.0.0.1:6379/15 is up and refused the user, "
        "password or rights given: check the queue's Redis settings (AuthenticationError: "
    )
    assert "wrong" not in error
