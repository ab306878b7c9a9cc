"""(i) replicas: how long until another replica takes over a stopped one's jobs.

Ours: two real replicas (`coordination: redis`) sharing the Redis on 127.0.0.1:6379/15, as
`benchmarks/replicas.py` runs them (a 3 s lease here, to keep the run short): the time from
SIGTERM of the leader to the standby leading (a handover), and from kill -9 (the lease
must run out). The peers' reasons are fixed facts of their designs.
"""

from __future__ import annotations

from typing import Any

from peers.stats import Unsupported

LEASE = 3.0

PEER_REASONS = {
    "loop": "no coordination: every replica runs every job",
    "schedule": "no coordination: every replica runs every job",
    "aps3": "no coordination: replicas sharing a job store run jobs more than once",
    "aps4": "not measured: its coordination needs a shared SQL or MongoDB data store",
    "rq-cron": "no coordination: every CronScheduler enqueues every job",
}


def run(peer: str) -> dict[str, Any]:
    if peer != "ours":
        raise Unsupported(PEER_REASONS.get(peer, "no coordination"))
    import redis
    import replicas  # benchmarks/replicas.py: the replica processes and the measure

    client = redis.Redis.from_url(replicas.URL)
    try:
        client.ping()
    except redis.exceptions.RedisError as error:
        raise Unsupported(f"needs Redis on 127.0.0.1:6379 ({error})") from None
    return {
        "takeover_s": replicas.takeover(client, "SIGTERM", LEASE),
        "kill9_s": replicas.takeover(client, "kill -9", LEASE),
    }
