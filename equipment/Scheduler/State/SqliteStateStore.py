"""State in one SQLite file (`storage/scheduler.sqlite3`), shared by a host's processes.

WAL mode lets readers (`schedule list`, a status page) read while the scheduler writes;
every write is one short transaction, and a busy database makes the loop keep its batch for
the next pass rather than wait. A file that is not a database, or a database of another
application, is moved aside under a timestamped name and the scheduler starts afresh.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading
from collections.abc import Callable, Iterable
from pathlib import Path

from equipment.Scheduler.RunRecord import RunRecord
from equipment.Scheduler.State.StateStore import (
    JobState,
    ProcessInfo,
    StateStore,
    StateStoreError,
)

#: 'EQPT': marks the file as ours, so a foreign database is never written into.
APPLICATION_ID = 0x45515054
SCHEMA_VERSION = 1
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
    heartbeat_at TEXT NOT NULL
);
PRAGMA application_id = {APPLICATION_ID};
PRAGMA user_version = {SCHEMA_VERSION};
"""

Warn = Callable[[str], None]


class SqliteStateStore(StateStore):
    def __init__(self, path: str | Path, warn: Warn | None = None, now: dt.datetime | None = None):
        self.path = Path(path)
        self.location = str(self.path)
        self._warn = warn or (lambda message: None)
        self._lock = threading.Lock()
        self._db = self._open(now or dt.datetime.now(dt.UTC))

    # -- opening ---------------------------------------------------------------------------

    def _open(self, now: dt.datetime) -> sqlite3.Connection:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise StateStoreError(
                f"scheduler state: cannot create {self.path.parent}: {error.strerror}"
            ) from None
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
        rows = [
            (
                _text(r.scheduled_at), r.run_id, r.outcome, r.error_line(), _text(r.started_at),
                _text(r.finished_at), r.duration if r.started_at else None, r.outcome, r.epoch,
                r.job_id,
            )
            for r in records
        ]
        if not rows:
            return
        with self._lock, self._transaction():
            self._db.executemany(
                "UPDATE jobs SET last_scheduled = ?, last_run_id = ?, last_outcome = ?, "
                "last_error = ?, last_started = COALESCE(?, last_started), "
                "last_finished = COALESCE(?, last_finished), "
                "last_duration = COALESCE(?, last_duration), "
                "consecutive_failures = CASE ? WHEN 'success' THEN 0 WHEN 'failure' "
                "THEN consecutive_failures + 1 ELSE consecutive_failures END, "
                "epoch = ? WHERE job_id = ?",
                rows,
            )

    def heartbeat(self, process: ProcessInfo) -> None:
        with self._lock, self._transaction():
            self._db.execute(
                "INSERT INTO processes (process_id, host, pid, started_at, heartbeat_at) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT(process_id) DO UPDATE SET "
                "heartbeat_at = excluded.heartbeat_at",
                (
                    process.process_id, process.host, process.pid,
                    _text(process.started_at), _text(process.heartbeat_at),
                ),
            )

    def processes(self) -> list[ProcessInfo]:
        with self._lock:
            rows = self._db.execute(
                "SELECT host, pid, started_at, heartbeat_at, process_id FROM processes"
            ).fetchall()
        return [
            ProcessInfo(host, pid, _time(started), _time(beat), process_id)
            for host, pid, started, beat, process_id in rows
        ]

    def forget(self, process_id: str) -> None:
        with self._lock, self._transaction():
            self._db.execute("DELETE FROM processes WHERE process_id = ?", (process_id,))

    def close(self) -> None:
        with self._lock:
            self._db.close()

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
        self.db.execute("COMMIT" if kind is None else "ROLLBACK")


def _text(value: dt.datetime | None) -> str | None:
    return None if value is None else value.astimezone(dt.UTC).isoformat()


def _time(value: str | None) -> dt.datetime | None:
    return None if value is None else dt.datetime.fromisoformat(value)


def _job(row: tuple) -> JobState:
    values = {
        column: (_time(value) if column in _TIMES else value)
        for column, value in zip(JOB_COLUMNS, row, strict=True)
    }
    return JobState(**values)
