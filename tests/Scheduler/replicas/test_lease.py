"""The lease and the claims, one step at a time: real Redis, the fake clock, no thread."""

from __future__ import annotations

import datetime as dt
import logging

import redis

from equipment.Scheduler.Coordination.RedisCoordinator import CHUNK
from equipment.Scheduler.RunRecord import RunRecord, run_id_for
from tests.Scheduler.replicas.conftest import START


def occurrence(job_id: str, seconds: int, epoch: str = "") -> RunRecord:
    at = START + dt.timedelta(seconds=seconds)
    return RunRecord(job_id, run_id_for(job_id, at, epoch), at, epoch=epoch)


def quick_client(server):
    """A client of the throwaway server that fails at once when it is down (no retries)."""
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    from tests.Queue.helpers import PASSWORD

    return redis.Redis(
        port=server.port, password=PASSWORD, socket_connect_timeout=0.5, retry=Retry(NoBackoff(), 0)
    )


def expire(client, coordinator) -> None:
    """What Redis does once the holder stops renewing for the lease's length."""
    client.delete(coordinator.lease.key)


def test_one_replica_leads_and_the_others_wait(make_coordinator):
    a, b = make_coordinator("a:1"), make_coordinator("b:2")
    a.step()
    b.step()
    assert a.is_leader and not b.is_leader
    assert a.fencing_token == 1 and b.fencing_token is None
    assert a.holder().replica == "a:1"


def test_the_fencing_token_only_grows(make_coordinator, client):
    a, b = make_coordinator("a:1"), make_coordinator("b:2")
    a.step()
    a.close()  # released: b takes it with the next token
    b.step()
    assert b.fencing_token == 2
    expire(client, b)
    a = make_coordinator("a:1")
    a.step()
    assert a.fencing_token == 3


def test_the_fencing_token_still_grows_after_redis_restarts_empty(make_coordinator, client):
    a, b = make_coordinator("a:1"), make_coordinator("b:2")
    a.step()
    b.step()  # a standby: it sees a lead with token 1
    client.delete(a.lease.key, a.lease.counter_key)  # Redis restarted empty
    b.step()
    a.step()

    assert b.is_leader and b.fencing_token == 2
    [lost] = a.log.find("lost the scheduler lease", logging.WARNING)
    assert "(token 1): b:2 leads with token 2" in lost.message


def test_the_holder_stops_trusting_its_lease_before_redis_expires_it(make_coordinator, clock):
    a = make_coordinator("a:1", lease_seconds=10)
    a.step()
    ttl = a.lease.ttl_ms / 1000
    clock.advance(0.9 * ttl - 0.01)
    assert a.is_leader
    clock.advance(0.02)
    assert not a.is_leader  # paused past its lease: it dispatches nothing, unasked
    assert a.claim_many([occurrence("report", 0)]) == set()


def test_renewal_keeps_the_lease_and_a_standby_out(make_coordinator, clock, client):
    a, b = make_coordinator("a:1", lease_seconds=3), make_coordinator("b:2", lease_seconds=3)
    a.step()
    for _ in range(10):
        clock.advance(1)
        a.step()
        b.step()
    assert a.is_leader and not b.is_leader
    assert 0 < client.pttl(a.lease.key) <= 3000


def test_a_standby_takes_over_an_abandoned_lease_and_the_old_leader_says_it_lost_it(
    make_coordinator, client
):
    a, b = make_coordinator("a:1"), make_coordinator("b:2")
    changes = []
    a.start(lambda: changes.append("a"), campaign=False)
    expire(client, a)  # a was killed or paused past its lease
    b.step()
    assert b.is_leader and b.fencing_token == 2
    a.step()  # a resumes
    assert not a.is_leader
    [lost] = a.log.find("lost the scheduler lease", logging.WARNING)
    assert "lost the scheduler lease (token 1): b:2 leads with token 2" in lost.message
    assert "runs and pushes nothing" in lost.message
    assert changes == ["a", "a"]  # it led, then it did not


def test_a_claim_is_checked_against_the_lease_in_redis(make_coordinator, client):
    a, b = make_coordinator("a:1"), make_coordinator("b:2")
    a.step()
    expire(client, a)
    b.step()
    # a still trusts its lease locally (its clock has not moved): Redis refuses anyway.
    assert a.is_leader
    assert a.claim(occurrence("report", 0)) is False
    assert not a.is_leader
    assert b.claim(occurrence("report", 0)) is True


def test_each_occurrence_is_claimed_once_even_across_leaders(make_coordinator, client):
    a, b = make_coordinator("a:1"), make_coordinator("b:2")
    a.step()
    assert a.claim(occurrence("report", 10))
    assert not a.claim(occurrence("report", 10))  # the same run ID
    expire(client, a)
    b.step()
    # b took over from state that lacks a's last record: a's occurrences stay a's.
    assert not b.claim(occurrence("report", 0))
    assert not b.claim(occurrence("report", 10))
    assert b.claim(occurrence("report", 20))
    assert b.claim(occurrence("report", 10, epoch="20260105T120030Z"))  # a new grid


def test_a_pass_is_claimed_in_one_batch(make_coordinator):
    a = make_coordinator("a:1")
    a.step()
    records = [occurrence(f"job-{n}", 0) for n in range(CHUNK + 5)]
    granted = a.claim_many(records + [occurrence("job-0", 0)])
    assert granted == {record.run_id for record in records}
    assert a.claim_many(records) == set()


def test_the_fence_names_the_lease_value(make_coordinator, client):
    a = make_coordinator("a:1")
    assert a.fence() is None
    a.step()
    fence = a.fence()
    assert fence.key == a.lease.key and client.get(fence.key).decode() == fence.value


def test_an_unreachable_redis_is_logged_once_then_summarised_then_its_end(
    make_coordinator, clock, server
):
    a = make_coordinator("a:1", connection=quick_client(server))
    changes = []
    a.start(lambda: changes.append(a.is_leader), campaign=False)
    assert a.is_leader
    server.stop()
    for _ in range(5):
        clock.advance(20)
        a.step()
    assert not a.is_leader and a.claim(occurrence("report", 0)) is False
    assert len(a.log.find("is unreachable", logging.ERROR)) == 1
    assert len(a.log.find("still unreachable after", logging.ERROR)) == 1  # after 60 s
    server.start()  # an empty Redis: the lease is gone, a takes it again
    a.step()
    assert a.is_leader and a.fencing_token == 2  # the counter restarted; a remembers 1
    assert a.log.find("answers again after 80s", logging.WARNING)
    assert changes == [True, True]  # it led; the outage ended: it leads again (takes over)


def test_overlap_locks_are_exclusive_renewed_and_expire(make_coordinator, client):
    a = make_coordinator("a:1", lease_seconds=2)
    b = make_coordinator("b:2", lease_seconds=2)
    assert a.locks.acquire("report", "report@1")
    assert not b.locks.acquire("report", "report@2")
    assert 0 < client.pttl(f"{a.prefix}running:report") <= 2000
    client.pexpire(f"{a.prefix}running:report", 100)
    a.locks.renew()
    assert client.pttl(f"{a.prefix}running:report") > 1000
    b.locks.release("report", "report@2")  # not b's: nothing happens
    assert a.locks.holder("report") == "report@1"
    a.locks.release("report", "report@1")
    assert b.locks.acquire("report", "report@2")
