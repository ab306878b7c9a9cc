"""`.without_overlapping()` locks shared by the replicas: one Redis key per job.

`SET running:<job id> <run id> NX PX ttl` takes the lock; it is given back (only by the run
that holds it) when the run ends, failure included. The coordinator's thread renews the
locks this process holds, so a long run keeps its lock; after a crash nobody renews it and
it expires at most `ttl` later (the lease's length).
"""

from __future__ import annotations

import threading
from typing import Any

from equipment.Scheduler.Coordination.RunLocks import RunLocks

COMPARE_AND_DELETE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""
COMPARE_AND_EXTEND = """
local kept = 0
for i, key in ipairs(KEYS) do
  if redis.call('GET', key) == ARGV[i + 1] then
    redis.call('PEXPIRE', key, ARGV[1])
    kept = kept + 1
  end
end
return kept
"""


class RedisRunLocks(RunLocks):
    def __init__(self, connection: Any, prefix: str, ttl_seconds: float) -> None:
        self.connection = connection
        self.prefix = f"{prefix}running:"
        self.ttl_ms = int(ttl_seconds * 1000)
        self._held: dict[str, str] = {}
        self._lock = threading.Lock()
        self._release = connection.register_script(COMPARE_AND_DELETE)
        self._extend = connection.register_script(COMPARE_AND_EXTEND)

    def acquire(self, job_id: str, run_id: str) -> bool:
        """Raises redis errors: a lock that cannot be taken is not held (no run)."""
        if not self.connection.set(self.prefix + job_id, run_id, nx=True, px=self.ttl_ms):
            return False
        with self._lock:
            self._held[job_id] = run_id
        return True

    def release(self, job_id: str, run_id: str) -> None:
        with self._lock:
            if self._held.get(job_id) == run_id:
                del self._held[job_id]
        self._release(keys=[self.prefix + job_id], args=[run_id])

    def renew(self) -> None:
        with self._lock:
            held = list(self._held.items())
        if held:
            keys = [self.prefix + job_id for job_id, _ in held]
            self._extend(keys=keys, args=[self.ttl_ms, *(run_id for _, run_id in held)])

    def holder(self, job_id: str) -> str | None:
        """The run holding `job_id`'s lock, if any (for tests and commands)."""
        value = self.connection.get(self.prefix + job_id)
        return value.decode() if value is not None else None
