"""Submission limits for SupabaseJobStore: one SQL function counts and inserts under an advisory lock."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from omtx_core.domain.job import Job
from omtx_core.errors import JobNotFound
from omtx_core.store.base import LimitUsage, SubmissionLimits

if TYPE_CHECKING:
    from omtx_core.store.supabase import SupabaseJobStore

LIMITED_CREATE_FUNCTION = "create_job_within_limits"  # supabase/migrations/*_limits.sql


class SupabaseLimits:
    """`create_limited` for SupabaseJobStore (a mixin: it uses the store's client)."""

    def create_limited(
        self: SupabaseJobStore, job: Job, limits: SubmissionLimits, *, now: datetime
    ) -> tuple[Job | None, LimitUsage]:
        from omtx_core.store.supabase import _calling, _job

        # `now` is unused: the database counts with its own clock, the one that sets a user's created_at.
        params = {"p_job": job.model_dump(mode="json"), "p_per_window": limits.per_window,
                  "p_active_per_owner": limits.active_per_owner, "p_active_total": limits.active_total,
                  "p_window_s": limits.window_s}  # fmt: skip
        with _calling("save a job"):
            answer = self.client.rpc(LIMITED_CREATE_FUNCTION, params).execute().data
        usage = LimitUsage(answer["recent"], float(answer["retry_after_s"]), answer["active_owner"],
                           answer["active_total"])  # fmt: skip
        if answer["job"] is not None:
            return _job(answer["job"]), usage
        if not usage.refuses(job, limits):  # not refused: the id exists, in a row this key may not read
            raise JobNotFound(f"Job {job.id} already exists and belongs to someone else.", "Submit it again.")
        return None, usage
