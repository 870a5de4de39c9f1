"""The Job record and its lifecycle: pending → running → completed | failed | cancelled, checked in one place."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Literal, get_args

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from omtx_core.errors import IllegalTransition


class JobStatus(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def is_terminal(self) -> bool:
        return self in TERMINAL


TERMINAL = frozenset({JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELLED})

# RUNNING → PENDING hands a job back (worker shutdown, or its lease expired after the worker died).
ALLOWED_TRANSITIONS: dict[JobStatus, frozenset[JobStatus]] = {
    JobStatus.PENDING: frozenset({JobStatus.RUNNING, JobStatus.FAILED, JobStatus.CANCELLED}),
    JobStatus.RUNNING: frozenset({JobStatus.PENDING, JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELLED}),
    JobStatus.COMPLETED: frozenset(),
    JobStatus.FAILED: frozenset(),
    JobStatus.CANCELLED: frozenset(),
}


def check_transition(current: JobStatus, new: JobStatus) -> None:
    """Raise IllegalTransition unless `current → new` is allowed; staying in a state is always allowed."""
    if new != current and new not in ALLOWED_TRANSITIONS[current]:
        raise IllegalTransition(
            f"A {current.value} job cannot become {new.value}.",
            "Re-run the job to start it again." if current.is_terminal else "",
        )


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_job_id() -> str:
    return uuid.uuid4().hex


FailureKind = Literal["out_of_memory", "msa_service", "timeout", "crashed", "refused_input", "unavailable", "other"]
FAILURE_KINDS: tuple[str, ...] = get_args(FailureKind)
# Kinds stored before failures were classified (rows written by older versions) and what they now read as.
_LEGACY_KINDS = {"input": "refused_input", "engine": "crashed", "missing_output": "other", "worker_lost": "crashed",
                 "internal": "other"}  # fmt: skip


class JobError(BaseModel):
    """Why a job failed, in the user's words; `details` holds the technical part (log tail, exit code).

    `kind` sorts failures for people and metrics (omtx_core.engines.failures classifies engine failures).
    """

    model_config = ConfigDict(extra="forbid")

    kind: FailureKind = "other"
    message: str
    details: str = ""

    @field_validator("kind", mode="before")
    @classmethod
    def _known_kind(cls, value: Any) -> str:
        value = _LEGACY_KINDS.get(value, value)
        return value if value in FAILURE_KINDS else "other"  # a row from a newer version still loads


class Job(BaseModel):
    """One submitted prediction job, as every store persists it."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    id: str = Field(default_factory=new_job_id)
    owner: str = Field(min_length=1, description="Who submitted it (see omtx_core.domain.identity).")
    task_type: str
    job_name: str
    input: dict[str, Any]
    options: dict[str, Any] = Field(default_factory=dict)
    input_hash: str
    status: JobStatus = JobStatus.PENDING
    created_at: AwareDatetime = Field(default_factory=utcnow)
    updated_at: AwareDatetime = Field(default_factory=utcnow)
    started_at: AwareDatetime | None = None
    finished_at: AwareDatetime | None = None
    attempts: int = 0
    engine: str | None = None
    engine_call_ids: list[str] = Field(default_factory=list)
    progress_done: int = 0
    progress_total: int = 0
    error: JobError | None = None
    result: dict[str, Any] | None = None  # summary shown in lists; the full result is an artifact
    artifacts: list[str] = Field(default_factory=list)  # artifact keys, e.g. results/<id>/result.json
    parent_id: str | None = None  # the job this one re-runs
    cache_hit: bool = False
    results_from: str | None = None  # id of the job whose artifacts hold this job's results (cache hits)
    lease_owner: str | None = None
    lease_expires_at: AwareDatetime | None = None

    @property
    def results_job_id(self) -> str:
        return self.results_from or self.id

    @property
    def duration_s(self) -> float | None:
        if self.started_at is None:
            return None
        return ((self.finished_at or utcnow()) - self.started_at).total_seconds()


MAX_SEARCH = 1000  # far beyond any job name typed, far below SQLite's limit on LIKE patterns (50,000 bytes)


class JobQuery(BaseModel):
    """Filters and paging for job lists: newest first."""

    model_config = ConfigDict(extra="forbid")

    status: JobStatus | None = None
    task_type: str | None = None
    owner: str | None = None
    search: str | None = Field(
        None, max_length=MAX_SEARCH, description="case-insensitive substring of the job name (names are at most 200)"
    )
    limit: int = Field(50, ge=1, le=1000)
    offset: int = Field(0, ge=0)


class JobPage(BaseModel):
    """One page of jobs and the total number matching the query."""

    jobs: list[Job]
    total: int
