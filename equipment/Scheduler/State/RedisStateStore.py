"""State in Redis, shared by every replica of a project (`coordination: redis`).

    <prefix>jobs              hash: job ID -> JobState as JSON
    <prefix>processes         hash: process ID -> ProcessInfo as JSON (heartbeats)
    <prefix>processes:more    hash: process ID -> the fields older versions' ProcessInfo
                              does not know, as JSON (next_beat_by, pid_namespace)
    <prefix>paused            hash: job ID -> paused since (ISO 8601)
    <prefix>windows           hash: job ID -> where its until(timedelta) window closes
    <prefix>history:<job ID>  list: HistoryEntry as JSON, newest first, at most HISTORY_CAP
    <prefix>spans:first       hash: process ID -> its first heartbeat (ISO 8601)
    <prefix>spans:last        hash: process ID -> its last heartbeat (kept after it stops)
    <prefix>spans:stopped     hash: process ID -> "1" when that last beat was its goodbye

`adopt` is one Lua script per chunk (insert-if-absent, a changed fingerprint replaces), so
replicas starting together agree on one anchor per job; `record` reads the batch's rows and
writes them back in one MULTI/EXEC under WATCH, with the history rows.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Iterable, Mapping
from operator import itemgetter
from typing import Any

import redis

from equipment.Queue.RedisConnection import DENIED_ERRORS, is_down, is_missing_db
from equipment.Scheduler.RunRecord import RunRecord
from equipment.Scheduler.State.StateStore import (
    MISSED,
    HeartbeatSpan,
    HistoryEntry,
    JobState,
    ProcessInfo,
    StateStore,
    StateStoreError,
    StateUnreachable,
)

ADOPT = """
local stored = {}
for i = 1, #ARGV, 3 do
  local current = redis.call('HGET', KEYS[1], ARGV[i])
  if (not current) or cjson.decode(current).fingerprint ~= ARGV[i + 1] then
    redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 2])
    current = ARGV[i + 2]
  end
  stored[#stored + 1] = current
end
return stored
"""

#: Proposals per adopt script call (a script runs alone in Redis: keep each one short).
CHUNK = 500
#: History rows kept per job at most, whatever `prune_history` is told.
HISTORY_CAP = 1000
WATCH_ATTEMPTS = 10

_JOB_TIMES = ("anchor", "last_scheduled", "last_started", "last_finished")
_ENTRY_TIMES = ("scheduled_at", "started_at", "finished_at")
_PROCESS_TIMES = ("started_at", "heartbeat_at", "running_since")
#: ProcessInfo's fields that older versions do not know: kept in `processes:more`.
_NEWER_FIELDS = ("next_beat_by", "pid_namespace")
_NEWER_TIMES = ("next_beat_by",)
#: ProcessInfo's fields kept with its span, not with the process.
_SPAN_FIELDS = ("stopping_since",)


class RedisStateStore(StateStore):
    def __init__(self, connection: Any, prefix: str, location: str, replica: str = "") -> None:
        self.connection = connection
        self.prefix = prefix
        self.location = location
        self.replica = replica
        self.jobs_key = f"{prefix}jobs"
        self.processes_key = f"{prefix}processes"
        self.more_key = f"{prefix}processes:more"
        self.paused_key = f"{prefix}paused"
        self.windows_key = f"{prefix}windows"
        self.first_beats_key = f"{prefix}spans:first"
        self.last_beats_key = f"{prefix}spans:last"
        self.stopped_key = f"{prefix}spans:stopped"
        self._adopt = connection.register_script(ADOPT)

    def history_key(self, job_id: str) -> str:
        return f"{self.prefix}history:{job_id}"

    # -- jobs ----------------------------------------------------------------------------

    def load(self) -> dict[str, JobState]:
        """Every job's state. A Redis that does not answer is a `StateUnreachable` naming it:
        at start it stops the scheduler with one line (nothing can be proved owned without
        it, and a service manager restarts it); a leader taking over retries."""
        try:
            rows = self.connection.hgetall(self.jobs_key)
        except redis.RedisError as error:
            raise unreadable(error, self.location) from None
        return {_text(job_id): _job(value) for job_id, value in rows.items()}

    def adopt(self, proposals: Iterable[JobState]) -> dict[str, JobState]:
        proposals = list(proposals)
        stored: dict[str, JobState] = {}
        for start in range(0, len(proposals), CHUNK):
            chunk = proposals[start : start + CHUNK]
            args: list[str] = []
            for proposal in chunk:
                args += [proposal.job_id, proposal.fingerprint, _dump(proposal, _JOB_TIMES)]
            values = self._adopt(keys=[self.jobs_key], args=args)
            stored.update({p.job_id: _job(v) for p, v in zip(chunk, values, strict=True)})
        return stored

    def record(self, records: Iterable[RunRecord]) -> None:
        records = list(records)
        if not records:
            return
        job_ids = list(dict.fromkeys(record.job_id for record in records))
        for _ in range(WATCH_ATTEMPTS):
            with self.connection.pipeline() as pipe:
                try:
                    pipe.watch(self.jobs_key)
                    self._write(pipe, job_ids, records)
                    return
                except redis.WatchError:
                    continue  # another replica adopted a job meanwhile: read again
        raise redis.WatchError(f"{self.jobs_key} kept changing ({WATCH_ATTEMPTS} tries)")

    def _write(self, pipe: Any, job_ids: list[str], records: list[RunRecord]) -> None:
        current = dict(zip(job_ids, pipe.hmget(self.jobs_key, job_ids), strict=True))
        states = {job_id: _job(value) for job_id, value in current.items() if value is not None}
        for record in records:
            if record.job_id in states:
                states[record.job_id].apply(record)
        pipe.multi()
        if states:
            pipe.hset(
                self.jobs_key,
                mapping={job_id: _dump(state, _JOB_TIMES) for job_id, state in states.items()},
            )
        for record in records:
            key = self.history_key(record.job_id)
            pipe.lpush(key, _dump(self._entry(record), _ENTRY_TIMES))
            pipe.ltrim(key, 0, HISTORY_CAP - 1)
        pipe.execute()

    def _entry(self, record: RunRecord) -> HistoryEntry:
        entry = HistoryEntry.of(record)
        if entry.outcome != MISSED:  # nobody handled a missed one: it names no replica
            entry.replica = entry.replica or self.replica or None
        return entry

    # -- history and pauses ----------------------------------------------------------------

    def history(
        self,
        job_id: str,
        limit: int = 50,
        before: dt.datetime | None = None,
        after: dt.datetime | None = None,
    ) -> list[HistoryEntry]:
        """A job's stored history rows, newest first: `after <= scheduled_at < before`.

        The list is in the order rows were written, which is not always the order of
        their occurrences (a background run may end after a later one's): sorted here, by
        the stored text of `scheduled_at` (UTC ISO-8601, which sorts as the instants do),
        so that only the rows returned are parsed (a job keeps up to a thousand)."""
        high = None if before is None else _utc_text(before)
        low = None if after is None else _utc_text(after)
        values = self.connection.lrange(self.history_key(job_id), 0, -1)
        rows = [
            (scheduled, value)
            for scheduled, value in ((_scheduled_text(value), value) for value in values)
            if (high is None or scheduled < high) and (low is None or scheduled >= low)
        ]
        rows.sort(key=itemgetter(0), reverse=True)
        return [_entry(value) for _, value in rows[:limit]]

    def set_paused(self, job_id: str, paused: bool, now: dt.datetime) -> None:
        if paused:
            self.connection.hsetnx(self.paused_key, job_id, now.astimezone(dt.UTC).isoformat())
        else:
            self.connection.hdel(self.paused_key, job_id)

    def paused(self) -> dict[str, dt.datetime]:
        rows = self.connection.hgetall(self.paused_key)
        return {_text(k): dt.datetime.fromisoformat(_text(v)) for k, v in rows.items()}

    def open_windows(self, ends: Mapping[str, dt.datetime]) -> None:
        if ends:
            mapping = {job_id: _utc_text(end) for job_id, end in ends.items()}
            self.connection.hset(self.windows_key, mapping=mapping)

    def windows(self) -> dict[str, dt.datetime]:
        rows = self.connection.hgetall(self.windows_key)
        return {_text(job_id): _time(end) for job_id, end in rows.items()}

    def prune_history(self, older_than: dt.datetime, keep_per_job: int) -> None:
        cutoff = _utc_text(older_than)
        for key in self.connection.scan_iter(match=f"{self.history_key('')}*", count=500):
            self._prune_rows(key, cutoff, keep_per_job)
        ended = [span.process_id for span in self.spans() if span.last_beat < older_than]
        if ended:
            self.connection.hdel(self.first_beats_key, *ended)
            self.connection.hdel(self.last_beats_key, *ended)
            self.connection.hdel(self.stopped_key, *ended)
        closed = [job_id for job_id, end in self.windows().items() if end < older_than]
        if closed:
            self.connection.hdel(self.windows_key, *closed)

    def _prune_rows(self, key: str, cutoff: str, keep_per_job: int) -> None:
        """Keep the job's newest `keep_per_job` rows by occurrence (`scheduled_at`), none
        before `cutoff`, in the order they were written. Rewritten under WATCH: a replica
        that records meanwhile makes it read again, so no new row is lost."""
        for _ in range(WATCH_ATTEMPTS):
            with self.connection.pipeline() as pipe:
                try:
                    pipe.watch(key)
                    values = pipe.lrange(key, 0, -1)
                    kept = _newest_rows(values, cutoff, keep_per_job)
                    if len(kept) == len(values):
                        return
                    pipe.multi()
                    pipe.delete(key)
                    if kept:
                        pipe.rpush(key, *kept)
                    pipe.execute()
                    return
                except redis.WatchError:
                    continue
        # Written to all along: left as it is until the next prune, and the others pruned.

    # -- processes ---------------------------------------------------------------------------

    def heartbeat(self, process: ProcessInfo) -> None:
        beat = process.heartbeat_at.astimezone(dt.UTC).isoformat()
        info = _dump(process, _PROCESS_TIMES, leave_out=_NEWER_FIELDS + _SPAN_FIELDS)
        more = _encode({name: getattr(process, name) for name in _NEWER_FIELDS}, _NEWER_TIMES)
        with self.connection.pipeline() as pipe:
            pipe.hset(self.processes_key, process.process_id, info)
            pipe.hset(self.more_key, process.process_id, more)
            pipe.hsetnx(self.first_beats_key, process.process_id, beat)  # opens the span
            pipe.hset(self.last_beats_key, process.process_id, beat)  # extends it
            if process.says_goodbye:  # and ends it
                # When its stop began ("1": not told, as versions before this one wrote).
                began = process.stopping_since
                pipe.hset(self.stopped_key, process.process_id, _utc_text(began) if began else "1")
            else:
                pipe.hdel(self.stopped_key, process.process_id)
            pipe.execute()

    def processes(self) -> list[ProcessInfo]:
        rows = self.connection.hgetall(self.processes_key)
        newer = self.connection.hgetall(self.more_key)
        processes = []
        for key, value in rows.items():
            data = _load(value, _PROCESS_TIMES)
            if key in newer:  # (an older version's process has none)
                data.update(_load(newer[key], _NEWER_TIMES))
            processes.append(ProcessInfo(**data))
        return processes

    def spans(self, after: dt.datetime | None = None) -> list[HeartbeatSpan]:
        firsts = self.connection.hgetall(self.first_beats_key)
        lasts = self.connection.hgetall(self.last_beats_key)
        stopped = self.connection.hgetall(self.stopped_key)
        spans = [
            HeartbeatSpan(
                _text(key),
                _time(first),
                _time(lasts[key]),
                key in stopped,
                _stop_began(stopped.get(key)),
            )
            for key, first in firsts.items()
            if key in lasts
        ]
        return sorted(
            (span for span in spans if after is None or span.last_beat >= after),
            key=lambda span: span.first_beat,
        )

    def forget(self, process_id: str) -> None:
        with self.connection.pipeline() as pipe:
            pipe.hdel(self.processes_key, process_id)
            pipe.hdel(self.more_key, process_id)
            pipe.execute()

    def close(self) -> None:
        self.connection.close()


def _dump(value: Any, times: tuple[str, ...], leave_out: tuple[str, ...] = ()) -> str:
    data = dataclasses.asdict(value)
    for name in leave_out:
        del data[name]
    return _encode(data, times)


def _encode(data: dict[str, Any], times: tuple[str, ...]) -> str:
    for name in times:
        if data.get(name) is not None:
            data[name] = _utc_text(data[name])
    return json.dumps(data, separators=(",", ":"))


def _utc_text(instant: dt.datetime) -> str:
    return instant.astimezone(dt.UTC).isoformat()


def _scheduled_text(row: bytes | str) -> str:
    """A stored history row's `scheduled_at`, as `_encode` wrote it, without parsing the
    row (`"scheduled_at":"<text>"`)."""
    text = _text(row)
    start = text.find(_SCHEDULED_KEY)
    if start < 0:  # not written by _encode: read it whole
        return str(json.loads(text)["scheduled_at"])
    start += len(_SCHEDULED_KEY)
    return text[start : text.index('"', start)]


_SCHEDULED_KEY = '"scheduled_at":"'


def _newest_rows(values: list[bytes], cutoff: str, keep: int) -> list[bytes]:
    """Of a history list's rows, those whose occurrence is at `cutoff` or after and among
    the `keep` newest, in the list's order (UTC ISO-8601 texts sort as their instants). Of
    rows with the same occurrence, the last written (first in the list) ranks newer, as in
    `history` and the other stores."""
    recent = [(_scheduled_text(value), -index) for index, value in enumerate(values)]
    recent = [(scheduled, rank) for scheduled, rank in recent if scheduled >= cutoff]
    newest = sorted(recent, reverse=True)[: max(keep, 0)]
    return [values[index] for index in sorted(-rank for _, rank in newest)]


def _load(value: bytes | str, times: tuple[str, ...]) -> dict[str, Any]:
    data = json.loads(value)
    for name in times:
        if data.get(name) is not None:
            data[name] = dt.datetime.fromisoformat(data[name])
    return data


def _job(value: bytes | str) -> JobState:
    return JobState(**_load(value, _JOB_TIMES))


def _entry(value: bytes | str) -> HistoryEntry:
    return HistoryEntry(**_load(value, _ENTRY_TIMES))


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _time(value: bytes | str) -> dt.datetime:
    return dt.datetime.fromisoformat(_text(value))


def unreadable(error: BaseException, location: str) -> StateStoreError:
    """`error` of a read of the state at `location`, as its one line: a Redis that is down
    is `StateUnreachable` ("start Redis"), one that answers and refuses is a mistake in the
    settings. The scheduler's start and the operators' commands (after theirs) say the same."""
    if is_down(error):
        return StateUnreachable.of_redis(error, location)
    return _refused(error, location)


def _refused(error: BaseException, location: str) -> StateStoreError:
    """A Redis that answers and refuses (a database it does not have, a user, a password, a
    user without the rights): a mistake in the settings, said in one line."""
    if is_missing_db(error):
        return StateStoreError(
            f"the scheduler state in Redis cannot be read: {location} names a database that "
            "Redis does not have (DB index is out of range; it has as many as its `databases` "
            "setting says, 16 by default: 0 to 15)"
        )
    denied = (
        ": Redis is up and refused the user, password or rights given; check "
        "scheduler.redis_url (the queue's Redis settings when it is not set)"
        if isinstance(error, DENIED_ERRORS)
        else ""
    )
    return StateStoreError(
        f"the scheduler state in Redis cannot be read ({type(error).__name__}: {error}); it "
        f"is at {location}{denied}"
    )


def _stop_began(stopped: bytes | str | None) -> dt.datetime | None:
    """A span's stored stop mark: when its stop began, or None ("1": not told)."""
    text = None if stopped is None else _text(stopped)
    return None if text in (None, "1") else _time(text)
