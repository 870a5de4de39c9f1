"""Supabase first, SQLite while it is unreachable: writes go to a local outbox and replay in order when it is back.

Nothing is lost (every write lands locally with an outbox entry) and nothing is split (a job with pending outbox
entries is read and written locally until they replay; replay then removes the local copy). During an outage,
lists show the jobs written locally; the app shows a banner while `degraded`.

An entry the primary refuses for good (a value PostgreSQL cannot hold, a policy) is parked, not retried: it moves
to the outbox database's `parked` table with the reason, is logged once, and replay goes on with the rest. A parked
job stays readable and writable locally (its later entries fold into the parked one) until it is deleted;
`parked()` lists them for the app to show.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from omtx_core.domain.job import Job, JobPage, JobQuery, utcnow
from omtx_core.errors import ArtifactNotFound, IllegalTransition, StaleJobError, StoreRefused, StoreUnavailable
from omtx_core.store.base import ArtifactStore, JobStore
from omtx_core.store.fallback_limits import FallbackLimits

log = logging.getLogger(__name__)
RETRY_AFTER_S = 5.0
JOB_KINDS = ("job", "delete")  # entries whose target is a job id; the others' is an artifact key or prefix


@dataclass(frozen=True)
class ParkedEntry:
    """An outbox entry the primary refused for good: what it was for, why it was refused, and since when."""

    seq: int
    kind: str  # job | delete | artifact_put | artifact_delete | artifact_delete_key
    target: str  # a job id, or an artifact key or prefix
    reason: str
    code: str  # the store's error code (e.g. a PostgreSQL SQLSTATE), "" when there is none
    parked_at: datetime

    @property
    def job_id(self) -> str | None:
        """The job the entry belongs to (None for an artifact entry)."""
        return self.target if self.kind in JOB_KINDS else None


class Outbox:
    """Ordered, durable list of writes not yet applied to the primary store (a small SQLite table)."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()  # also serialises replay, so operations are applied once, in order
        with self._connect() as conn:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute(
                "CREATE TABLE IF NOT EXISTS outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL,"
                " target TEXT NOT NULL, payload TEXT)"
            )
            # One row per (kind, target): a parked job's later states replace its payload, keeping the first reason.
            conn.execute(
                "CREATE TABLE IF NOT EXISTS parked (seq INTEGER NOT NULL, kind TEXT NOT NULL, target TEXT NOT NULL,"
                " payload TEXT, reason TEXT NOT NULL, code TEXT NOT NULL, parked_at TEXT NOT NULL,"
                " PRIMARY KEY (kind, target))"
            )

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=30, isolation_level=None)

    def append(self, kind: str, target: str, payload: Any = None) -> None:
        with self._lock, self._connect() as conn:
            conn.execute(
                "INSERT INTO outbox (kind, target, payload) VALUES (?, ?, ?)", (kind, target, json.dumps(payload))
            )

    def pending(self) -> list[tuple[int, str, str, Any]]:
        with self._connect() as conn:
            rows = conn.execute("SELECT seq, kind, target, payload FROM outbox ORDER BY seq").fetchall()
        return [(seq, kind, target, json.loads(payload)) for seq, kind, target, payload in rows]

    def remove(self, seq: int) -> None:
        with self._connect() as conn:
            conn.execute("DELETE FROM outbox WHERE seq = ?", (seq,))

    def targets(self, kind_prefix: str) -> set[str]:
        """Targets with entries still to replay or parked."""
        pattern = kind_prefix + "%"
        with self._connect() as conn:
            rows = conn.execute(
                "SELECT target FROM outbox WHERE kind LIKE ? UNION SELECT target FROM parked WHERE kind LIKE ?",
                (pattern, pattern),
            )
            return {row[0] for row in rows}

    def park(self, seq: int, kind: str, target: str, payload: Any, reason: str = "", code: str = "") -> None:
        """Move an entry to `parked`; one already parked for its target only updates the payload there."""
        with self._lock, self._connect() as conn:
            conn.execute("BEGIN IMMEDIATE")  # moved, never copied nor lost
            conn.execute(
                "INSERT INTO parked VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET payload = excluded.payload",
                (seq, kind, target, json.dumps(payload), reason, code, utcnow().isoformat()),
            )
            conn.execute("DELETE FROM outbox WHERE seq = ?", (seq,))
            conn.execute("COMMIT")

    def parked(self) -> list[ParkedEntry]:
        with self._connect() as conn:
            rows = conn.execute("SELECT seq, kind, target, reason, code, parked_at FROM parked ORDER BY seq")
            return [ParkedEntry(*row[:5], datetime.fromisoformat(row[5])) for row in rows]

    def unpark(self, target: str, *, prefix: bool = False) -> None:
        """Forget what was parked for a job or files being deleted: `target` itself, or every target under it."""
        condition = "substr(target, 1, ?) = ?" if prefix else "length(target) = ? AND target = ?"
        with self._lock, self._connect() as conn:
            conn.execute(f"DELETE FROM parked WHERE {condition}", (len(target), target))

    def __len__(self) -> int:
        with self._connect() as conn:
            return conn.execute("SELECT count(*) FROM outbox").fetchone()[0]


class _Link:
    """Remembers when the primary last failed, so an outage costs one timeout per RETRY_AFTER_S, not per call."""

    def __init__(self, retry_after_s: float) -> None:
        self.retry_after_s = retry_after_s
        self.down_since: float | None = None

    def usable(self) -> bool:
        return self.down_since is None or time.monotonic() - self.down_since >= self.retry_after_s

    def failed(self) -> None:
        self.down_since = time.monotonic()

    def ok(self) -> None:
        self.down_since = None


class FallbackJobStore(FallbackLimits):
    """A JobStore over `primary` (Supabase) that falls back to `local` (SQLite) plus `outbox` during outages."""

    name = "fallback"

    def __init__(self, primary: JobStore, local: JobStore, outbox: Outbox, *, retry_after_s: float = RETRY_AFTER_S):
        self.primary, self.local, self.outbox = primary, local, outbox
        self.link = _Link(retry_after_s)
        self.replayer: FallbackArtifactStore | None = None  # set by FallbackArtifactStore to share the outbox

    @property
    def degraded(self) -> bool:
        return self.link.down_since is not None or len(self.outbox) > 0

    # -- routing -----------------------------------------------------------------------------------------

    def _primary(self, call):
        """Run `call(primary)` after replaying the outbox; StoreUnavailable if the primary cannot be used."""
        if not self.link.usable():
            raise StoreUnavailable("The shared job store is unreachable.")
        self.replay()
        try:
            result = call(self.primary)
        except StoreUnavailable:
            self.link.failed()
            raise
        self.link.ok()
        return result

    def _is_local(self, job_id: str) -> bool:
        return job_id in self.outbox.targets("job")

    # -- JobStore ------------------------------------------------------------------------------------------

    def create(self, job: Job) -> Job:
        if not self._is_local(job.id):
            try:
                return self._primary(lambda p: p.create(job))
            except StoreUnavailable:
                pass
        self.local.create(job)
        self.outbox.append("job", job.id, self.local.get(job.id).model_dump(mode="json"))
        return self.local.get(job.id)

    def get(self, job_id: str) -> Job | None:
        if self._is_local(job_id):
            return self.local.get(job_id)
        try:
            return self._primary(lambda p: p.get(job_id))
        except StoreUnavailable:
            return self.local.get(job_id)

    def list(self, query: JobQuery) -> JobPage:
        try:
            page = self._primary(lambda p: p.list(query))
        except StoreUnavailable:
            return self.local.list(query)
        pending = [j for j in self.local.list(query.model_copy(update={"offset": 0})).jobs if self._is_local(j.id)]
        if not pending:
            return page
        merged = sorted(
            {j.id: j for j in [*page.jobs, *pending]}.values(), key=lambda j: (j.created_at, j.id), reverse=True
        )
        return JobPage(jobs=merged[: query.limit], total=page.total + len(pending))

    def update(self, job_id: str, changes: dict[str, Any], **expect) -> Job:
        if not self._is_local(job_id):
            try:
                return self._primary(lambda p: p.update(job_id, changes, **expect))
            except StoreUnavailable:
                if self.local.get(job_id) is None:
                    raise  # a job that lives only in the primary cannot be changed safely while it is down
        updated = self.local.update(job_id, changes, **expect)
        self.outbox.append("job", job_id, updated.model_dump(mode="json"))
        return updated

    def delete(self, job_id: str) -> bool:
        existed_locally = self.local.delete(job_id)
        self.outbox.unpark(job_id)  # the user's delete settles what the primary refused: nothing left to show
        try:
            return self._primary(lambda p: p.delete(job_id)) or existed_locally
        except StoreUnavailable:
            self.outbox.append("delete", job_id)  # replayed after the job's earlier entries, so it stays deleted
            return True

    def claim_next(self, worker_id: str, lease_seconds: float, *, max_running: int, now: datetime) -> Job | None:
        try:
            job = self._primary(lambda p: p.claim_next(worker_id, lease_seconds, max_running=max_running, now=now))
        except StoreUnavailable:
            job = None
        if job is not None:
            return job
        claimed = self.local.claim_next(worker_id, lease_seconds, max_running=max_running, now=now)
        if claimed is not None:
            self.outbox.append("job", claimed.id, claimed.model_dump(mode="json"))
        return claimed

    def heartbeat(self, job_id: str, worker_id: str, lease_seconds: float, *, now: datetime) -> Job | None:
        if not self._is_local(job_id):
            try:
                return self._primary(lambda p: p.heartbeat(job_id, worker_id, lease_seconds, now=now))
            except StoreUnavailable:
                return self.get(job_id)  # keep working on a job we hold; the lease is renewed when it is back
        beat = self.local.heartbeat(job_id, worker_id, lease_seconds, now=now)
        if beat is not None:
            self.outbox.append("job", job_id, beat.model_dump(mode="json"))
        return beat

    def find_completed(self, input_hash: str, owner: str) -> Job | None:
        try:
            return self._primary(lambda p: p.find_completed(input_hash, owner))
        except StoreUnavailable:
            return self.local.find_completed(input_hash, owner)

    def count_results_users(self, job_id: str) -> int:
        try:
            return self._primary(lambda p: p.count_results_users(job_id)) + self.local.count_results_users(job_id)
        except StoreUnavailable:
            return self.local.count_results_users(job_id) + 1  # unknown: assume shared, never delete blindly

    # -- replay ----------------------------------------------------------------------------------------

    def parked(self) -> list[ParkedEntry]:
        """Entries the primary refused for good, oldest first: each job among them is kept only on this machine."""
        return self.outbox.parked()

    def replay(self) -> int:
        """Apply pending outbox entries to the primary in order; stop at the first outage, park what it refuses.
        Returns how many were applied."""
        done = 0
        with self.outbox._lock:
            parked = {(entry.kind, entry.target) for entry in self.outbox.parked()}
            for seq, kind, target, payload in self.outbox.pending():
                try:
                    if kind == "job" and (kind, target) in parked:  # a parked job's later states stay with it
                        raise StoreRefused("An earlier change of this job was refused.")
                    self._apply(kind, target, payload)
                except StoreUnavailable:
                    self.link.failed()
                    return done
                except StoreRefused as refusal:  # for good: retrying would stop every later entry, every call
                    self.outbox.park(seq, kind, target, payload, refusal.message, refusal.store_code)
                    if (kind, target) not in parked:
                        parked.add((kind, target))
                        log.warning("The shared store refused the %s entry for %s (code %s): %s Kept on this machine "
                                    "only.", kind, target, refusal.store_code or "none", refusal.message)  # fmt: skip
                    continue
                self.outbox.remove(seq)
                done += 1
                if kind in JOB_KINDS and not self._is_local(target):
                    self.local.delete(target)  # now wholly in the primary: one copy only
        if done:
            self.link.ok()
        return done

    def _apply(self, kind: str, target: str, payload: Any) -> None:
        if kind == "job":
            try:
                job = Job.model_validate(payload)
            except ValueError:  # written by a version whose job record differs: no primary will take it
                unreadable = "This version of OMTX-Hub cannot read the saved job."
                raise StoreRefused(unreadable, store_code="unreadable") from None
            _replay_job(self.primary, job)
        elif kind == "delete":
            self.primary.delete(target)
        elif self.replayer is not None:
            self.replayer.apply(kind, target)


def _replay_job(primary: JobStore, job: Job) -> None:
    """Make the primary's copy equal `job` (idempotent: replaying the same entry twice changes nothing)."""
    stored = primary.create(job)
    if stored == job:
        return
    changes = job.model_dump(exclude={"id"})
    try:
        primary.update(job.id, changes)
    except (IllegalTransition, StaleJobError) as exc:  # the primary moved on (e.g. cancelled elsewhere): it wins
        log.warning("outbox entry for job %s not applied: %s", job.id, exc)


class FallbackArtifactStore:
    """Artifacts to the primary, or to the local folder plus an outbox entry while it is unreachable."""

    def __init__(
        self, primary: ArtifactStore, local: ArtifactStore, outbox: Outbox, jobs: FallbackJobStore | None = None
    ):
        self.primary, self.local, self.outbox = primary, local, outbox
        if jobs is not None:
            jobs.replayer = self

    def put(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None:
        try:
            self.primary.put(key, data, content_type)
        except StoreUnavailable:
            self.local.put(key, data, content_type)
            self.outbox.append("artifact_put", key)

    def get(self, key: str) -> bytes:
        if self.local.exists(key):
            return self.local.get(key)
        return self.primary.get(key)

    def exists(self, key: str) -> bool:
        if self.local.exists(key):
            return True
        try:
            return self.primary.exists(key)
        except StoreUnavailable:
            return False

    def list(self, prefix: str) -> list[str]:
        try:
            remote = self.primary.list(prefix)
        except StoreUnavailable:
            remote = []
        return sorted(set(remote) | set(self.local.list(prefix)))

    def delete(self, key: str) -> bool:
        existed = self.local.delete(key)
        self.outbox.unpark(key)
        try:
            return self.primary.delete(key) or existed
        except StoreUnavailable:
            self.outbox.append("artifact_delete_key", key)
            return True

    def delete_prefix(self, prefix: str) -> int:
        count = self.local.delete_prefix(prefix)
        self.outbox.unpark(prefix, prefix=True)
        try:
            return count + self.primary.delete_prefix(prefix)
        except StoreUnavailable:
            self.outbox.append("artifact_delete", prefix)
            return count

    def apply(self, kind: str, target: str) -> None:
        """Replay one artifact outbox entry (called in order by the job store's replay)."""
        if kind == "artifact_delete":
            self.primary.delete_prefix(target)
            return
        if kind == "artifact_delete_key":
            self.primary.delete(target)
            return
        try:
            data = self.local.get(target)
        except ArtifactNotFound:
            return  # deleted locally since; nothing to upload
        self.primary.put(target, data)
        self.local.delete(target)  # the primary holds it now; a stale local copy must not shadow later writes
