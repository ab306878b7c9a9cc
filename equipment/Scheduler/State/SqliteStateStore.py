"""State in one SQLite file (`storage/scheduler.sqlite3`), shared by a host's processes.

WAL mode lets readers (`schedule list`, a status page) read while the scheduler writes;
every write is one short transaction, and a busy database makes the loop keep its batch for
the next pass rather than wait. A file that is not a database, or a database of another
application, is moved aside under a timestamped name and the scheduler starts afresh.
"""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
import threading
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

from equipment.Scheduler.RunRecord import RunRecord
from equipment.Scheduler.State.StateStore import (
    HeartbeatSpan,
    HistoryEntry,
    JobState,
    ProcessInfo,
    StateNotOurs,
    StateStore,
    StateStoreError,
)

#: 'EQPT': marks the file as ours, so a foreign database is never written into.
APPLICATION_ID = 0x45515054
SCHEMA_VERSION = 5
#: How long a write waits for another process's transaction before giving up for this pass.
BUSY_TIMEOUT_MS = 200

JOB_COLUMNS = (
    "job_id",
    "fingerprint",
    "anchor",
    "last_scheduled",
    "last_run_id",
    "last_outcome",
    "last_error",
    "last_started",
    "last_finished",
    "last_duration",
    "consecutive_failures",
    "epoch",
)
_TIMES = {"anchor", "last_scheduled", "last_started", "last_finished"}

HISTORY_COLUMNS = (
    "job_id",
    "run_id",
    "scheduled_at",
    "outcome",
    "reason",
    "error",
    "replica",
    "started_at",
    "finished_at",
    "duration",
    "lateness",
    "queue_job_id",
)
_HISTORY_TIMES = {"scheduled_at", "started_at", "finished_at"}
PROCESS_COLUMNS = (
    "host", "pid", "started_at", "heartbeat_at", "process_id",
    "running_job", "running_run_id", "running_since", "leader", "next_beat_by",
    "pid_namespace",
)
#: Older files get the columns they lack; the new tables come from SCHEMA.
MIGRATIONS = (
    "ALTER TABLE processes ADD COLUMN running_job TEXT",  # version 2
    "ALTER TABLE processes ADD COLUMN running_run_id TEXT",
    "ALTER TABLE processes ADD COLUMN running_since TEXT",
    "ALTER TABLE processes ADD COLUMN leader INTEGER NOT NULL DEFAULT 1",
    "ALTER TABLE processes ADD COLUMN next_beat_by TEXT",  # version 3
    "ALTER TABLE processes ADD COLUMN pid_namespace TEXT",
    "ALTER TABLE spans ADD COLUMN stopped INTEGER NOT NULL DEFAULT 0",  # version 4
    "ALTER TABLE spans ADD COLUMN stop_began TEXT",  # version 5
)

SCHEMA = f"""
CREATE TABLE IF NOT EXISTS jobs (
    job_id TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL,
    anchor TEXT NOT NULL,
    last_scheduled TEXT,
    last_run_id TEXT,
    last_outcome TEXT,
    last_error TEXT,
    last_started TEXT,
    last_finished TEXT,
    last_duration REAL,
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    epoch TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS processes (
    process_id TEXT PRIMARY KEY,
    host TEXT NOT NULL,
    pid INTEGER NOT NULL,
    started_at TEXT NOT NULL,
    heartbeat_at TEXT NOT NULL,
    running_job TEXT,
    running_run_id TEXT,
    running_since TEXT,
    leader INTEGER NOT NULL DEFAULT 1,
    next_beat_by TEXT,
    pid_namespace TEXT
);
CREATE TABLE IF NOT EXISTS history (
    id INTEGER PRIMARY KEY,
    job_id TEXT NOT NULL,
    run_id TEXT NOT NULL,
    scheduled_at TEXT NOT NULL,
    outcome TEXT NOT NULL,
    reason TEXT,
    error TEXT,
    replica TEXT,
    started_at TEXT,
    finished_at TEXT,
    duration REAL,
    lateness REAL,
    queue_job_id TEXT
);
CREATE INDEX IF NOT EXISTS history_by_job ON history (job_id, scheduled_at);
CREATE TABLE IF NOT EXISTS paused (
    job_id TEXT PRIMARY KEY,
    since TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS windows (
    job_id TEXT PRIMARY KEY,
    ends TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS spans (
    process_id TEXT PRIMARY KEY,
    first_beat TEXT NOT NULL,
    last_beat TEXT NOT NULL,
    stopped INTEGER NOT NULL DEFAULT 0,
    stop_began TEXT
);
PRAGMA application_id = {APPLICATION_ID};
PRAGMA user_version = {SCHEMA_VERSION};
"""

#: The tables and indexes SCHEMA makes.
_SCHEMA_NAMES = frozenset(re.findall(r"CREATE (?:TABLE|INDEX) IF NOT EXISTS (\w+)", SCHEMA))

Warn = Callable[[str], None]


class SqliteStateStore(StateStore):
    def __init__(
        self,
        path: str | Path,
        warn: Warn | None = None,
        now: dt.datetime | None = None,
        repair: bool = True,
        create: bool = True,
    ):
        """For an operator's command, `repair=False`: a file that is not a store is
        reported, not moved aside; and for one that only reads, `create=False`: where no
        file is, the store is an empty one in memory, and nothing is made on disk."""
        self.path = Path(path)
        self.location = str(self.path)
        self._warn = warn or (lambda message: None)
        self._lock = threading.Lock()
        if self.path.is_dir():  # SQLite says only "unable to open database file"
            raise StateNotOurs(
                f"scheduler state: {self.path} is a folder; scheduler.state_path must name the "
                f"state file (such as {self.path / 'scheduler.sqlite3'})"
            )
        if repair:
            self._db = self._open(now or dt.datetime.now(dt.UTC))
        elif create or self.path.is_file():
            self._db = self._as_is(create)
        else:
            self.location = f"{self.path} (no such file: no scheduler has run with it)"
            self._db = self._in_memory()

    # -- opening ---------------------------------------------------------------------------

    def _as_is(self, create: bool) -> sqlite3.Connection:
        if create:
            self._make_folder()
        try:
            return self._connect()
        except sqlite3.DatabaseError as error:
            if self._is_corrupt(error):
                raise StateNotOurs(
                    f"scheduler state: {self.path} is not a scheduler state database ({error}); "
                    "a scheduler starting on it moves it aside and starts afresh"
                ) from None
            raise self._unusable(error) from None

    def _in_memory(self) -> sqlite3.Connection:
        db = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
        db.executescript(SCHEMA)
        return db

    def _open(self, now: dt.datetime) -> sqlite3.Connection:
        self._make_folder()
        try:
            return self._connect()
        except sqlite3.DatabaseError as error:
            if not self._is_corrupt(error):
                raise self._unusable(error) from None
        aside = self._move_aside(now)
        self._warn(
            f"Scheduler state {self.path} was not a database of ours; moved it to {aside.name} "
            "and started with fresh state"
        )
        try:
            return self._connect()
        except sqlite3.DatabaseError as error:
            raise self._unusable(error) from None

    def _make_folder(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise StateStoreError(
                f"scheduler state: cannot create {self.path.parent}: {error.strerror}"
            ) from None

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(
            self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None,
            check_same_thread=False,
        )
        try:
            if db.execute("PRAGMA application_id").fetchone()[0] not in (0, APPLICATION_ID):
                raise _Foreign("another application's database")
            tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
            if tables and db.execute("PRAGMA application_id").fetchone()[0] != APPLICATION_ID:
                raise _Foreign("a database without our schema")
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            if not _up_to_date(db, tables):
                _migrate(db)
                db.executescript(SCHEMA)
        except BaseException:
            db.close()
            raise
        return db

    def _is_corrupt(self, error: sqlite3.DatabaseError) -> bool:
        if isinstance(error, _Foreign):
            return True
        if isinstance(error, sqlite3.OperationalError):
            return False  # unwritable, locked, disk full: not the file's content
        return True  # "file is not a database", "database disk image is malformed"

    def _unusable(self, error: Exception) -> StateStoreError:
        return StateStoreError(f"scheduler state: cannot use {self.path}: {error}")

    def _move_aside(self, now: dt.datetime) -> Path:
        aside = self.path.with_name(f"{self.path.name}.unreadable-{now:%Y%m%dT%H%M%SZ}")
        for suffix in ("-wal", "-shm"):
            Path(f"{self.path}{suffix}").unlink(missing_ok=True)
        try:
            self.path.rename(aside)
        except OSError as error:
            raise StateStoreError(
                f"scheduler state: {self.path} is unreadable and cannot be moved aside: "
                f"{error.strerror}"
            ) from None
        return aside

    # -- the contract -------------------------------------------------------------------------

    def load(self) -> dict[str, JobState]:
        with self._lock:
            rows = self._db.execute(f"SELECT {', '.join(JOB_COLUMNS)} FROM jobs").fetchall()
        return {row[0]: _job(row) for row in rows}

    def adopt(self, proposals: Iterable[JobState]) -> dict[str, JobState]:
        proposals = list(proposals)
        with self._lock, self._transaction():
            self._db.executemany(
                "INSERT INTO jobs (job_id, fingerprint, anchor) VALUES (?, ?, ?) "
                "ON CONFLICT(job_id) DO UPDATE SET fingerprint = excluded.fingerprint, "
                "anchor = excluded.anchor, last_scheduled = NULL, epoch = '' "
                "WHERE jobs.fingerprint != excluded.fingerprint",
                [(p.job_id, p.fingerprint, _text(p.anchor)) for p in proposals],
            )
            stored = self._db.execute(
                f"SELECT {', '.join(JOB_COLUMNS)} FROM jobs"
            ).fetchall()
        wanted = {p.job_id for p in proposals}
        return {row[0]: _job(row) for row in stored if row[0] in wanted}

    def record(self, records: Iterable[RunRecord]) -> None:
        rows, history = [], []
        for r in records:  # each value converted once, for the job's row and its history
            scheduled, started, finished = (
                _text(r.scheduled_at), _text(r.started_at), _text(r.finished_at)
            )
            error, ran = r.error_line(), r.started_at is not None
            duration = r.duration if ran else None
            off_the_grid = int(r.off_the_grid)
            # The grid's last handled occurrence only moves on (see JobState.apply).
            advances = (off_the_grid, r.epoch, scheduled)
            rows.append((
                *advances, scheduled, r.run_id, r.outcome, error, started, finished, duration,
                r.outcome, *advances, r.epoch, r.job_id,
            ))
            history.append((
                r.job_id, r.run_id, scheduled, r.outcome, r.reason, error, r.replica, started,
                finished, duration, r.lateness if ran else None, r.queue_job_id,
            ))
        if not rows:
            return
        with self._lock, self._transaction():
            self._db.executemany(
                # Off the grid (a manual run, a deadline's row): last_scheduled/epoch stay.
                f"UPDATE jobs SET last_scheduled = CASE WHEN {_ADVANCES} THEN ? "
                "ELSE last_scheduled END, last_run_id = ?, last_outcome = ?, "
                "last_error = ?, last_started = COALESCE(?, last_started), "
                "last_finished = COALESCE(?, last_finished), "
                "last_duration = COALESCE(?, last_duration), "
                "consecutive_failures = CASE ? WHEN 'success' THEN 0 WHEN 'failure' "
                "THEN consecutive_failures + 1 ELSE consecutive_failures END, "
                f"epoch = CASE WHEN {_ADVANCES} THEN ? ELSE epoch END WHERE job_id = ?",
                rows,
            )
            self._db.executemany(
                f"INSERT INTO history ({', '.join(HISTORY_COLUMNS)}) "
                f"VALUES ({', '.join('?' * len(HISTORY_COLUMNS))})",
                history,
            )

    def heartbeat(self, process: ProcessInfo) -> None:
        with self._lock, self._transaction():
            self._db.execute(
                "INSERT INTO processes (process_id, host, pid, started_at, heartbeat_at, "
                "running_job, running_run_id, running_since, leader, next_beat_by, "
                "pid_namespace) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT(process_id) DO UPDATE SET "
                "heartbeat_at = excluded.heartbeat_at, running_job = excluded.running_job, "
                "running_run_id = excluded.running_run_id, "
                "running_since = excluded.running_since, leader = excluded.leader, "
                "next_beat_by = excluded.next_beat_by, pid_namespace = excluded.pid_namespace",
                (
                    process.process_id, process.host, process.pid,
                    _text(process.started_at), _text(process.heartbeat_at),
                    process.running_job, process.running_run_id,
                    _text(process.running_since), int(process.leader),
                    _text(process.next_beat_by), process.pid_namespace,
                ),
            )
            beat, stopped = _text(process.heartbeat_at), process.says_goodbye
            self._db.execute(
                "INSERT INTO spans (process_id, first_beat, last_beat, stopped, stop_began) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT(process_id) DO UPDATE SET "
                "last_beat = MAX(last_beat, excluded.last_beat), stopped = excluded.stopped, "
                "stop_began = excluded.stop_began",
                (
                    process.process_id, beat, beat, int(stopped),
                    _text(process.stopping_since) if stopped else None,
                ),
            )

    def processes(self) -> list[ProcessInfo]:
        with self._lock:
            rows = self._db.execute(
                f"SELECT {', '.join(PROCESS_COLUMNS)} FROM processes"
            ).fetchall()
        return [_process(row) for row in rows]

    def forget(self, process_id: str) -> None:
        with self._lock, self._transaction():
            self._db.execute("DELETE FROM processes WHERE process_id = ?", (process_id,))

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def history(
        self,
        job_id: str,
        limit: int = 50,
        before: dt.datetime | None = None,
        after: dt.datetime | None = None,
    ) -> list[HistoryEntry]:
        where, values = ["job_id = ?"], [job_id]
        if before is not None:
            where.append("scheduled_at < ?")
            values.append(_text(before))
        if after is not None:
            where.append("scheduled_at >= ?")
            values.append(_text(after))
        with self._lock:
            rows = self._db.execute(
                f"SELECT {', '.join(HISTORY_COLUMNS)} FROM history WHERE {' AND '.join(where)} "
                "ORDER BY scheduled_at DESC, id DESC LIMIT ?",
                (*values, max(0, limit)),
            ).fetchall()
        return [_entry(row) for row in rows]

    def set_paused(self, job_id: str, paused: bool, now: dt.datetime) -> None:
        with self._lock, self._transaction():
            if paused:
                self._db.execute(
                    "INSERT OR IGNORE INTO paused (job_id, since) VALUES (?, ?)",
                    (job_id, _text(now)),
                )
            else:
                self._db.execute("DELETE FROM paused WHERE job_id = ?", (job_id,))

    def paused(self) -> dict[str, dt.datetime]:
        with self._lock:
            rows = self._db.execute("SELECT job_id, since FROM paused").fetchall()
        return {job_id: _time(since) for job_id, since in rows}

    def open_windows(self, ends: Mapping[str, dt.datetime]) -> None:
        if not ends:
            return
        with self._lock, self._transaction():
            self._db.executemany(
                "INSERT OR REPLACE INTO windows (job_id, ends) VALUES (?, ?)",
                [(job_id, _text(end)) for job_id, end in ends.items()],
            )

    def windows(self) -> dict[str, dt.datetime]:
        with self._lock:
            rows = self._db.execute("SELECT job_id, ends FROM windows").fetchall()
        return {job_id: _time(end) for job_id, end in rows}

    def prune_history(self, older_than: dt.datetime, keep_per_job: int) -> None:
        cutoff = _text(older_than)
        with self._lock, self._transaction():
            self._db.execute("DELETE FROM history WHERE scheduled_at < ?", (cutoff,))
            self._db.execute(
                "DELETE FROM history WHERE id IN (SELECT id FROM (SELECT id, ROW_NUMBER() "
                "OVER (PARTITION BY job_id ORDER BY scheduled_at DESC, id DESC) AS n "
                "FROM history) WHERE n > ?)",
                (max(0, keep_per_job),),
            )
            self._db.execute("DELETE FROM spans WHERE last_beat < ?", (cutoff,))
            self._db.execute("DELETE FROM windows WHERE ends < ?", (cutoff,))

    def spans(self, after: dt.datetime | None = None) -> list[HeartbeatSpan]:
        with self._lock:
            rows = self._db.execute(
                "SELECT process_id, first_beat, last_beat, stopped, stop_began FROM spans "
                "WHERE last_beat >= ? ORDER BY first_beat",
                (_text(after) if after is not None else "",),
            ).fetchall()
        return [
            HeartbeatSpan(pid, _time(first), _time(last), bool(stopped), _time(began))
            for pid, first, last, stopped, began in rows
        ]

    def db_mode(self) -> str:
        """The journal mode in use ('wal' once opened by us)."""
        with self._lock:
            return str(self._db.execute("PRAGMA journal_mode").fetchone()[0])

    def _transaction(self) -> _Transaction:
        return _Transaction(self._db)


class _Foreign(sqlite3.DatabaseError):
    """The file is a database, but not one of ours."""


class _Transaction:
    """BEGIN IMMEDIATE … COMMIT: the write lock is taken at once, held for one batch."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> None:
        self.db.execute("BEGIN IMMEDIATE")

    def __exit__(self, kind: object, error: object, trace: object) -> None:
        if kind is not None:
            self.db.execute("ROLLBACK")
            return
        try:
            self.db.execute("COMMIT")
        except sqlite3.Error:
            self.db.execute("ROLLBACK")  # a failed COMMIT (busy) must not leave it open
            raise


def _text(value: dt.datetime | None) -> str | None:
    return None if value is None else value.astimezone(dt.UTC).isoformat()


def _time(value: str | None) -> dt.datetime | None:
    return None if value is None else dt.datetime.fromisoformat(value)


#: Whether a record moves a job's last handled occurrence on (parameters: off the grid,
#: epoch, scheduled), as `JobState.apply` decides: on the grid, and not back on it.
#: The SET expressions all see the row as it was, and ISO 8601 UTC texts sort as instants.
_ADVANCES = (
    "? = 0 AND (last_scheduled IS NULL OR epoch != ? OR ? >= last_scheduled)"
)


def _up_to_date(db: sqlite3.Connection, names: set[str]) -> bool:
    """Whether the file has every table and index of SCHEMA, at its version or a newer
    one's: then opening it writes nothing, so an operator's command or a status page can
    read it from a read-only volume (its CREATE ... IF NOT EXISTS and PRAGMA lines are
    writes), and a version rolled back to leaves a newer one's file as it is (a newer
    schema only adds to this one: SCHEMA would write this version over the newer's)."""
    version = db.execute("PRAGMA user_version").fetchone()[0]
    return version >= SCHEMA_VERSION and _SCHEMA_NAMES <= names


def _migrate(db: sqlite3.Connection) -> None:
    """Bring a file of an older schema up to date (the new tables come from SCHEMA): in one
    transaction with its version, so a migration cut short, or one that another process
    ran meanwhile, is never half applied; a column already there is not added again."""
    if not 0 < db.execute("PRAGMA user_version").fetchone()[0] < SCHEMA_VERSION:
        return
    with _Transaction(db):
        if db.execute("PRAGMA user_version").fetchone()[0] >= SCHEMA_VERSION:
            return  # another process migrated it while we waited for the lock
        for statement in MIGRATIONS:
            _, _, table, _, _, column, *_ = statement.split()  # ALTER TABLE t ADD COLUMN c
            columns = {row[1] for row in db.execute(f"PRAGMA table_info({table})")}
            if columns and column not in columns:  # a table not there yet comes from SCHEMA
                db.execute(statement)
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


def _entry(row: tuple) -> HistoryEntry:
    values = {
        column: (_time(value) if column in _HISTORY_TIMES else value)
        for column, value in zip(HISTORY_COLUMNS, row, strict=True)
    }
    return HistoryEntry(**values)


def _process(row: tuple) -> ProcessInfo:
    host, pid, started, beat, process_id, job, run_id, since, leader, promise, space = row
    return ProcessInfo(
        host, pid, _time(started), _time(beat), process_id,
        running_job=job, running_run_id=run_id, running_since=_time(since),
        leader=bool(leader), next_beat_by=_time(promise), pid_namespace=space,
    )


def _job(row: tuple) -> JobState:
    values = {
        column: (_time(value) if column in _TIMES else value)
        for column, value in zip(JOB_COLUMNS, row, strict=True)
    }
    return JobState(**values)
