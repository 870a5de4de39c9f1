"""The result document a job stores (`result.json`) and the summary on its record, as typed models.

    result.json   {"runs": {run: RunSummary}, "failed_runs": {run: RunFailure}, "analysis": <the task's analysis>}
    Job.result    {"runs_completed", "runs_failed", "runs": {run: RunNumbers}, "failed_runs": {run: RunFailure}}

Each task names its own analysis model (`TaskInput.analysis_model`, a subclass of TaskAnalysis); a reader resolves
it from the job's task type and passes it to `ResultDocument.read`. An analysis that raised is stored as
`{"error": ...}` and reads as AnalysisFailed, whatever the task. Documents written by older or newer versions
still read: unknown fields are ignored and missing optional ones take their defaults. Light: pydantic only.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SerializeAsAny

from omtx_core.domain.runs import RunFailure, RunSummary


class _Record(BaseModel):
    model_config = ConfigDict(extra="ignore")


class TaskAnalysis(_Record):
    """A task's own analysis of its predictions; this base (no fields) serves tasks without one."""


class AnalysisFailed(TaskAnalysis):
    """The task's analysis raised: the predictions are kept, and this says why their analysis is missing."""

    error: str


def read_analysis(data: Any, model: type[TaskAnalysis] = TaskAnalysis) -> TaskAnalysis:
    """A stored analysis (a dict, or nothing for a job that was never analysed) as `model`, or AnalysisFailed."""
    if isinstance(data, TaskAnalysis):
        return data
    if isinstance(data, dict) and "error" in data:
        return AnalysisFailed.model_validate(data)
    return model.model_validate(data or {})


class ResultDocument(_Record):
    """A completed job's full results: every run's numbers, every failed run, and the task's analysis."""

    runs: dict[str, RunSummary] = Field(default_factory=dict)
    failed_runs: dict[str, RunFailure] = Field(default_factory=dict)
    # SerializeAsAny: dump the task's own fields, not only those of the declared base.
    analysis: SerializeAsAny[TaskAnalysis] = Field(default_factory=TaskAnalysis)

    @classmethod
    def read(
        cls, data: bytes | str | dict[str, Any], analysis_model: type[TaskAnalysis] = TaskAnalysis
    ) -> ResultDocument:
        """Parse a stored document, reading its analysis as `analysis_model` (the job's task's model)."""
        raw = json.loads(data) if isinstance(data, bytes | str) else dict(data)
        raw["analysis"] = read_analysis(raw.get("analysis"), analysis_model)
        return cls.model_validate(raw)


class RunNumbers(_Record):
    """The key numbers of one run kept on the job record for lists (best model; affinity when scored)."""

    confidence_score: float | None = None
    ptm: float | None = None
    iptm: float | None = None
    complex_plddt: float | None = None
    pic50: float | None = None
    binder_probability: float | None = None


class JobSummary(_Record):
    """The compact result on a job record (`Job.result`, stored as a plain dict): counts, numbers, failures."""

    runs_completed: int = 0
    runs_failed: int = 0
    runs: dict[str, RunNumbers] = Field(default_factory=dict)
    failed_runs: dict[str, RunFailure] = Field(default_factory=dict)

    @classmethod
    def read(cls, result: dict[str, Any] | None) -> JobSummary | None:
        """The summary of a job record's `result`; None for a job without one (not finished, or failed)."""
        return None if result is None else cls.model_validate(result)

    def best_pic50(self) -> float | None:
        values = [run.pic50 for run in self.runs.values() if run.pic50 is not None]
        return max(values, default=None)

    def best_confidence(self) -> float | None:
        values = [run.confidence_score for run in self.runs.values() if run.confidence_score is not None]
        return max(values, default=None)
