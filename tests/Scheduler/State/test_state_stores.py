"""The state store contract, held by every backend, and what only SQLite has to survive."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pytest

from equipment.Scheduler.RunRecord import FAILURE, SKIPPED, SUCCESS, RunRecord
from equipment.Scheduler.State.MemoryStateStore import MemoryStateStore
from equipment.Scheduler.State.SqliteStateStore import SqliteStateStore
from equipment.Scheduler.State.StateStore import JobState, ProcessInfo, StateStoreError

UTC = dt.UTC
T0 = dt.datetime(2026, 1, 5, 12, 0, tzinfo=UTC)


@pytest.fixture(params=["memory", "sqlite", "redis"])
def store(request, tmp_path: Path):
    if request.param == "memory":
        yield MemoryStateStore()
    elif request.param == "redis":  # tests/Scheduler/State/test_redis_state_store.py
        yield request.getfixturevalue("redis_store")
    else:
        backend = SqliteStateStore(tmp_path / "storage" / "scheduler.sqlite3")
        yield backend
        backend.close()


def record(job_id: str, minutes: int, outcome: str, error: Exception | None = None) -> RunRecord:
    scheduled = T0 + dt.timedelta(minutes=minutes)
    ran = outcome != SKIPPED
    return RunRecord(
        job_id,
        f"{job_id}@{minutes}",
        scheduled,
        started_at=scheduled if ran else None,
        finished_at=scheduled + dt.timedelta(seconds=2) if ran else None,
        duration=2.0 if ran else 0.0,
        outcome=outcome,
        error=error,
    )


def test_adopt_keeps_the_first_anchor_and_replaces_a_changed_definition(store):
    first = store.adopt([JobState("report", "every hour", T0)])
    again = store.adopt([JobState("report", "every hour", T0 + dt.timedelta(minutes=5))])
    changed = store.adopt([JobState("report", "every day", T0 + dt.timedelta(hours=1))])

    assert first["report"].anchor == again["report"].anchor == T0
    assert changed["report"].anchor == T0 + dt.timedelta(hours=1)
    assert store.load()["report"].fingerprint == "every day"


def test_record_keeps_the_last_outcome_and_counts_failures_in_a_row(store):
    store.adopt([JobState("report", "every hour", T0)])
    store.record([record("report", 1, FAILURE, ValueError("no data\nsecond line"))])
    store.record(
        [record("report", 2, FAILURE, ValueError("no data")), record("report", 3, SKIPPED)]
    )

    state = store.load()["report"]
    assert (state.last_outcome, state.consecutive_failures) == (SKIPPED, 2)
    assert state.last_scheduled == T0 + dt.timedelta(minutes=3)
    assert state.last_started == T0 + dt.timedelta(minutes=2)  # a skip does not start
    store.record([record("report", 4, SUCCESS)])
    state = store.load()["report"]
    assert (state.last_outcome, state.consecutive_failures, state.last_duration) == (
        SUCCESS,
        0,
        2.0,
    )


def test_errors_are_kept_as_their_first_line(store):
    store.adopt([JobState("report", "every hour", T0)])
    store.record([record("report", 1, FAILURE, ValueError("no data\nsecond line"))])

    assert store.load()["report"].last_error == "ValueError: no data"


def test_heartbeats_are_listed_until_forgotten(store):
    process = ProcessInfo("host-a", 4242, T0, T0)
    store.heartbeat(process)
    process.heartbeat_at = T0 + dt.timedelta(seconds=10)
    store.heartbeat(process)

    [listed] = store.processes()
    assert (listed.pid, listed.heartbeat_at) == (4242, T0 + dt.timedelta(seconds=10))
    store.forget(listed.process_id)
    assert store.processes() == []


def test_a_file_that_is_not_a_database_is_moved_aside_and_state_starts_afresh(tmp_path):
    path = tmp_path / "scheduler.sqlite3"
    path.write_bytes(b"this is not a database at all" * 100)
    warnings: list[str] = []

    store = SqliteStateStore(path, warn=warnings.append, now=T0)

    assert store.load() == {}
    [aside] = [p for p in tmp_path.iterdir() if ".unreadable-" in p.name]
    assert aside.name == "scheduler.sqlite3.unreadable-20260105T120000Z"
    assert warnings == [
        f"Scheduler state {path} was not a database of ours; moved it to {aside.name} and "
        "started with fresh state"
    ]


def test_another_applications_database_is_moved_aside_not_written_into(tmp_path):
    path = tmp_path / "scheduler.sqlite3"
    with sqlite3.connect(path) as foreign:
        foreign.execute("CREATE TABLE invoices (id INTEGER)")
    warnings: list[str] = []

    SqliteStateStore(path, warn=warnings.append, now=T0).close()

    assert len(warnings) == 1
    with sqlite3.connect(tmp_path / "scheduler.sqlite3.unreadable-20260105T120000Z") as kept:
        assert kept.execute("SELECT name FROM sqlite_master").fetchall() == [("invoices",)]


def test_a_storage_path_under_a_file_is_one_line_naming_the_path(tmp_path):
    blocker = tmp_path / "storage"
    blocker.write_text("a file where the folder should be")

    with pytest.raises(StateStoreError, match=f"scheduler state: cannot create {blocker}"):
        SqliteStateStore(blocker / "scheduler.sqlite3")


def test_two_processes_share_one_file(tmp_path):
    path = tmp_path / "scheduler.sqlite3"
    one, two = SqliteStateStore(path), SqliteStateStore(path)
    one.adopt([JobState("a", "every hour", T0)])
    two.adopt([JobState("b", "every hour", T0)])
    one.record([record("b", 1, SUCCESS)])

    assert set(two.load()) == {"a", "b"}
    assert two.load()["b"].last_outcome == SUCCESS
    assert one.db_mode() == "wal"


def test_a_redis_store_that_does_not_answer_is_one_clear_error_naming_it():
    import pytest
    import redis

    from equipment.Scheduler.State.RedisStateStore import RedisStateStore
    from equipment.Scheduler.State.StateStore import StateStoreError

    client = redis.Redis(port=1, socket_connect_timeout=0.5)  # nothing listens there
    store = RedisStateStore(client, "nowhere:", "redis redis://127.0.0.1:1/0 (nowhere:*)")

    with pytest.raises(StateStoreError, match=r"state in Redis cannot be read \(ConnectionError: "
                       r".*at redis redis://127.0.0.1:1/0 .*start Redis, or run with coordination"):
        store.load()


def test_a_server_that_is_not_redis_is_the_same_clear_error_as_one_that_is_down(http_port):
    import pytest
    import redis

    from equipment.Scheduler.State.RedisStateStore import RedisStateStore
    from equipment.Scheduler.State.StateStore import StateUnreachable

    client = redis.Redis(port=http_port, socket_connect_timeout=0.5, socket_timeout=0.5)
    where = f"redis redis://127.0.0.1:{http_port}/0 (x:*)"
    store = RedisStateStore(client, "x:", where)

    with pytest.raises(StateUnreachable, match=r"cannot be read \(InvalidResponse: .*it is at "
                       r"redis redis://127.0.0.1:\d+/0 .*start Redis, or run with coordination"):
        store.load()


def test_a_database_redis_does_not_have_is_one_clear_error_naming_where():
    import pytest
    import redis

    from equipment.Scheduler.State.RedisStateStore import RedisStateStore
    from equipment.Scheduler.State.StateStore import StateStoreError, StateUnreachable

    client = redis.Redis.from_url("redis://127.0.0.1:6379/99999")
    store = RedisStateStore(client, "x:", "redis redis://127.0.0.1:6379/99999 (x:*)")

    with pytest.raises(StateStoreError) as caught:
        store.load()

    assert not isinstance(caught.value, StateUnreachable)  # Redis answered: a setting
    assert str(caught.value) == (
        "the scheduler state in Redis cannot be read: redis redis://127.0.0.1:6379/99999 "
        "(x:*) names a database that Redis does not have (DB index is out of range; it has "
        "as many as its `databases` setting says, 16 by default: 0 to 15)"
    )


def test_a_wrong_user_or_password_is_a_refusal_not_an_outage():
    import pytest
    import redis

    from equipment.Scheduler.State.RedisStateStore import RedisStateStore
    from equipment.Scheduler.State.StateStore import StateStoreError, StateUnreachable

    client = redis.Redis.from_url("redis://nouser:wrong@127.0.0.1:6379/15")
    store = RedisStateStore(client, "x:", "redis redis://***@127.0.0.1:6379/15 (x:*)")

    with pytest.raises(StateStoreError) as caught:
        store.load()

    assert not isinstance(caught.value, StateUnreachable)  # not "start Redis"
    assert str(caught.value).startswith(
        "the scheduler state in Redis cannot be read (AuthenticationError: "
    )
    assert str(caught.value).endswith(
        "it is at redis redis://***@127.0.0.1:6379/15 (x:*): Redis is up and refused the "
        "user, password or rights given; check scheduler.redis_url (the queue's Redis settings "
        "when it is not set)"
    )


def test_a_protocol_error_reply_counts_as_an_outage_and_a_refusal_does_not():
    import redis

    from equipment.Queue.RedisConnection import is_outage

    assert is_outage(redis.exceptions.ResponseError("Protocol error: invalid multibulk length"))
    assert is_outage(redis.exceptions.InvalidResponse('Protocol error, got "<" as reply type'))
    assert not is_outage(redis.exceptions.ResponseError("READONLY You can't write"))


def test_a_new_definition_starts_its_grid_after_the_records_of_the_old_one(store):
    store.adopt([JobState("report", "every hour", T0)])
    store.record([record("report", 1, FAILURE), record("report", 2, SUCCESS)])
    store.adopt([JobState("report", "every day", T0 + dt.timedelta(hours=1))])

    state = store.load()["report"]
    assert (state.fingerprint, state.last_scheduled) == ("every day", None)



def test_the_last_handled_occurrence_never_moves_back_on_the_same_grid(store):
    """A background run that finishes after a later one, or rows a takeover stored while an
    earlier run was still going: the grid goes on from the latest occurrence handled."""
    store.adopt([JobState("report", "every minute", T0)])
    store.record([record("report", 5, SUCCESS)])
    store.record([record("report", 3, FAILURE)])  # finished later, scheduled earlier

    state = store.load()["report"]
    assert state.last_scheduled == T0 + dt.timedelta(minutes=5)
    assert (state.last_run_id, state.last_outcome) == ("report@3", FAILURE)
    stepped = record("report", 1, SUCCESS)
    stepped.epoch = "back-1"  # a new grid after the clock stepped back: it may start earlier
    store.record([stepped])
    assert store.load()["report"].last_scheduled == T0 + dt.timedelta(minutes=1)
