"""The state store's operations contract: history rows, pauses, heartbeat spans, retention;
the same tests for every backend, and the SQLite migration of a version-1 file."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from equipment.Scheduler.RunRecord import FAILURE, SKIPPED, SUCCESS, RunRecord, run_id_for
from equipment.Scheduler.State.MemoryStateStore import MemoryStateStore
from equipment.Scheduler.State.SqliteStateStore import SqliteStateStore
from equipment.Scheduler.State.StateStore import JobState, ProcessInfo, StateStore
from tests.Scheduler.replicas.redis_fixtures import redis_client

UTC = dt.UTC
T0 = dt.datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(params=["memory", "sqlite", "redis"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StateStore]:
    backend: StateStore
    if request.param == "redis":  # a fresh key prefix on the real Redis (conftest.py)
        yield request.getfixturevalue("redis_store")
        return
    if request.param == "memory":
        backend = MemoryStateStore()
    else:
        backend = SqliteStateStore(tmp_path / "state.sqlite3")
    yield backend
    backend.close()


def record(job_id: str, minutes: int, outcome: str = SUCCESS, **fields: object) -> RunRecord:
    scheduled = T0 + dt.timedelta(minutes=minutes)
    started = None if outcome == SKIPPED else scheduled + dt.timedelta(seconds=2)
    return RunRecord(
        job_id,
        run_id_for(job_id, scheduled),
        scheduled,
        started_at=started,
        finished_at=started + dt.timedelta(seconds=1) if started else None,
        duration=1.0 if started else 0.0,
        outcome=outcome,
        **fields,  # type: ignore[arg-type]
    )


def test_record_appends_one_history_row_per_record_newest_first(store: StateStore) -> None:
    store.adopt([JobState("a", "fp", T0)])
    store.record([record("a", 0), record("a", 1, FAILURE, error=ValueError("bad\nmore"))])
    store.record([record("a", 2, SKIPPED, reason="paused"), record("b", 0)])

    rows = store.history("a")

    assert [row.scheduled_at for row in rows] == [T0 + dt.timedelta(minutes=m) for m in (2, 1, 0)]
    assert rows[1].outcome == FAILURE and rows[1].error == "ValueError: bad"
    assert rows[0].outcome == SKIPPED and rows[0].reason == "paused" and rows[0].duration is None
    assert rows[2].lateness == 2.0 and rows[2].duration == 1.0
    assert [row.job_id for row in store.history("b")] == ["b"]


def test_history_keeps_replica_and_queue_job_id(store: StateStore) -> None:
    store.record([record("a", 0, replica="host:1:x", queue_job_id="rq-123")])

    (row,) = store.history("a")

    assert (row.replica, row.queue_job_id) == ("host:1:x", "rq-123")


def test_history_windows_and_limit(store: StateStore) -> None:
    store.record([record("a", minute) for minute in range(10)])

    window = store.history(
        "a", limit=3, before=T0 + dt.timedelta(minutes=8), after=T0 + dt.timedelta(minutes=2)
    )

    assert [row.scheduled_at.minute for row in window] == [7, 6, 5]
    assert store.history("unknown") == []


def test_history_is_newest_scheduled_first_whatever_order_the_rows_were_written(
    store: StateStore,
) -> None:
    # A background run finishing after a later occurrence's run: its row is written last.
    store.record([record("a", 0), record("a", 2)])
    store.record([record("a", 1)])

    assert [row.scheduled_at.minute for row in store.history("a")] == [2, 1, 0]
    assert [row.scheduled_at.minute for row in store.history("a", limit=1)] == [2]


def test_pause_and_resume(store: StateStore) -> None:
    store.set_paused("a", True, T0)
    store.set_paused("a", True, T0 + dt.timedelta(hours=1))  # pausing again keeps "since"

    assert store.paused() == {"a": T0}
    store.set_paused("a", False, T0)
    assert store.paused() == {}


def test_a_window_stored_again_replaces_the_earlier_schedulers(store: StateStore) -> None:
    assert store.windows() == {}
    store.open_windows({"a": T0, "b": T0 + dt.timedelta(hours=1)})
    store.open_windows({"a": T0 + dt.timedelta(hours=5)})  # a later start's window
    store.open_windows({})

    assert store.windows() == {"a": T0 + dt.timedelta(hours=5), "b": T0 + dt.timedelta(hours=1)}


def test_a_version_4_file_gets_the_windows_table(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite3"
    SqliteStateStore(path).close()
    with sqlite3.connect(path) as db:
        db.execute("DROP TABLE windows")
    store = SqliteStateStore(path)

    store.open_windows({"a": T0})

    assert store.windows() == {"a": T0}
    store.close()


def test_heartbeats_open_and_extend_a_span_that_outlives_the_process(store: StateStore) -> None:
    process = ProcessInfo("host", 1, T0, T0)
    store.heartbeat(process)
    process.heartbeat_at = T0 + dt.timedelta(minutes=5)
    store.heartbeat(process)
    store.forget(process.process_id)

    (span,) = store.spans()

    assert (span.first_beat, span.last_beat) == (T0, T0 + dt.timedelta(minutes=5))
    assert store.spans(after=T0 + dt.timedelta(minutes=6)) == []


def test_a_span_ends_at_a_goodbye_and_opens_again_with_a_later_beat(store: StateStore) -> None:
    process = ProcessInfo("host", 1, T0, T0, next_beat_by=T0 + dt.timedelta(seconds=20))
    store.heartbeat(process)
    running = store.spans()
    process.heartbeat_at = process.next_beat_by = T0 + dt.timedelta(seconds=5)  # leave()
    store.heartbeat(process)
    stopped = store.spans()
    process.heartbeat_at, process.next_beat_by = T0 + dt.timedelta(seconds=6), None
    store.heartbeat(process)

    assert [span.stopped for span in running + stopped + store.spans()] == [False, True, False]


def reopened_as_of_an_older_version(tmp_path: Path, script: str) -> SqliteStateStore:
    """A state file of ours turned back into an older version's by `script`, opened again
    (and so migrated)."""
    path = tmp_path / "state.sqlite3"
    SqliteStateStore(path).close()
    db = sqlite3.connect(path)
    db.executescript(script)
    db.close()
    return SqliteStateStore(path)


def test_a_version_3_file_gets_the_spans_stopped_column(tmp_path: Path) -> None:
    store = reopened_as_of_an_older_version(
        tmp_path,
        """
        ALTER TABLE spans DROP COLUMN stop_began;
        ALTER TABLE spans DROP COLUMN stopped;
        INSERT INTO spans VALUES ('p', '2026-03-01T12:00:00+00:00', '2026-03-01T12:05:00+00:00');
        PRAGMA user_version = 3;
        """,
    )

    assert [(span.process_id, span.stopped) for span in store.spans()] == [("p", False)]
    store.close()


def test_a_version_4_file_gets_the_spans_stop_began_column(tmp_path: Path) -> None:
    store = reopened_as_of_an_older_version(
        tmp_path,
        """
        ALTER TABLE spans DROP COLUMN stop_began;
        INSERT INTO spans VALUES ('p', '2026-03-01T12:00:00+00:00', '2026-03-01T12:05:00+00:00', 1);
        PRAGMA user_version = 4;
        """,
    )

    assert [(span.stopped, span.stop_began) for span in store.spans()] == [(True, None)]
    store.close()


def test_a_goodbye_keeps_when_the_stop_began_with_the_span(store: StateStore) -> None:
    began = T0 + dt.timedelta(seconds=3)
    store.heartbeat(ProcessInfo("host", 1, T0, T0))
    assert [span.stop_began for span in store.spans()] == [None]
    bye = T0 + dt.timedelta(seconds=9)
    store.heartbeat(ProcessInfo("host", 1, T0, bye, next_beat_by=bye, stopping_since=began))

    [span] = store.spans()

    assert (span.stopped, span.stop_began, span.last_beat) == (True, began, bye)
    assert [process.stopping_since for process in store.processes()] == [None]


def test_heartbeat_carries_the_running_job_and_leadership(store: StateStore) -> None:
    process = ProcessInfo("host", 1, T0, T0, running_job="a", running_run_id="a@x",
                          running_since=T0, leader=False)
    store.heartbeat(process)

    (stored,) = store.processes()

    assert (stored.running_job, stored.running_since, stored.leader) == ("a", T0, False)


def test_heartbeat_keeps_the_next_one_it_promised_until_forgotten(store: StateStore) -> None:
    promise = T0 + dt.timedelta(hours=1)
    store.heartbeat(ProcessInfo("host", 1, T0, T0, next_beat_by=promise, pid_namespace="ns"))
    store.heartbeat(ProcessInfo("host", 2, T0, T0))  # no promise (an older version's)

    promised = {p.pid: (p.next_beat_by, p.pid_namespace) for p in store.processes()}
    store.forget(ProcessInfo("host", 1, T0, T0).process_id)

    assert promised == {1: (promise, "ns"), 2: (None, None)}
    assert [process.pid for process in store.processes()] == [2]


def test_an_older_version_can_read_the_processes_redis_keeps(redis_store) -> None:
    # Replicas of two versions share Redis during a rolling deploy: the JSON of a process
    # keeps the fields the older ProcessInfo knows; the promise lives in a hash of its own.
    import json

    redis_store.heartbeat(ProcessInfo("host", 1, T0, T0, next_beat_by=T0))
    (raw,) = redis_store.connection.hgetall(redis_store.processes_key).values()

    assert not {"next_beat_by", "pid_namespace"} & set(json.loads(raw))


def test_prune_drops_old_rows_and_keeps_the_newest_per_job(store: StateStore) -> None:
    store.record([record("a", minute) for minute in range(10)] + [record("b", 0)])
    old = ProcessInfo("host", 1, T0, T0)
    store.heartbeat(old)

    store.prune_history(T0 + dt.timedelta(minutes=1), keep_per_job=3)

    assert [row.scheduled_at.minute for row in store.history("a")] == [9, 8, 7]
    assert store.history("b") == []
    assert store.spans() == []


def test_prune_keeps_rows_by_their_occurrence_not_by_when_they_were_written(
    store: StateStore,
) -> None:
    # A background run that ends after later ones writes its row last: written order is
    # 5, 7, 8, 2, 9 (newest written last), occurrence order is 9, 8, 7, 5, 2.
    for minute in (5, 7, 8, 2, 9):
        store.record([record("a", minute)])

    store.prune_history(T0 + dt.timedelta(minutes=3), keep_per_job=3)

    assert [row.scheduled_at.minute for row in store.history("a")] == [9, 8, 7]
    store.prune_history(T0 + dt.timedelta(minutes=8), keep_per_job=3)
    assert [row.scheduled_at.minute for row in store.history("a")] == [9, 8]


def test_prune_keeps_the_last_written_of_rows_with_the_same_occurrence(
    store: StateStore,
) -> None:
    # The same occurrence recorded twice (a new epoch after the clock stepped back): the
    # row written last is the one `history` shows first, and the one a prune keeps.
    store.record([record("a", 5, FAILURE)])
    store.record([record("a", 5, SUCCESS, epoch="e1")])
    assert [row.outcome for row in store.history("a", limit=1)] == [SUCCESS]

    store.prune_history(T0, keep_per_job=1)

    assert [row.outcome for row in store.history("a")] == [SUCCESS]


def test_a_history_written_to_all_through_a_prune_is_left_and_the_rest_pruned(
    redis_store, monkeypatch
) -> None:
    """Its rewrite lost every WATCH race: the prune raised, and pruned nothing after it."""
    from equipment.Scheduler.State import RedisStateStore as module

    redis_store.record([record("busy", minute) for minute in range(3)])
    redis_store.record([record("calm", minute) for minute in range(3)])
    redis_store.open_windows({"closed": T0})
    busy_key, writer = redis_store.history_key("busy"), redis_client()
    choose = module._newest_rows

    def chosen_while_a_replica_records(values, cutoff, keep):
        writer.lpush(busy_key, values[0])  # (the WATCHed key changes: the rewrite fails)
        return choose(values, cutoff, keep)

    monkeypatch.setattr(module, "_newest_rows", chosen_while_a_replica_records)
    redis_store.prune_history(T0 + dt.timedelta(minutes=1), keep_per_job=3)

    assert [row.scheduled_at.minute for row in redis_store.history("calm")] == [2, 1]
    assert redis_store.windows() == {}
    assert len(redis_store.history("busy", limit=100)) > 3  # left for the next prune


def test_prune_drops_the_windows_that_closed_before_the_cutoff(store: StateStore) -> None:
    later = T0 + dt.timedelta(hours=2)
    store.open_windows({"closed": T0, "open": later})

    store.prune_history(T0 + dt.timedelta(hours=1), keep_per_job=3)

    assert store.windows() == {"open": later}


def test_a_version_1_file_is_migrated(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite3"
    db = sqlite3.connect(path)
    db.executescript(
        """
        CREATE TABLE jobs (job_id TEXT PRIMARY KEY, fingerprint TEXT NOT NULL,
            anchor TEXT NOT NULL, last_scheduled TEXT, last_run_id TEXT, last_outcome TEXT,
            last_error TEXT, last_started TEXT, last_finished TEXT, last_duration REAL,
            consecutive_failures INTEGER NOT NULL DEFAULT 0, epoch TEXT NOT NULL DEFAULT '');
        CREATE TABLE processes (process_id TEXT PRIMARY KEY, host TEXT NOT NULL,
            pid INTEGER NOT NULL, started_at TEXT NOT NULL, heartbeat_at TEXT NOT NULL);
        INSERT INTO processes VALUES ('p', 'h', 1, '2026-03-01T12:00:00+00:00',
            '2026-03-01T12:00:00+00:00');
        PRAGMA application_id = 1162956884;
        PRAGMA user_version = 1;
        """
    )
    db.close()

    store = SqliteStateStore(path)
    store.record([record("a", 0)])

    assert [p.process_id for p in store.processes()] == ["p"]
    assert store.processes()[0].leader is True
    assert store.processes()[0].next_beat_by is None  # no promise: late from its beat
    assert len(store.history("a")) == 1
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == 5
    store.close()


def test_a_file_of_a_newer_version_keeps_its_version(tmp_path: Path) -> None:
    """A rollback: the older version opens the file a newer one wrote (its schema only adds
    to ours), and used to write its own version over the newer's, which then migrated it
    again. Now it reads and writes the file as it is, and leaves its version alone."""
    path = tmp_path / "state.sqlite3"
    SqliteStateStore(path).close()
    db = sqlite3.connect(path)
    db.execute("ALTER TABLE jobs ADD COLUMN later TEXT")  # what the newer version added
    db.execute("PRAGMA user_version = 99")
    db.commit()
    db.close()

    store = SqliteStateStore(path)
    store.adopt([JobState("a", "fp", T0)])
    store.record([record("a", 0)])

    assert store.load()["a"].last_scheduled == T0
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == 99
    store.close()


def test_a_migration_cut_short_is_finished_not_refused(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite3"
    SqliteStateStore(path).close()
    db = sqlite3.connect(path)
    db.execute("PRAGMA user_version = 1")  # as if the upgrade to 2 had stopped half-way:
    db.commit()  # the first column is there, the version still says 1
    db.close()

    SqliteStateStore(path).close()

    db = sqlite3.connect(path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == 5
    assert [row[1] for row in db.execute("PRAGMA table_info(spans)")].count("stopped") == 1
    columns = [row[1] for row in db.execute("PRAGMA table_info(processes)")]
    assert columns.count("running_job") == 1 and "leader" in columns
    assert columns.count("next_beat_by") == 1


def test_redis_history_sorts_rows_of_any_writer_by_their_instant(redis_store) -> None:
    """Rows are sorted by the text of `scheduled_at` without parsing each one; a row not
    written in our compact form (another writer's spacing) is read whole, and instants
    with microseconds sort among whole seconds."""
    import json

    store = redis_store
    store.record([record("a", 0), record("a", 2)])
    odd_at = T0 + dt.timedelta(minutes=1, microseconds=5)
    newest = json.loads(store.connection.lindex(store.history_key("a"), 0))
    odd = {**newest, "run_id": "a@odd", "scheduled_at": odd_at.isoformat()}
    store.connection.rpush(store.history_key("a"), json.dumps(odd, separators=(", ", ": ")))

    rows = store.history("a", before=T0 + dt.timedelta(minutes=2))

    assert [row.run_id for row in rows] == ["a@odd", run_id_for("a", T0)]
    assert rows[0].scheduled_at == odd_at
