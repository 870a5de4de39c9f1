"""Submission limits for SqliteJobStore: count and insert in one BEGIN IMMEDIATE transaction, so processes agree."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from omtx_core.domain.job import Job
from omtx_core.store.base import LimitUsage, SubmissionLimits

if TYPE_CHECKING:
    from omtx_core.store.sqlite import SqliteJobStore

_ACTIVE = "status IN ('pending', 'running')"


class SqliteLimits:
    """`create_limited` for SqliteJobStore (a mixin: it uses the store's transactions and row helpers)."""

    def create_limited(
        self: SqliteJobStore, job: Job, limits: SubmissionLimits, *, now: datetime
    ) -> tuple[Job | None, LimitUsage]:
        from omtx_core.store.sqlite import format_time, job_to_row

        now = datetime.fromisoformat(format_time(now))  # aware UTC, like the stored times
        since = format_time(now - timedelta(seconds=limits.window_s))
        # The write lock is taken at BEGIN: no other process counts or inserts until this one commits.
        with self._write() as conn:
            existing = self._select(conn, job.id)
            owner_since = (job.owner, since)
            recent = conn.execute("SELECT count(*) FROM jobs WHERE owner = ? AND created_at > ?", owner_since)
            recent = recent.fetchone()[0]
            active_owner = conn.execute(f"SELECT count(*) FROM jobs WHERE owner = ? AND {_ACTIVE}", (job.owner,))
            active_owner = active_owner.fetchone()[0]
            active_total = conn.execute(f"SELECT count(*) FROM jobs WHERE {_ACTIVE}").fetchone()[0]
            retry_after_s = 0.0
            if recent >= limits.per_window:  # when the submission that must leave the window for one more leaves
                row = conn.execute(
                    "SELECT created_at FROM jobs WHERE owner = ? AND created_at > ? ORDER BY created_at LIMIT 1"
                    " OFFSET ?",
                    (*owner_since, recent - limits.per_window),
                ).fetchone()
                leaves = datetime.fromisoformat(row[0]) + timedelta(seconds=limits.window_s)
                retry_after_s = max(0.0, (leaves - now).total_seconds())
            usage = LimitUsage(recent, retry_after_s, active_owner, active_total)
            if existing is not None:
                return existing, usage
            if usage.refuses(job, limits):
                return None, usage
            self._insert(conn, [job_to_row(job)])
            return self._select(conn, job.id), usage
