"""The JobStore and ArtifactStore protocols every store implements (errors: StoreUnavailable, StoreRefused, ...)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from omtx_core.domain.job import Job, JobPage, JobQuery, JobStatus


@dataclass(frozen=True)
class SubmissionLimits:
    """At most `per_window` jobs created by one owner in any `window_s`, and at most `active_per_owner` (one owner)
    and `active_total` (everyone) pending or running jobs; a job completed at birth (cache hit, import) takes no
    engine time, so it counts for the rate but not against the caps."""

    per_window: int
    active_per_owner: int
    active_total: int
    window_s: float = 60.0


@dataclass(frozen=True)
class LimitUsage:
    """What the store counted just before a limited create, for the refusal to say."""

    recent: int  # jobs the owner created in the window
    retry_after_s: float  # seconds until one fewer of them is in the window than the limit allows (0 if under)
    active_owner: int  # the owner's pending and running jobs
    active_total: int  # everyone's pending and running jobs

    def refuses(self, job: Job, limits: SubmissionLimits) -> bool:
        """Whether creating `job` would break a limit (the same rule every store applies)."""
        if self.recent >= limits.per_window:
            return True
        active = job.status in (JobStatus.PENDING, JobStatus.RUNNING)
        return active and (self.active_owner >= limits.active_per_owner or self.active_total >= limits.active_total)


@runtime_checkable
class JobStore(Protocol):
    """Persistence of Job records. Every method is safe to call from several threads and processes."""

    name: str

    def create(self, job: Job) -> Job:
        """Insert a job; inserting the same id again is a no-op that returns the stored job (idempotent)."""
        ...

    def get(self, job_id: str) -> Job | None: ...

    def list(self, query: JobQuery) -> JobPage:
        """Jobs matching the query, newest first (created_at, then id, descending), with the total count."""
        ...

    def update(
        self,
        job_id: str,
        changes: dict[str, Any],
        *,
        expect_status: JobStatus | None = None,
        expect_lease_owner: str | None = None,
    ) -> Job:
        """Apply field changes atomically and return the new job; `updated_at` is set by the store.

        Status changes are checked with `check_transition`. StaleJobError when the stored status or lease owner
        differs from the expected one; JobNotFound when the job does not exist.
        """
        ...

    def delete(self, job_id: str) -> bool:
        """Remove the record; True when it existed."""
        ...

    def claim_next(self, worker_id: str, lease_seconds: float, *, max_running: int, now: datetime) -> Job | None:
        """Atomically take the oldest pending job, or a running job whose lease expired, for `worker_id`.

        The claimed job is `running`, `lease_owner=worker_id`, `lease_expires_at=now+lease_seconds`,
        `attempts` incremented, `started_at` set if it was unset. Returns None when nothing is claimable or
        `max_running` jobs already hold a live lease. No job is ever handed to two workers at once.
        """
        ...

    def heartbeat(self, job_id: str, worker_id: str, lease_seconds: float, *, now: datetime) -> Job | None:
        """Extend the lease if `worker_id` still holds it on a running job; return the job, else None."""
        ...

    def find_completed(self, input_hash: str, owner: str) -> Job | None:
        """The newest completed, non-cache-hit job of `owner` with this input hash (the result cache)."""
        ...

    def count_results_users(self, job_id: str) -> int:
        """How many jobs (other than `job_id` itself) read their results from `job_id`'s artifacts."""
        ...

    def create_limited(self, job: Job, limits: SubmissionLimits, *, now: datetime) -> tuple[Job | None, LimitUsage]:
        """Count the owner's recent and the active jobs, then create `job` unless `LimitUsage.refuses` it: one atomic
        step across threads, processes and app replicas. Returns (the stored job, or None when refused; the counts).
        `now` is the store's clock where it has none of its own (Supabase counts with the server's); an id that
        exists already is returned as `create` would, without counting."""
        ...


@runtime_checkable
class ArtifactStore(Protocol):
    """Files of a job (inputs, structures, arrays, logs, ZIPs) under keys `<bucket>/<job id>/<path>`."""

    def put(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None:
        """Write (or overwrite) atomically: a reader never sees a half-written file."""
        ...

    def get(self, key: str) -> bytes:
        """The bytes under key; ArtifactNotFound otherwise."""
        ...

    def exists(self, key: str) -> bool: ...

    def list(self, prefix: str) -> list[str]:
        """Every key under a `<bucket>/<job id>/` prefix, sorted."""
        ...

    def delete(self, key: str) -> bool:
        """Delete one key; True when it existed."""
        ...

    def delete_prefix(self, prefix: str) -> int:
        """Delete every key under the prefix; return how many were deleted."""
        ...
