"""SqliteJobStore: the embedded default JobStore, one SQLite file (WAL) shared by threads and processes."""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import weakref
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from omtx_core.domain.job import Job, JobPage, JobQuery, JobStatus, check_transition, utcnow
from omtx_core.errors import JobNotFound, StaleJobError, StoreUnavailable
from omtx_core.store.sqlite_limits import SqliteLimits

SCHEMA_VERSION = 1
BUSY_TIMEOUT_S = 30.0

TIME_FIELDS = ("created_at", "updated_at", "started_at", "finished_at", "lease_expires_at")
JSON_FIELDS = ("input", "options", "engine_call_ids", "error", "result", "artifacts")
# Not a Job field: the case-folded name, so `search` is case-insensitive beyond ASCII and still a plain LIKE.
FOLDED_NAME = "job_name_folded"
COLUMNS = (*Job.model_fields, FOLDED_NAME)

_SCHEMA_V1 = f"""
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    task_type TEXT NOT NULL,
    job_name TEXT NOT NULL,
    input TEXT NOT NULL,
    options TEXT NOT NULL,
    input_hash TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    started_at TEXT,
    finished_at TEXT,
    attempts INTEGER NOT NULL,
    engine TEXT,
    engine_call_ids TEXT NOT NULL,
    progress_done INTEGER NOT NULL,
    progress_total INTEGER NOT NULL,
    error TEXT,
    result TEXT,
    artifacts TEXT NOT NULL,
    parent_id TEXT,
    cache_hit INTEGER NOT NULL,
    results_from TEXT,
    lease_owner TEXT,
    lease_expires_at TEXT,
    {FOLDED_NAME} TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS jobs_newest ON jobs (created_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS jobs_status ON jobs (status, created_at, id);
CREATE INDEX IF NOT EXISTS jobs_task_type ON jobs (task_type, created_at, id);
CREATE INDEX IF NOT EXISTS jobs_owner ON jobs (owner, created_at, id);
CREATE INDEX IF NOT EXISTS jobs_owner_status ON jobs (owner, status);  -- the per-user cap counts active jobs
CREATE INDEX IF NOT EXISTS jobs_input_hash ON jobs (input_hash, status, owner, created_at, id);
CREATE INDEX IF NOT EXISTS jobs_results_from ON jobs (results_from);
"""


def _create_v1(conn: sqlite3.Connection) -> None:
    # Statement by statement: executescript() would COMMIT the surrounding transaction.
    for statement in _SCHEMA_V1.split(";"):
        if statement.strip():
            conn.execute(statement)


# MIGRATIONS[n] takes a database from user_version n to n + 1; append, never edit, to change the schema.
MIGRATIONS: tuple[Callable[[sqlite3.Connection], None], ...] = (_create_v1,)


def format_time(value: datetime) -> str:
    """UTC, fixed width, always with microseconds: text order is time order, and it parses back exactly."""
    if value.tzinfo is None:  # naive datetimes are taken to be UTC, like every time the app writes
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def job_to_row(job: Job) -> dict[str, Any]:
    """The column values of a job."""
    row = job.model_dump(mode="json")
    for field in TIME_FIELDS:
        value = getattr(job, field)
        row[field] = None if value is None else format_time(value)
    for field in JSON_FIELDS:
        row[field] = None if row[field] is None else json.dumps(row[field], separators=(",", ":"))
    row["cache_hit"] = int(job.cache_hit)
    row[FOLDED_NAME] = job.job_name.casefold()
    return row


def row_to_job(row: sqlite3.Row) -> Job:
    """The job stored in a row (validated, so a hand-edited database cannot smuggle in bad values)."""
    data = dict(zip(row.keys(), row, strict=True))
    del data[FOLDED_NAME]
    for field in TIME_FIELDS:
        if data[field] is not None:
            data[field] = datetime.fromisoformat(data[field])
    for field in JSON_FIELDS:
        if data[field] is not None:
            data[field] = json.loads(data[field])
    data["cache_hit"] = bool(data["cache_hit"])
    return Job.model_validate(data)


def database_error(path: Path, exc: sqlite3.DatabaseError) -> StoreUnavailable:
    """What went wrong with the database file, and what to do about it, in plain words (never sqlite3's alone)."""
    code = (getattr(exc, "sqlite_errorcode", None) or 0) & 0xFF  # the primary result code of an extended one
    if code in (sqlite3.SQLITE_NOTADB, sqlite3.SQLITE_CORRUPT):
        return StoreUnavailable(
            f"The job database {path} is damaged ({exc}).",
            f"Move it aside (rename it, e.g. to {path.name}.damaged) and start OMTX-Hub again: it creates a new, "
            "empty database. Keep the old file to recover its jobs with `sqlite3 <file> .recover`.",
        )
    if code == sqlite3.SQLITE_FULL:
        return StoreUnavailable(
            f"The disk holding the job database is full ({path.parent}).",
            f"Free up space in {path.parent}, or set OMTX_DATA_DIR to a folder on a larger disk; then try again.",
        )
    if code in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
        return StoreUnavailable(
            f"The job database {path} is busy ({exc}): another program held it for more than {BUSY_TIMEOUT_S:g} s.",
            "Try again in a moment; if it stays busy, close other programs that use the file.",
        )
    if code in (sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_PERM, sqlite3.SQLITE_READONLY, sqlite3.SQLITE_IOERR):
        return StoreUnavailable(
            f"The job database {path} cannot be opened or written ({exc}).",
            f"Check that {path.parent} exists, is writable by OMTX-Hub and sits on a working disk.",
        )
    return StoreUnavailable(f"The job database {path} could not do this ({exc}).",
                            "Try again; if it keeps happening, report this message.")  # fmt: skip


def _like_pattern(text: str) -> str:
    """A LIKE pattern matching `text` anywhere, with `%`, `_` and `\\` taken literally."""
    escaped = text.casefold().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


class _Connection:
    """Holds one thread's connection; weak-referenceable (sqlite3.Connection is not) so close() can find it."""

    __slots__ = ("conn", "pid", "__weakref__")

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.pid = os.getpid()


class SqliteJobStore(SqliteLimits):
    """Jobs in one SQLite file; each thread gets its own connection, writers serialize on BEGIN IMMEDIATE."""

    name = "sqlite"

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreUnavailable(f"The folder for the job database ({self.path.parent}) cannot be made ({exc}).",
                                   "Check the path and its permissions, or set OMTX_DATA_DIR.") from exc  # fmt: skip
        self._local = threading.local()
        self._open: weakref.WeakSet[_Connection] = weakref.WeakSet()
        self._migrate()

    # -- connections and transactions -------------------------------------------------------------

    def _conn(self) -> sqlite3.Connection:
        held: _Connection | None = getattr(self._local, "held", None)
        if held is None or held.pid != os.getpid():  # a forked child must not share its parent's connection
            held = _Connection(self._connect())
            self._local.held = held
            self._open.add(held)
        return held.conn

    def _connect(self) -> sqlite3.Connection:
        with self._unavailable_on_error():
            # isolation_level=None: we issue BEGIN ourselves, so writes can take the lock up front (IMMEDIATE).
            conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False)
            conn.row_factory = sqlite3.Row
            conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
            conn.execute("PRAGMA journal_mode = WAL")
            # With WAL, NORMAL never corrupts the file; a power cut may only lose the last commits.
            conn.execute("PRAGMA synchronous = NORMAL")
            return conn

    @contextmanager
    def _unavailable_on_error(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.DatabaseError as exc:  # locked past busy_timeout, disk full, a damaged or unreadable file
            if isinstance(exc, (sqlite3.IntegrityError, sqlite3.ProgrammingError)):  # our bugs, not the file's
                raise
            raise database_error(self.path, exc) from exc

    @contextmanager
    def _transaction(self, mode: str) -> Iterator[sqlite3.Connection]:
        """IMMEDIATE takes the write lock at BEGIN, so read-modify-write never fails on lock upgrade."""
        conn = self._conn()
        with self._unavailable_on_error():
            conn.execute(f"BEGIN {mode}")
            try:
                yield conn
            except BaseException:
                if conn.in_transaction:  # SQLite may already have rolled back (disk full, I/O error)
                    conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def _write(self) -> AbstractContextManager[sqlite3.Connection]:
        return self._transaction("IMMEDIATE")

    def _read(self) -> AbstractContextManager[sqlite3.Connection]:
        return self._transaction("DEFERRED")  # one snapshot, so a page and its total agree

    def _migrate(self) -> None:
        with self._write() as conn:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise StoreUnavailable(
                    f"The job database {self.path} has schema version {version}; this OMTX-Hub knows {SCHEMA_VERSION}.",
                    "Upgrade OMTX-Hub, or point it at another database file.",
                )
            for step in MIGRATIONS[version:]:
                step(conn)
            if version < SCHEMA_VERSION:
                conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def close(self) -> None:
        """Close every connection this store opened (call when no thread is using it any more)."""
        for held in list(self._open):
            held.conn.close()
        self._open.clear()
        self._local = threading.local()

    # -- rows ------------------------------------------------------------------------------------

    @staticmethod
    def _select(conn: sqlite3.Connection, job_id: str) -> Job | None:
        row = conn.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
        return None if row is None else row_to_job(row)

    @staticmethod
    def _save(conn: sqlite3.Connection, job: Job) -> Job:
        row = job_to_row(job)
        assignments = ", ".join(f"{column} = :{column}" for column in COLUMNS if column != "id")
        conn.execute(f"UPDATE jobs SET {assignments} WHERE id = :id", row)
        return job

    @staticmethod
    def _insert(conn: sqlite3.Connection, rows: Iterable[dict[str, Any]]) -> None:
        names = ", ".join(COLUMNS)
        values = ", ".join("?" * len(COLUMNS))
        ordered = (tuple(row[column] for column in COLUMNS) for row in rows)  # positional binds are faster
        conn.executemany(f"INSERT OR IGNORE INTO jobs ({names}) VALUES ({values})", ordered)

    def _insert_rows(self, rows: Iterable[dict[str, Any]]) -> None:
        """Insert prepared rows (see job_to_row) in one transaction; for bulk loads in tests and benchmarks."""
        with self._write() as conn:
            self._insert(conn, rows)

    # -- JobStore ---------------------------------------------------------------------------------

    def create(self, job: Job) -> Job:
        with self._write() as conn:
            self._insert(conn, [job_to_row(job)])
            stored = self._select(conn, job.id)
        assert stored is not None  # inserted just now, or already there
        return stored

    def get(self, job_id: str) -> Job | None:
        with self._read() as conn:
            return self._select(conn, job_id)

    def list(self, query: JobQuery) -> JobPage:
        where, params = _where(query)
        with self._read() as conn:
            total = conn.execute(f"SELECT count(*) FROM jobs {where}", params).fetchone()[0]
            rows = conn.execute(
                f"SELECT * FROM jobs {where} ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?",
                [*params, query.limit, query.offset],
            ).fetchall()
        return JobPage(jobs=[row_to_job(row) for row in rows], total=total)

    def update(
        self,
        job_id: str,
        changes: dict[str, Any],
        *,
        expect_status: JobStatus | None = None,
        expect_lease_owner: str | None = None,
    ) -> Job:
        if "id" in changes:
            raise ValueError("a job's id cannot be changed")
        with self._write() as conn:
            job = self._select(conn, job_id)
            if job is None:
                raise JobNotFound(f"There is no job {job_id}.", "It may have been deleted.")
            if expect_status is not None and job.status != expect_status:
                raise StaleJobError(f"Job {job_id} is {job.status.value}, not {JobStatus(expect_status).value}.")
            if expect_lease_owner is not None and job.lease_owner != expect_lease_owner:
                raise StaleJobError(f"Job {job_id} is no longer held by {expect_lease_owner}.")
            # Validate the merged record, so a bad value is refused before anything is written.
            new = Job.model_validate(job.model_dump() | changes | {"updated_at": utcnow()})
            check_transition(job.status, new.status)
            return self._save(conn, new)

    def delete(self, job_id: str) -> bool:
        with self._write() as conn:
            return conn.execute("DELETE FROM jobs WHERE id = ?", (job_id,)).rowcount > 0

    def claim_next(self, worker_id: str, lease_seconds: float, *, max_running: int, now: datetime) -> Job | None:
        at = format_time(now)
        with self._write() as conn:
            # A running job without a lease is held by nobody: it neither counts against the cap nor is skipped.
            live = conn.execute(
                "SELECT count(*) FROM jobs WHERE status = 'running' AND lease_expires_at > ?", (at,)
            ).fetchone()[0]
            if live >= max_running:
                return None
            # IN first so the status index narrows to the few unfinished jobs before sorting.
            row = conn.execute(
                "SELECT * FROM jobs WHERE status IN ('pending', 'running') AND (status = 'pending'"
                " OR lease_expires_at IS NULL OR lease_expires_at <= ?) ORDER BY created_at, id LIMIT 1",
                (at,),
            ).fetchone()
            if row is None:
                return None
            job = row_to_job(row)
            check_transition(job.status, JobStatus.RUNNING)
            claimed = Job.model_validate(
                job.model_dump()
                | {
                    "status": JobStatus.RUNNING,
                    "lease_owner": worker_id,
                    "lease_expires_at": now + timedelta(seconds=lease_seconds),
                    "attempts": job.attempts + 1,
                    "started_at": job.started_at or now,
                    "updated_at": utcnow(),
                }
            )
            return self._save(conn, claimed)

    def heartbeat(self, job_id: str, worker_id: str, lease_seconds: float, *, now: datetime) -> Job | None:
        with self._write() as conn:
            job = self._select(conn, job_id)
            if job is None or job.status != JobStatus.RUNNING or job.lease_owner != worker_id:
                return None
            extended = job.model_copy(
                update={"lease_expires_at": now + timedelta(seconds=lease_seconds), "updated_at": utcnow()}
            )
            return self._save(conn, extended)

    def find_completed(self, input_hash: str, owner: str) -> Job | None:
        with self._read() as conn:
            row = conn.execute(
                "SELECT * FROM jobs WHERE input_hash = ? AND status = 'completed' AND cache_hit = 0 AND owner = ?"
                " ORDER BY created_at DESC, id DESC LIMIT 1",
                (input_hash, owner),
            ).fetchone()
        return None if row is None else row_to_job(row)

    def count_results_users(self, job_id: str) -> int:
        with self._read() as conn:
            return conn.execute(
                "SELECT count(*) FROM jobs WHERE results_from = ? AND id != ?", (job_id, job_id)
            ).fetchone()[0]


def _where(query: JobQuery) -> tuple[str, list[Any]]:
    """The WHERE clause (AND of the set filters) and its parameters."""
    clauses: list[str] = []
    params: list[Any] = []
    for column in ("status", "task_type", "owner"):
        value = getattr(query, column)
        if value is not None:
            clauses.append(f"{column} = ?")
            params.append(str(value))
    if query.search:
        clauses.append(f"{FOLDED_NAME} LIKE ? ESCAPE '\\'")
        params.append(_like_pattern(query.search))
    return ("WHERE " + " AND ".join(clauses) if clauses else ""), params
