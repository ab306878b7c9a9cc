"""Real replica processes against the real Redis: each test is bounded (about 10 s).

Lease 2 s: a standby polls for a free lease every 0.2 s, the key lives 1.8 s after the
leader's last renewal, and the leader renews every 0.67 s."""

from __future__ import annotations

import collections
import signal
import time

from rq import Queue

from equipment.Queue.RunContext import rq_job_id
from tests.Scheduler.replicas.processes import (
    fenced,
    leader,
    outputs,
    replicas,
    runs,
    stop,
    wait_for,
)

LEASE = 2.0



def spec(prefix: str, **extra) -> dict:
    return {"prefix": prefix, "lease": LEASE, "job": "record", "every": 1, **extra}


def assert_once(rows) -> None:
    counts = collections.Counter(run_id for run_id, _, _ in rows)
    assert [run for run, n in counts.items() if n > 1] == []


def runs_of(client, prefix, process, after: float = 0.0):
    """The runs `process` recorded, those that started after `after` (Unix time)."""
    return [row for row in runs(client, prefix) if row[1] == process.pid and row[2] > after]


def steady(client, prefix, processes, count: int):
    """Wait until a leader is known and `count` runs are recorded; return the leader."""
    assert wait_for(lambda: leader(processes, client, prefix), 10), "no replica leads"
    assert wait_for(lambda: len(runs(client, prefix)) >= count, 10)
    return leader(processes, client, prefix)


def test_three_replicas_run_every_occurrence_exactly_once(client, prefix):
    with replicas(3, spec(prefix)) as processes:
        first = steady(client, prefix, processes, 5)
        rows = runs(client, prefix)
    assert_once(rows)
    assert {pid for _, pid, _ in rows} == {first.pid}
    instants = [run_id.split("@")[1] for run_id, _, _ in rows]
    assert instants == sorted(instants)


def test_kill_9_of_the_leader_leaves_a_gap_no_longer_than_the_lease(client, prefix):
    with replicas(3, spec(prefix)) as processes:
        first = steady(client, prefix, processes, 2)
        first.signal(signal.SIGKILL)
        killed_at = time.time()
        assert wait_for(lambda: [r for r in runs(client, prefix) if r[1] != first.pid], 10)
        assert wait_for(lambda: len([r for r in runs(client, prefix) if r[2] > killed_at]) >= 2, 5)
        rows = runs(client, prefix)
    assert_once(rows)
    starts = [started for _, _, started in rows]
    gaps = [later - earlier for earlier, later in zip(starts, starts[1:], strict=False)]
    assert max(gaps) <= LEASE + 1.0 + 0.3  # the lease, the job's 1 s grid, a margin


def test_a_paused_leader_resumed_runs_and_pushes_nothing_it_no_longer_owns(
    client, prefix, queue_name
):
    with replicas(2, spec(prefix, job="push", queue=queue_name)) as processes:
        first = steady(client, prefix, processes, 2)
        other = next(p for p in processes if p is not first)
        first.signal(signal.SIGSTOP)
        paused = time.time()
        assert wait_for(lambda: leader(processes, client, prefix) is other, 10), outputs(processes)
        # The new leader runs and pushes meanwhile.
        assert wait_for(lambda: len(runs_of(client, prefix, other)) >= 2, 5), outputs(processes)
        first.signal(signal.SIGCONT)
        assert wait_for(lambda: first.found("lost the scheduler lease"), 5), first.output()
        resumed = time.time()
        assert wait_for(lambda: runs_of(client, prefix, other, resumed), 5), outputs(processes)
        stop(processes)
    rows = runs(client, prefix)
    queued = Queue(queue_name, connection=client).job_ids
    log = outputs(processes)
    assert_once(rows)
    assert len(queued) == len(set(queued))
    # The run the pause caught between its claim and its push (if any) ran on when resumed,
    # and the fence refused its push; first's log says so. Every other run's push is queued.
    refused = fenced(first)
    assert len(refused) <= 1 and not fenced(other), log
    assert refused <= {run_id for run_id, pid, _ in rows if pid == first.pid}, log
    late = {run_id for run_id, pid, started in rows if pid == first.pid and started > paused}
    assert late <= refused, log
    wanted = [rq_job_id(run_id, 1, queue_name) for run_id, _, _ in rows if run_id not in refused]
    assert sorted(queued) == sorted(wanted), log


def test_sigterm_hands_the_lead_over_within_about_a_second(client, prefix):
    with replicas(2, spec(prefix)) as processes:
        first = steady(client, prefix, processes, 1)
        other = next(p for p in processes if p is not first)
        sent = time.monotonic()
        first.signal(signal.SIGTERM)
        assert wait_for(lambda: other.found("Leading with fencing token"), 5), other.output()
        [(taken, _)] = other.found("Leading with fencing token")
        assert first.proc.wait(5) == 0
        assert first.found("released the scheduler lease")
        assert taken - sent <= 1.5
        assert wait_for(lambda: [r for r in runs(client, prefix) if r[1] == other.pid], 3)
        rows = runs(client, prefix)
    assert_once(rows)


def test_sigterm_just_before_an_occurrence_loses_none_of_them(client, prefix):
    """The leader has claimed the coming second's occurrence ahead when the signal lands
    (0.3 s before it): it gives it back, and the standby runs it, a fraction late."""
    import datetime as dt

    with replicas(2, spec(prefix)) as processes:
        first = steady(client, prefix, processes, 2)
        other = next(p for p in processes if p is not first)
        time.sleep((0.7 - time.time() % 1) % 1)  # 0.3 s before the next whole second
        first.signal(signal.SIGTERM)
        assert first.proc.wait(5) == 0
        assert wait_for(lambda: len([r for r in runs(client, prefix) if r[1] == other.pid]) >= 2, 5)
        rows = runs(client, prefix)
    assert_once(rows)
    instants = sorted(dt.datetime.fromisoformat(run_id.split("@")[1]) for run_id, _, _ in rows)
    steps = [b - a for a, b in zip(instants, instants[1:], strict=False)]
    gaps = [step for step in steps if step != dt.timedelta(seconds=1)]
    assert gaps == [], (instants, first.output(), other.output())


def test_three_replicas_pushing_queue_one_rq_job_per_occurrence(client, prefix, queue_name):
    with replicas(3, spec(prefix, job="push", queue=queue_name)) as processes:
        steady(client, prefix, processes, 4)
        stop(processes)  # the runs going on finish: every recorded run's push is resolved
    rows = runs(client, prefix)
    queued = Queue(queue_name, connection=client).job_ids
    log = outputs(processes)
    assert_once(rows)
    # A leader stalled longer than its lease (a loaded machine) may have recorded a run
    # whose push its fence then refused: its own log says so. Every other run is queued.
    refused = {(run_id, p.pid) for p in processes for run_id in fenced(p)}
    assert refused <= {(run_id, pid) for run_id, pid, _ in rows}, log
    pushed = [run_id for run_id, _, _ in rows if run_id not in {run for run, _ in refused}]
    wanted = [rq_job_id(run_id, 1, queue_name) for run_id in pushed]
    assert sorted(queued) == sorted(wanted), log


def test_an_occurrence_due_while_another_replica_still_runs_the_job_is_skipped(
    client, prefix
):
    # The run lasts longer than the test: it goes on however slow the hand-over is.
    slow = spec(prefix, job="slow", seconds=60, background=True, exclusive=True)
    with replicas(2, slow) as processes:
        first = steady(client, prefix, processes, 1)
        other = next(p for p in processes if p is not first)
        # The lease moves while first's run goes on.
        assert move_lease(client, prefix, other), outputs(processes)
        assert wait_for(lambda: other.found("skipped occurrence"), 5), outputs(processes)
        rows = runs(client, prefix)
    assert [pid for _, pid, _ in rows] == [first.pid], f"{rows}\n{outputs(processes)}"
    [(_, line)] = other.found("skipped occurrence")[:1]
    assert "slow@" in line and "previous run is still going" in line


#: Delete the lease if it still holds ARGV[1] (and so never the one the new holder took).
FREE_LEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


def move_lease(client, prefix, to) -> bool:
    """Free the lease until `to` holds it. Freed once, it may go back to its holder, whose
    renewal can find it free before `to`'s next look (every 0.2 s): a fair race."""
    key = f"{prefix}lease"

    def moved() -> bool:
        value = client.get(key)  # "token|host:pid"
        if value is not None and value.decode().endswith(f":{to.pid}"):
            return True
        if value is not None:
            client.eval(FREE_LEASE, 1, key, value)
        return False

    return wait_for(moved, 5)


def test_a_redis_outage_stops_every_replica_then_they_resume_by_themselves(
    client, prefix, server
):
    from tests.Queue.helpers import PASSWORD

    url = f"redis://:{PASSWORD.replace('#', '%23').replace(' ', '%20')}@127.0.0.1:{server.port}/0"
    with replicas(2, spec(prefix, redis_url=url)) as processes:
        assert wait_for(lambda: len(runs(client, prefix)) >= 2, 10)
        server.stop()
        stopped = time.time()
        time.sleep(3.5)
        # An occurrence claimed before the stop may still run while the lease is valid
        # (nobody else can take it over before it expires); after that, nothing runs.
        during = [r for r in runs(client, prefix) if r[2] > stopped + LEASE]
        server.start()
        restarted = time.time()
        assert wait_for(lambda: [r for r in runs(client, prefix) if r[2] > restarted], 8)
        assert wait_for(lambda: all(p.found("answers again") for p in processes), 5)
        rows = runs(client, prefix)
    assert during == []  # nobody could prove it led: nothing ran
    assert_once(rows)
    for process in processes:
        assert len(process.found("is unreachable")) == 1, process.output()
