"""Many scheduler replicas, one run per occurrence: a leader lease and per-job claims in Redis.

- *Lead*: every replica campaigns for the lease (`RedisLease`) on its own thread; the one
  holding it is the leader and the only one that dispatches. The holder renews every third
  of the lease from that thread, so a long inline job never costs it the lease; standbys
  look for a free lease twice a second, so a released lease is taken over at once and an
  abandoned one (kill -9) at most `lease_seconds` after its last renewal.
- *Claim*: before an occurrence runs, one Lua script checks that the lease still holds this
  replica's value (token and name) and moves the job's high-water mark: the latest claimed
  scheduled instant per job (`claims` hash). A run ID at or below the mark was claimed
  before (by this leader, or by one that died before it could write its records) and is
  refused. A pass's claims go in one script call per `CHUNK` occurrences, in one pipeline.
- *Fence*: a run's pushes carry the lease value it was claimed under; the queue enqueues
  only while the lease still holds it (see `RedisQueue`), when both share one Redis.
- *Outage*: a Redis that does not answer proves nothing: the leader's local validity runs
  out and it dispatches nothing until Redis answers and it holds the lease again.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Iterable
from typing import Any

import redis

from equipment.Log.AbstractLogger import AbstractLogger
from equipment.Queue.RunContext import Fence
from equipment.Scheduler.Clock import Clock
from equipment.Scheduler.Coordination.Coordinator import Coordinator
from equipment.Scheduler.Coordination.OutageLog import OutageLog
from equipment.Scheduler.Coordination.RedisLease import Holder, RedisLease
from equipment.Scheduler.Coordination.RedisRunLocks import RedisRunLocks
from equipment.Scheduler.RunRecord import RunRecord

CLAIM = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return {0} end
local granted = {1}
for i = 2, #ARGV, 4 do
  local job, epoch, at, run = ARGV[i], ARGV[i + 1], tonumber(ARGV[i + 2]), ARGV[i + 3]
  local last = redis.call('HGET', KEYS[2], job)
  local free = true
  if last then
    local last_epoch, last_at = string.match(last, '^([^|]*)|([^|]*)|')
    free = last_epoch ~= epoch or tonumber(last_at) < at
  end
  if free then
    redis.call('HSET', KEYS[2], job, epoch .. '|' .. ARGV[i + 2] .. '|' .. run)
    granted[#granted + 1] = run
  end
end
return granted
"""

GIVE_BACK = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
local given = 0
for i = 2, #ARGV, 3 do
  if redis.call('HGET', KEYS[2], ARGV[i]) == ARGV[i + 1] then
    if ARGV[i + 2] == '' then
      redis.call('HDEL', KEYS[2], ARGV[i])
    else
      redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 2])
    end
    given = given + 1
  end
end
return given
"""

#: Occurrences per claim script call: Redis runs a script alone, so a pass of 10,000
#: claims is cut in short scripts (a millisecond or two each), sent in one pipeline.
CHUNK = 500
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


class RedisCoordinator(Coordinator):
    mode = "redis"
    batches_claims = True

    def __init__(
        self,
        connection: Any,
        prefix: str,
        replica: str,
        lease_seconds: float,
        clock: Clock,
        log: AbstractLogger,
        where: str,
        fences_pushes: bool = True,
    ) -> None:
        self.connection = connection
        self._fence: Fence | None = None
        self.prefix = prefix
        self.replica = replica
        self.clock = clock
        self.log = log
        self.where = where
        self.fences_pushes = fences_pushes
        self.lease = RedisLease(connection, prefix, replica, lease_seconds, clock)
        self.locks = RedisRunLocks(connection, prefix, lease_seconds)
        self.outage = OutageLog(log, where, clock)
        self.claims_key = f"{prefix}claims"
        self._claim = connection.register_script(CLAIM)
        self._give_back = connection.register_script(GIVE_BACK)
        self._on_change: Callable[[], None] = lambda: None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- what the dispatcher asks ----------------------------------------------------------

    @property
    def is_leader(self) -> bool:
        return self.lease.held

    @property
    def fencing_token(self) -> int | None:
        return self.lease.token if self.lease.held else None

    def fence(self) -> Fence | None:
        value = self.lease.value
        if not self.fences_pushes or value is None:
            return None
        fence = self._fence
        if fence is None or fence.value != value:  # one per lease, not one per run
            fence = self._fence = Fence(self.lease.key, value)
        return fence

    def claim(self, record: RunRecord) -> bool:
        return record.run_id in self.claim_many([record])

    def claim_many(self, records: Iterable[RunRecord]) -> set[str]:
        records = list(records)
        value = self.lease.value
        if not records or value is None or not self.lease.held:
            return set()
        try:
            replies = self._send_claims(value, records)
        except redis.RedisError as error:
            self._unprovable(error)
            return set()
        granted: set[str] = set()
        for reply in replies:
            if not reply or int(reply[0]) == 0:
                self._lost()
                return granted
            granted.update(_text(run_id) for run_id in reply[1:])
        return granted

    def claimed(self) -> dict[str, tuple[str, dt.datetime]]:
        found = {}
        for job_id, mark in self.connection.hgetall(self.claims_key).items():
            epoch, micros, _ = _text(mark).split("|", 2)
            found[_text(job_id)] = (epoch, _EPOCH + dt.timedelta(microseconds=int(micros)))
        return found

    def give_back(self, claims: Iterable[tuple[RunRecord, RunRecord | None]]) -> int:
        """Move each job's mark back from its claim to the occurrence before it (or remove
        it), in one script: only while this replica still holds the lease, and only where
        the mark is still that claim."""
        value = self.lease.value
        args: list[Any] = [value]
        for claimed, previous in claims:
            args += [claimed.job_id, _mark(claimed), _mark(previous) if previous else ""]
        if value is None or len(args) == 1:
            return 0
        try:
            return int(self._give_back(keys=[self.lease.key, self.claims_key], args=args))
        except redis.RedisError as error:
            self.log.warning(
                f"Claims made ahead were not given back ({type(error).__name__}: {error}); "
                "the next leader counts them as this replica's, run or not"
            )
            return 0

    def _send_claims(self, value: str, records: list[RunRecord]) -> list[Any]:
        keys = [self.lease.key, self.claims_key]
        with self.connection.pipeline(transaction=False) as pipe:
            for start in range(0, len(records), CHUNK):
                args: list[Any] = [value]
                for record in records[start : start + CHUNK]:
                    args += [
                        record.job_id,
                        record.epoch,
                        _micros(record.scheduled_at),
                        record.run_id,
                    ]
                self._claim(keys=keys, args=args, client=pipe)
            return pipe.execute()

    # -- the campaign ----------------------------------------------------------------------

    def start(self, on_change: Callable[[], None], campaign: bool = True) -> None:
        """Take part: one round now (a lone replica leads from its first pass), then a
        thread that renews the lease or waits for it (`campaign=False`: the caller takes
        each `step()`, as tests do with a fake clock)."""
        self._on_change = on_change
        self.step()
        if not campaign:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._campaign, name="scheduler-lease", daemon=True)
        self._thread.start()

    def _campaign(self) -> None:
        while not self._stop.wait(self.step()):
            pass

    def step(self) -> float:
        """One round: renew the lease (or take it if free), renew overlap locks. Returns
        the seconds until the next round."""
        was = self.is_leader
        try:
            if self.lease.value is not None and not self.lease.renew():
                self._lost()
            if self.lease.value is None and self.lease.acquire():
                self.log.info(
                    f"This replica ({self.replica}) leads now, fencing token {self.lease.token}",
                    extra={"fencing_token": self.lease.token, "replica": self.replica},
                )
            self.locks.renew()
        except redis.RedisError as error:
            self.outage.failed(error)
        else:
            self.outage.recovered()
        if self.is_leader != was:
            self._on_change()
        return self.lease.renew_seconds if self.lease.value else self.lease.poll_seconds

    def close(self) -> None:
        """Stop campaigning and release the lease, so a standby takes over at once."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        token = self.lease.token
        try:
            self.lease.release()
        except redis.RedisError as error:
            self.log.warning(
                f"Scheduler lease not released ({type(error).__name__}: {error}); "
                "a standby takes over when it expires"
            )
            return
        if token is not None:
            self.log.info(
                f"This replica released the scheduler lease (fencing token {token})",
                extra={"fencing_token": token},
            )

    def holder(self) -> Holder | None:
        """Who leads now, by asking Redis."""
        return self.lease.holder()

    # -- losing the lead ---------------------------------------------------------------------

    def _lost(self) -> None:
        token = self.lease.token
        self.lease.drop()
        try:
            now = self.lease.holder()
        except redis.RedisError:
            now = None
        leader = f"{now.replica} leads with token {now.token}" if now else "no replica holds it"
        self.log.warning(
            f"This replica lost the scheduler lease (token {token}): {leader}; it runs and "
            "pushes nothing it no longer owns",
            extra={"fencing_token": token, "replica": self.replica},
        )

    def _unprovable(self, error: BaseException) -> None:
        """A claim Redis did not answer: nothing is ours until a renewal proves it again."""
        self.outage.failed(error)
        self.lease.valid_until = 0.0
        self._on_change()


def _mark(record: RunRecord) -> str:
    """A job's high-water mark as the claim script writes it."""
    return f"{record.epoch}|{_micros(record.scheduled_at)}|{record.run_id}"


def _micros(instant: dt.datetime) -> int:
    return (instant - _EPOCH) // dt.timedelta(microseconds=1)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
