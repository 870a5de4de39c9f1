"""Routes of jobs: submit (`POST /predict`), list with a cursor, show, cancel, re-run, delete."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import UTC
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from omtx_core.api.auth import caller
from omtx_core.api.errors import ERROR_RESPONSES
from omtx_core.api.schemas import JobListOut, JobOut, PredictRequest, PredictResponse, ProblemOut
from omtx_core.domain.identity import Identity
from omtx_core.domain.job import MAX_SEARCH, Job, JobQuery, JobStatus
from omtx_core.errors import InputError
from omtx_core.jobs.service import JobService

router = APIRouter(tags=["jobs"])
MAX_PAGE = 1000
_REFILL_ROUNDS = 5  # pages fetched again to skip rows already seen (jobs submitted since the last page)


def jobs_service(request: Request, identity: Annotated[Identity, Depends(caller)]) -> JobService:
    """FastAPI dependency: the JobService of the request's caller (built by create_app's `service_for`)."""
    return request.app.state.service_for(identity)


Jobs = Annotated[JobService, Depends(jobs_service)]


def _errors(*statuses: int) -> dict:
    return {status: ERROR_RESPONSES[status] for status in statuses}


@router.post("/predict", status_code=201, response_model=PredictResponse, responses=_errors(404, 422, 429))
def predict(body: PredictRequest, jobs: Jobs) -> PredictResponse:
    """Submit a job: validated and planned as the app does, within the rate limit and caps; 201 with its id."""
    from omtx_core.boltz.estimate import estimate

    validated = jobs.validate(body.task_type, body.task_data())
    job = jobs.submit_validated(validated, use_cache=not body.force_rerun)
    if job.cache_hit:
        seconds, message = 0.0, f"Identical input to job {job.results_from}: its results were reused."
    else:
        gpu = estimate(validated.plan, cached_msas=jobs.cached_msa_count(validated.plan.shared_proteins))
        seconds = round(gpu.model_load_s + gpu.msa_s + gpu.inference_s, 1)
        message = f"Job queued with {len(validated.plan.runs)} run(s)."
    warnings = [ProblemOut(field=w.field, message=w.message, hint=w.hint) for w in validated.warnings]
    return PredictResponse(
        job_id=job.id, task_type=job.task_type, status=job.status, message=message,
        estimated_completion_seconds=seconds, cache_hit=job.cache_hit, warnings=warnings,
    )  # fmt: skip


@router.get("/jobs", response_model=JobListOut, responses=_errors(422))
def list_jobs(
    jobs: Jobs,
    status: JobStatus | None = None,
    task: Annotated[str | None, Query(max_length=100)] = None,
    search: Annotated[str | None, Query(max_length=MAX_SEARCH)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> JobListOut:
    """The caller's jobs, newest first; follow `next_cursor` for the next page."""
    position, last = _read_cursor(cursor)
    rows: list[Job] = []
    for _ in range(1 + _REFILL_ROUNDS):  # jobs submitted since the last page push seen rows down: read past them
        page = jobs.list(JobQuery(status=status, task_type=task, search=search, limit=limit, offset=position))
        for job in page.jobs:
            if len(rows) == limit:
                break
            position += 1
            if _after(job, last):
                rows.append(job)
        if len(rows) == limit or len(page.jobs) < limit:
            break
    more = bool(rows) and position < page.total
    next_cursor = _write_cursor(position, rows[-1]) if more else None
    return JobListOut(jobs=[JobOut.of(job) for job in rows], total=page.total, next_cursor=next_cursor)


def _after(job: Job, last: tuple[str, str] | None) -> bool:
    """Whether the job comes after the last row of the previous page (newest first, ties by id descending)."""
    return last is None or (_stamp(job), job.id) < last


def _stamp(job: Job) -> str:
    return job.created_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")  # fixed width: compares as text


def _write_cursor(offset: int, job: Job) -> str:
    raw = json.dumps([offset, _stamp(job), job.id], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _read_cursor(cursor: str | None) -> tuple[int, tuple[str, str] | None]:
    if not cursor:
        return 0, None
    try:
        offset, created, job_id = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not (isinstance(offset, int) and 0 <= offset < 2**62 and isinstance(created, str)
                and isinstance(job_id, str)):  # fmt: skip
            raise ValueError("not a cursor")
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise InputError.single(
            "cursor",
            "This is not a cursor of this job list.",
            "Pass the next_cursor of the previous page as it was, or leave it out.",
        ) from None
    return offset, (created, job_id)


@router.get("/jobs/{job_id}", response_model=JobOut, responses=_errors(404))
def get_job(job_id: str, jobs: Jobs) -> JobOut:
    """One job of the caller (another owner's job is a 404, as is one that does not exist)."""
    return JobOut.of(jobs.get(job_id))


@router.post("/jobs/{job_id}/cancel", response_model=JobOut, responses=_errors(404, 409))
def cancel_job(job_id: str, jobs: Jobs) -> JobOut:
    """Cancel a pending or running job; a finished job is returned as it is."""
    return JobOut.of(jobs.cancel(job_id))


@router.post("/jobs/{job_id}/rerun", status_code=201, response_model=JobOut, responses=_errors(404, 422, 429))
def rerun_job(job_id: str, jobs: Jobs) -> JobOut:
    """A new job from this job's input (it runs again: the result cache is skipped)."""
    return JobOut.of(jobs.rerun(job_id).job)


@router.delete("/jobs/{job_id}", status_code=204, response_class=Response, responses=_errors(404))
def delete_job(job_id: str, jobs: Jobs) -> Response:
    """Delete a job (cancelling it first) and its files."""
    jobs.delete(job_id)
    return Response(status_code=204)
