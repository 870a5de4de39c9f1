"""The job service: submit (validate → plan → cache → store), get, list, cancel, re-run, delete."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from omtx_core.boltz.plan import Plan
from omtx_core.cache import HotCache, input_hash
from omtx_core.errors import Problem
from omtx_core.jobs.models import LOCAL_OWNER, Job, JobNotFound, JobPage, JobQuery, JobStatus, utcnow
from omtx_core.jobs.results import read_result_document
from omtx_core.store.base import ARTIFACT_BUCKETS, ArtifactStore, JobStore
from omtx_core.tasks import ValidatedInput, validate_task_input

Clock = Callable[[], datetime]


@dataclass(frozen=True)
class Submission:
    """A stored job, the plan it will run, and the warnings found in its input."""

    job: Job
    plan: Plan
    warnings: list[Problem]


def submit(
    task_type: str,
    data: dict[str, Any],
    *,
    store: JobStore,
    owner: str = LOCAL_OWNER,
    use_cache: bool = True,
    parent_id: str | None = None,
    clock: Clock = utcnow,
) -> Submission:
    """Validate and plan the input, then store it as a job; raises InputError (nothing stored) when invalid."""
    validated = validate_task_input(task_type, data)
    job = store_validated(validated, store=store, owner=owner, use_cache=use_cache, parent_id=parent_id, clock=clock)
    return Submission(job, validated.plan, validated.warnings)


def store_validated(
    validated: ValidatedInput,
    *,
    store: JobStore,
    owner: str = LOCAL_OWNER,
    use_cache: bool = True,
    parent_id: str | None = None,
    clock: Clock = utcnow,
) -> Job:
    """Store a validated input as a pending job, or as a completed cache hit with no engine call."""
    task_type = validated.task_id
    normalised = validated.input.model_dump(mode="json")
    digest = input_hash(task_type, normalised)
    now = clock()
    fields: dict[str, Any] = {
        "owner": owner, "task_type": task_type, "job_name": validated.input.job_name, "input": normalised,
        "options": normalised.get("options", {}), "input_hash": digest, "created_at": now, "updated_at": now,
        "progress_total": len(validated.plan.runs), "parent_id": parent_id,
    }  # fmt: skip
    cached = store.find_completed(digest, owner) if use_cache else None
    return store.create(Job(**fields, **(_cache_hit_fields(cached, now) if cached else {})))


def _cache_hit_fields(source: Job, now: datetime) -> dict[str, Any]:
    """A cache hit is completed at once and reads its results from the source job's artifacts."""
    return {
        "status": JobStatus.COMPLETED, "cache_hit": True, "results_from": source.results_job_id,
        "result": source.result, "artifacts": source.artifacts, "engine": source.engine,
        "progress_done": source.progress_done, "started_at": now, "finished_at": now,
    }  # fmt: skip


def get_job(job_id: str, *, store: JobStore) -> Job:
    job = store.get(job_id)
    if job is None:
        raise JobNotFound(f"There is no job {job_id}.", "Check the job id, or look it up in the job list.")
    return job


def result_document(job: Job, *, artifacts: ArtifactStore, hot: HotCache | None = None) -> dict[str, Any]:
    """Every run's full result of a completed job (a cache hit reads its source job's document)."""
    if job.status != JobStatus.COMPLETED:
        raise JobNotFound(f"Job {job.id} has no results: it is {job.status.value}.", "Wait until it completes.")
    return read_result_document(job.results_job_id, artifacts, hot)


def list_jobs(query: JobQuery, *, store: JobStore) -> JobPage:
    return store.list(query)


def cancel(job_id: str, *, store: JobStore, clock: Clock = utcnow) -> Job:
    """Cancel a pending or running job; a running job's worker sees it at its next heartbeat and stops the engine."""
    job = get_job(job_id, store=store)
    if job.status.is_terminal:
        return job
    return store.update(
        job_id,
        {"status": JobStatus.CANCELLED, "finished_at": clock(), "lease_owner": None, "lease_expires_at": None},
        expect_status=job.status,
    )


def rerun(
    job_id: str,
    *,
    store: JobStore,
    changes: dict[str, Any] | None = None,
    use_cache: bool = False,
    clock: Clock = utcnow,
) -> Submission:
    """A new job from an old one's input, with optional field changes ("clone and edit"); bypasses the cache."""
    old = get_job(job_id, store=store)
    data = {**old.input, **(changes or {})}
    if not changes or "job_name" not in changes:
        data.pop("job_name", None)  # a fresh generated name, unless the user gave one
    return submit(old.task_type, data, store=store, owner=old.owner, use_cache=use_cache, parent_id=old.id, clock=clock)


def delete(job_id: str, *, store: JobStore, artifacts: ArtifactStore) -> None:
    """Delete a job (cancelling it first) and its artifacts, keeping results other jobs still read."""
    job = get_job(job_id, store=store)
    if not job.status.is_terminal:
        cancel(job_id, store=store)
    store.delete(job_id)
    for owner_id in {job.id, job.results_job_id}:
        if store.get(owner_id) is None and store.count_results_users(owner_id) == 0:
            for bucket in ARTIFACT_BUCKETS:
                artifacts.delete_prefix(f"{bucket}/{owner_id}/")
