"""Submission limits for FallbackJobStore: the shared store counts; during an outage, this machine's store does."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from omtx_core.domain.job import Job
from omtx_core.errors import StoreUnavailable
from omtx_core.store.base import LimitUsage, SubmissionLimits

if TYPE_CHECKING:
    from omtx_core.store.fallback import FallbackJobStore


class FallbackLimits:
    """`create_limited` for FallbackJobStore (a mixin: it routes like `create`)."""

    def create_limited(
        self: FallbackJobStore, job: Job, limits: SubmissionLimits, *, now: datetime
    ) -> tuple[Job | None, LimitUsage]:
        if not self._is_local(job.id):
            try:
                return self._primary(lambda p: p.create_limited(job, limits, now=now))
            except StoreUnavailable:
                pass
        # While the shared store is away, only the jobs this machine holds can be counted: the limits then hold
        # per replica, and the shared counts take over again as soon as it is back.
        created, usage = self.local.create_limited(job, limits, now=now)
        if created is not None:
            self.outbox.append("job", job.id, created.model_dump(mode="json"))
        return created, usage
