"""The job service: everything the app, the CLI (and later the API) do with jobs, for one caller over one store.

Built once per caller with that caller's `Identity`: it stamps submissions with the caller's owner, and a job of
another owner is "not found", whatever the store would allow. Finished jobs and result documents are read
through the Redis hot cache when one is configured.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from omtx_core import metrics
from omtx_core.boltz.plan import Plan
from omtx_core.cache import HotCache, MsaCache, input_hash
from omtx_core.config import Settings
from omtx_core.domain.identity import Identity
from omtx_core.domain.job import Job, JobPage, JobQuery, JobStatus, utcnow
from omtx_core.domain.layout import JobFiles
from omtx_core.domain.results import ResultDocument
from omtx_core.errors import ArtifactNotFound, JobNotFound, Problem
from omtx_core.jobs.limits import LimitedCreates, create_within_limits
from omtx_core.jobs.results import read_result_document
from omtx_core.logs import job_context
from omtx_core.store.base import ArtifactStore, JobStore
from omtx_core.tasks import ValidatedInput, task_analysis_model, validate_task_input

Clock = Callable[[], datetime]
log = logging.getLogger(__name__)
_NOT_FOUND_HINT = "Check the job id, or look it up in the job list."


@dataclass(frozen=True)
class Submission:
    """A stored job, the plan it will run, and the warnings found in its input."""

    job: Job
    plan: Plan
    warnings: list[Problem]


class JobService:
    """Submit, find, read, cancel, re-run, delete and import jobs as one caller (`identity`)."""

    def __init__(
        self,
        *,
        settings: Settings,
        store: JobStore,
        artifacts: ArtifactStore,
        identity: Identity,
        hot: HotCache | None = None,
        clock: Clock = utcnow,
    ) -> None:
        self.settings, self.store, self.artifacts, self.identity = settings, store, artifacts, identity
        self.hot = hot or HotCache(None, settings.cache_ttl_s)
        self.clock = clock

    # ---- submitting ------------------------------------------------------------------------------------------
    def validate(self, task_type: str, data: Any) -> ValidatedInput:
        """Validate and plan an input within this deployment's limits; InputError lists every problem."""
        return validate_task_input(task_type, data, self.settings)

    def cached_result(self, validated: ValidatedInput) -> Job | None:
        """The caller's newest completed job with identical input: submitting again reuses its results."""
        return self.store.find_completed(_hash(validated), self.identity.owner)

    def cached_msa_count(self, sequences: Iterable[str]) -> int:
        """How many of these proteins' MSAs are already cached (0 when the store will not say)."""
        try:
            return len(MsaCache(self.artifacts).lookup(set(sequences)))
        except Exception:  # a courtesy for the estimate: never block planning on it
            return 0

    def submit(self, task_type: str, data: Any, *, use_cache: bool = True, parent_id: str | None = None) -> Submission:
        """Validate and plan the input, then store it as a job; raises InputError (nothing stored) when invalid."""
        validated = self.validate(task_type, data)
        job = self.submit_validated(validated, use_cache=use_cache, parent_id=parent_id)
        return Submission(job, validated.plan, validated.warnings)

    def submit_validated(
        self, validated: ValidatedInput, *, use_cache: bool = True, parent_id: str | None = None
    ) -> Job:
        """Store a validated input as a pending job, or as a completed cache hit with no engine call; within the
        deployment's rate limit and caps (jobs/limits.py), else LimitExceeded."""
        normalised = validated.input.model_dump(mode="json")
        now = self.clock()
        fields: dict[str, Any] = {
            "owner": self.identity.owner, "task_type": validated.task_id, "job_name": validated.input.job_name,
            "input": normalised, "options": normalised.get("options", {}), "input_hash": _hash(validated),
            "created_at": now, "updated_at": now, "progress_total": len(validated.plan.runs), "parent_id": parent_id,
        }  # fmt: skip
        cached = self.cached_result(validated) if use_cache else None
        new = Job(**fields, **(_cache_hit_fields(cached, now) if cached else {}))
        with job_context(new):  # the store's log lines (an outage, a replay) name the job
            job = create_within_limits(self.store, new, self.settings, now=now)  # LimitExceeded: nothing stored
            self.hot.keep_job(job)
            log.debug("job submitted%s", " (cache hit)" if job.cache_hit else "")
        metrics.job_submitted(job.task_type, job.cache_hit)
        return job

    # ---- reading ---------------------------------------------------------------------------------------------
    def get(self, job_id: str) -> Job:
        """The job, if the caller may see it; JobNotFound otherwise (whether it exists or not)."""
        job = self.hot.job(job_id)
        if job is None:
            job = self.store.get(job_id)
            if job is not None:
                self.hot.keep_job(job)
        if job is None or not self.identity.may_see(job.owner):
            raise JobNotFound(f"There is no job {job_id}.", _NOT_FOUND_HINT)
        return job

    def list(self, query: JobQuery) -> JobPage:
        """The caller's jobs matching the query, newest first (every owner's for a caller who sees all)."""
        if self.identity.owner_filter is not None:
            query = query.model_copy(update={"owner": self.identity.owner_filter})
        return self.store.list(query)

    def queue_length(self) -> int:
        return self.list(JobQuery(status=JobStatus.PENDING, limit=1)).total

    def result_document(self, job: Job) -> ResultDocument:
        """Every run's full result of a completed job, its analysis typed by the job's task (a cache hit reads its
        source job's document)."""
        if job.status != JobStatus.COMPLETED:
            raise JobNotFound(f"Job {job.id} has no results: it is {job.status.value}.", "Wait until it completes.")
        return read_result_document(job.results_job_id, self.artifacts, self.hot, task_analysis_model(job.task_type))

    def partial_results(self, job: Job) -> bytes | None:
        """What a running job has published of its finished runs (a screen's live table), if anything."""
        return self._optional(JobFiles(job.id).partial_results) if job.status == JobStatus.RUNNING else None

    def engine_log(self, job: Job) -> str | None:
        """The engine's log (a cache hit's is its source job's), or None when none was recorded."""
        for owner in dict.fromkeys([job.id, job.results_job_id]):
            data = self._optional(JobFiles(owner).engine_log)
            if data is not None:
                return data.decode(errors="replace")
        return None

    def boltz_inputs(self, job: Job) -> dict[str, str]:
        """The Boltz input YAML of each run, by file name (a cache hit's are its source job's)."""
        for owner in dict.fromkeys([job.id, job.results_job_id]):
            folder = JobFiles(owner).inputs
            if keys := self.artifacts.list(folder):
                return {key.removeprefix(folder): self.artifacts.get(key).decode() for key in keys}
        return {}

    def boltz_output(self, job: Job, cache_dir: Path) -> Path:
        """The job's Boltz output as a local folder (downloaded once into `cache_dir`)."""
        from omtx_core.jobs.export import materialize

        return materialize(job, self.artifacts, cache_dir)

    def job_zip(self, jobs: list[Job]) -> bytes:
        """One job's ZIP, or several jobs in one ZIP (a folder each)."""
        from omtx_core.jobs.export import job_zip, jobs_zip

        return job_zip(jobs[0], self.artifacts) if len(jobs) == 1 else jobs_zip(jobs, self.artifacts)

    def _optional(self, key: str) -> bytes | None:
        try:
            return self.artifacts.get(key)
        except ArtifactNotFound:
            return None

    # ---- changing --------------------------------------------------------------------------------------------
    def cancel(self, job_id: str) -> Job:
        """Cancel a pending or running job; a running job's worker sees it at its next heartbeat and stops."""
        job = self.get(job_id)
        if job.status.is_terminal:
            return job
        changes = {"status": JobStatus.CANCELLED, "finished_at": self.clock(), "lease_owner": None,
                   "lease_expires_at": None}  # fmt: skip
        cancelled = self.store.update(job_id, changes, expect_status=job.status)
        self.hot.keep_job(cancelled)
        return cancelled

    def rerun(self, job_id: str, changes: dict[str, Any] | None = None, *, use_cache: bool = False) -> Submission:
        """A new job from an old one's input with optional field changes ("clone and edit"); skips the cache."""
        old = self.get(job_id)
        data = {**old.input, **(changes or {})}
        if not changes or "job_name" not in changes:
            data.pop("job_name", None)  # a fresh generated name, unless the user gave one
        return self.submit(old.task_type, data, use_cache=use_cache, parent_id=old.id)

    def delete(self, job_id: str) -> None:
        """Delete a job (cancelling it first) and its files, keeping results that other jobs still read."""
        job = self.get(job_id)
        if not job.status.is_terminal:
            self.cancel(job_id)
        self.store.delete(job_id)
        self.hot.forget_job(job_id)
        for owner in {job.id, job.results_job_id}:
            if self.store.get(owner) is None and self.store.count_results_users(owner) == 0:
                files = JobFiles(owner)
                self.hot.forget(files.result_document)
                for folder in files.folders:
                    self.artifacts.delete_prefix(folder)

    def import_results(self, source: bytes | Path, *, job_name: str | None = None) -> Job:
        """Boltz output made elsewhere (ZIP bytes, a ZIP file, a folder) as a completed job of the caller, analysed
        as a run of its task would be; ImportRefused says why a source cannot be imported."""
        from omtx_core.jobs.importer import import_boltz_results

        job = import_boltz_results(
            source,
            store=LimitedCreates(self.store, self.settings, self.clock),  # counted like any submission
            artifacts=self.artifacts,
            owner=self.identity.owner,
            job_name=job_name,
            max_bytes=self.settings.import_max_mb * 2**20,
            clock=self.clock,
        )
        self.hot.keep_job(job)
        return job


def _hash(validated: ValidatedInput) -> str:
    return input_hash(validated.task_id, validated.input.model_dump(mode="json"))


def _cache_hit_fields(source: Job, now: datetime) -> dict[str, Any]:
    """A cache hit is completed at once and reads its results from the source job's artifacts."""
    return {
        "status": JobStatus.COMPLETED, "cache_hit": True, "results_from": source.results_job_id,
        "result": source.result, "artifacts": source.artifacts, "engine": source.engine,
        "progress_done": source.progress_done, "started_at": now, "finished_at": now,
    }  # fmt: skip
