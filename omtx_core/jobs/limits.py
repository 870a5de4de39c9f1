"""Submission limits: a per-user rate and caps on queued and running jobs, checked by the store as it creates a job.

Every way a job comes into being (submit, re-run, import) goes through `create_within_limits`, so the app, the CLI
and any API obey the same limits; the store counts and inserts in one atomic step, so they hold across processes
and app replicas. The rate is a sliding window: the jobs the owner created in the last 60 s, deleted ones excepted.
A job completed at birth (a cache hit, an import) uses no engine time: it counts for the rate, not for the caps.
"""

from __future__ import annotations

import math
from datetime import datetime

from omtx_core.config import Settings
from omtx_core.domain.job import Job
from omtx_core.errors import LimitExceeded
from omtx_core.store.base import JobStore, LimitUsage, SubmissionLimits

WINDOW_S = 60.0
_CANCEL_HINT = "Wait for some of them to finish, or cancel queued ones in the job list; then submit again."


def submission_limits(settings: Settings) -> SubmissionLimits:
    return SubmissionLimits(
        per_window=settings.rate_limit_per_min,
        active_per_owner=settings.max_active_jobs_per_user,
        active_total=settings.max_active_jobs,
        window_s=WINDOW_S,
    )


def create_within_limits(store: JobStore, job: Job, settings: Settings, *, now: datetime) -> Job:
    """Store `job` if it keeps within the deployment's limits; LimitExceeded (nothing stored) says which it breaks."""
    limits = submission_limits(settings)
    created, usage = store.create_limited(job, limits, now=now)
    if created is None:
        raise refusal(usage, limits)
    return created


def refusal(usage: LimitUsage, limits: SubmissionLimits) -> LimitExceeded:
    """The error for a refused submission: the limit, the count, and when or how the user can submit again."""
    if usage.recent >= limits.per_window:
        wait = max(1, math.ceil(usage.retry_after_s))
        return LimitExceeded(
            f"You submitted {_jobs(usage.recent)} in the last minute; you can submit again in {wait} s.",
            f"Each user may submit at most {_jobs(limits.per_window)} a minute. Wait, then submit again.",
            retry_after_s=float(wait),
        )
    if usage.active_owner >= limits.active_per_owner:
        return LimitExceeded(
            f"You have {_jobs(usage.active_owner)} queued or running; each user may have at most "
            f"{limits.active_per_owner} at once.",
            _CANCEL_HINT,
        )
    return LimitExceeded(
        f"The hub has {_jobs(usage.active_total)} queued or running, the most it takes at once "
        f"({limits.active_total}).",
        "Wait for jobs to finish (cancel queued ones of yours you no longer need); then submit again.",
    )


def _jobs(count: int) -> str:
    return f"{count} job" if count == 1 else f"{count} jobs"


class LimitedCreates:
    """A JobStore whose `create` obeys the limits, for code that only knows `create` (the importer)."""

    def __init__(self, store: JobStore, settings: Settings, clock) -> None:
        self._store, self._settings, self._clock = store, settings, clock

    def create(self, job: Job) -> Job:
        return create_within_limits(self._store, job, self._settings, now=self._clock())

    def __getattr__(self, name: str):
        return getattr(self._store, name)
