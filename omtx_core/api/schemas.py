"""Request and response models of the REST API: they make the OpenAPI schema exact (schemathesis checks it)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from omtx_core.domain.job import Job, JobError, JobStatus

_HIDDEN_JOB_FIELDS = {"lease_owner", "lease_expires_at", "input_hash"}  # worker bookkeeping, not the caller's


class ProblemOut(BaseModel):
    """One thing wrong with a request, located by its field path (e.g. `compounds.3.smiles`)."""

    field: str = Field(description="Dotted path of the field in the task input ('' for the input as a whole).")
    message: str
    hint: str = ""


class ErrorBody(BaseModel):
    code: str = Field(description="Stable error code (e.g. input_invalid, job_not_found, limit_exceeded).")
    message: str
    hint: str = ""
    problems: list[ProblemOut] | None = Field(None, description="Every problem of an invalid input.")
    error_id: str | None = Field(None, description="Quote it when reporting an unexpected error.")


class ErrorResponse(BaseModel):
    """Every error of the API has this shape."""

    error: ErrorBody


class PredictRequest(BaseModel):
    """A job to submit: a task id and its input, as the app's forms and `python -m omtx_core submit` take it."""

    model_config = ConfigDict(extra="forbid")

    task_type: str = Field(description="Task id, e.g. protein_ligand_binding or drug_discovery.")
    input_data: dict[str, Any] = Field(description="The task's input fields (see the README's task list).")
    job_name: str | None = Field(None, description="The job's name; overrides input_data.job_name.")
    options: dict[str, Any] | None = Field(None, description="Boltz options, merged over input_data.options.")
    force_rerun: bool = Field(False, description="Run again even when identical input already has results.")

    def task_data(self) -> dict[str, Any]:
        data = dict(self.input_data)
        if self.job_name is not None:
            data["job_name"] = self.job_name
        if self.options is not None:
            given = data.get("options")
            data["options"] = {**(given if isinstance(given, dict) else {}), **self.options}
        return data


class PredictResponse(BaseModel):
    job_id: str
    task_type: str
    status: JobStatus
    message: str
    estimated_completion_seconds: float = Field(description="Rough GPU time of the job's runs (0 for a cache hit).")
    cache_hit: bool
    warnings: list[ProblemOut] = Field(default_factory=list)


class JobOut(BaseModel):
    """A job as the caller sees it."""

    id: str
    owner: str
    task_type: str
    job_name: str
    status: JobStatus
    input: dict[str, Any]
    options: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    attempts: int = 0
    engine: str | None = None
    progress_done: int = 0
    progress_total: int = 0
    error: JobError | None = None
    result: dict[str, Any] | None = Field(None, description="Summary of the results (the full ones: /result).")
    parent_id: str | None = None
    cache_hit: bool = False
    results_from: str | None = None

    @classmethod
    def of(cls, job: Job) -> JobOut:
        return cls.model_validate(job.model_dump(exclude=_HIDDEN_JOB_FIELDS))


class JobListOut(BaseModel):
    jobs: list[JobOut]
    total: int = Field(description="Jobs matching the filters.")
    next_cursor: str | None = Field(None, description="Pass as `cursor` for the next page; null on the last.")


class ResultOut(BaseModel):
    """A completed job's typed result document; `analysis` holds the task's own fields."""

    job_id: str
    job_name: str
    task_type: str
    runs: dict[str, dict[str, Any]]
    failed_runs: dict[str, dict[str, Any]]
    analysis: dict[str, Any]


class FileOut(BaseModel):
    name: str = Field(description="Pass to /jobs/{id}/files/{name}.")
    content_type: str
    size: int | None = Field(None, description="Bytes, where known without building the file.")


class FileListOut(BaseModel):
    files: list[FileOut]


class LogsOut(BaseModel):
    text: str = Field(description="The engine log from byte `since` on.")
    next: int = Field(description="Pass as `since` to get only what is written after this.")
    finished: bool = Field(description="True when the job has ended: the log will not grow.")


class CheckOut(BaseModel):
    name: str
    ok: bool
    detail: str


class HealthOut(BaseModel):
    ok: bool
    checks: list[CheckOut]
