"""The leader's lease: one Redis key that at most one replica holds at a time.

    acquire:  if no one holds it, token = INCR counter (at least one more than the highest
              token this replica has seen); SET lease "token|holder" PX ttl
    renew:    PEXPIRE lease ttl, only if it still holds our value
    release:  DEL lease, only if it still holds our value

Each step is one Lua script, so it is atomic in Redis. The token comes from a counter that
only grows: it is the fencing token, and a holder's claims and pushes are checked against
the lease's current value in the same step that makes them. A Redis that restarts empty
(no persistence) loses the counter; the replicas remember the highest token they saw, so
the next one still comes after it.

Redis expires the key `ttl` after the last renewal; the holder counts its lease valid for
a little less (from the moment it *sent* the renewal, on its own monotonic clock), so it
stops dispatching before a standby can take over. The key's TTL is the lease minus one
standby poll, so that a standby polling for a free lease takes over at most `lease_seconds`
after the leader's last renewal.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from equipment.Scheduler.Clock import Clock

ACQUIRE = """
local current = redis.call('GET', KEYS[1])
if current then return {0, current} end
local token = redis.call('INCR', KEYS[2])
if token <= tonumber(ARGV[3]) then
  token = tonumber(ARGV[3]) + 1
  redis.call('SET', KEYS[2], token)
end
local value = token .. '|' .. ARGV[2]
redis.call('SET', KEYS[1], value, 'PX', ARGV[1])
return {token, value}
"""

RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""

RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""

#: The share of the key's TTL the holder counts on: Redis's clock and ours may run at
#: slightly different rates, and the renewal's reply takes time to arrive.
SAFETY = 0.9


@dataclass(frozen=True)
class Holder:
    """Who holds the lease, as its value says: 'token|host:pid'."""

    token: int
    replica: str

    @classmethod
    def parse(cls, value: bytes | str | None) -> Holder | None:
        if value is None:
            return None
        text = value.decode() if isinstance(value, bytes) else value
        token, _, replica = text.partition("|")
        return cls(int(token), replica) if token.isdigit() else None


class RedisLease:
    def __init__(
        self,
        connection: Any,
        prefix: str,
        replica: str,
        lease_seconds: float,
        clock: Clock,
    ) -> None:
        self.connection = connection
        self.key = f"{prefix}lease"
        self.counter_key = f"{prefix}lease:token"
        self.replica = replica
        self.lease_seconds = lease_seconds
        #: How often a standby looks for a free lease.
        self.poll_seconds = min(0.5, lease_seconds / 10)
        #: How often the holder renews.
        self.renew_seconds = lease_seconds / 3
        self.ttl_ms = int((lease_seconds - self.poll_seconds) * 1000)
        self.clock = clock
        self.value: str | None = None  # "token|replica" while held
        self.token: int | None = None
        self.highest_seen = 0  # the highest token held or seen held: the next one is above it
        self.valid_until = 0.0  # monotonic
        self._acquire = connection.register_script(ACQUIRE)
        self._renew = connection.register_script(RENEW)
        self._release = connection.register_script(RELEASE)

    @property
    def held(self) -> bool:
        """Held, as far as this process can tell without asking Redis."""
        return self.value is not None and self.clock.monotonic() < self.valid_until

    def acquire(self) -> bool:
        """Take the lease if nobody holds it. Raises redis errors."""
        sent = self.clock.monotonic()
        token, value = self._acquire(
            keys=[self.key, self.counter_key], args=[self.ttl_ms, self.replica, self.highest_seen]
        )
        if not token:
            self._saw(Holder.parse(value))
            return False
        self.token, self.value = int(token), _text(value)
        self.highest_seen = max(self.highest_seen, self.token)
        self._valid_from(sent)
        return True

    def renew(self) -> bool:
        """Extend the lease; False when it is no longer ours (it expired, another took it:
        the caller says so, with the token it had, and `drop`s it). Raises redis errors,
        leaving the local validity to run out on its own."""
        if self.value is None:
            return False
        sent = self.clock.monotonic()
        if self._renew(keys=[self.key], args=[self.value, self.ttl_ms]):
            self._valid_from(sent)
            return True
        return False

    def release(self) -> None:
        """Give the lease up at once, if still ours. Raises redis errors."""
        value, self.value, self.token = self.value, None, None
        if value is not None:
            self._release(keys=[self.key], args=[value])

    def drop(self) -> None:
        """Forget the lease locally (it was lost, or cannot be proven)."""
        self.value, self.token, self.valid_until = None, None, 0.0

    def holder(self) -> Holder | None:
        """Who holds the lease now, by asking Redis."""
        holder = Holder.parse(self.connection.get(self.key))
        self._saw(holder)
        return holder

    def _saw(self, holder: Holder | None) -> None:
        if holder is not None:
            self.highest_seen = max(self.highest_seen, holder.token)

    def _valid_from(self, sent: float) -> None:
        self.valid_until = sent + SAFETY * self.ttl_ms / 1000


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
