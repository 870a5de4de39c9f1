"""Turn an engine's Boltz output folders into stored artifacts, a result document and a job summary."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from omtx_core.boltz.logs import explain_missing_output
from omtx_core.boltz.outputs import parse_boltz_output, summarize_prediction
from omtx_core.boltz.results import BoltzPrediction
from omtx_core.domain.layout import JobFiles
from omtx_core.domain.results import JobSummary, ResultDocument, RunNumbers, TaskAnalysis
from omtx_core.domain.runs import RunFailure
from omtx_core.errors import BoltzOutputError
from omtx_core.store.base import ArtifactStore


@dataclass
class CollectedResults:
    """Predictions found for the expected runs, and a plain-words reason for every run without one."""

    predictions: dict[str, BoltzPrediction] = field(default_factory=dict)
    failures: dict[str, RunFailure] = field(default_factory=dict)

    @property
    def all_failed(self) -> bool:
        return not self.predictions


def collect(result_dirs: list[Path], expected_runs: list[str], log: str) -> CollectedResults:
    """Find each expected run's prediction folder; a missing or unreadable one is a failed run, never zeros."""
    folders = {p.name: p for d in result_dirs for p in _prediction_dirs(d)}
    collected = CollectedResults()
    for run in expected_runs:
        folder = folders.get(run)
        if folder is None:
            message, hint = explain_missing_output(log, run)
            collected.failures[run] = RunFailure(message=message, hint=hint)
            continue
        try:
            (prediction,) = parse_boltz_output(folder)
            summarize_prediction(prediction)  # loads the pLDDT arrays now, so a broken one fails this run alone
            collected.predictions[run] = prediction
        except BoltzOutputError as exc:
            collected.failures[run] = RunFailure(message=f"Run {run}: {exc.message}", hint=exc.hint)
    return collected


def _prediction_dirs(result_dir: Path) -> list[Path]:
    predictions = result_dir / "predictions"
    return sorted(p for p in predictions.iterdir() if p.is_dir()) if predictions.is_dir() else []


def result_files(job_id: str, collected: CollectedResults) -> list[tuple[str, Path]]:
    """(artifact key, local file) of every file `store_results` uploads, in Boltz's own layout."""
    files = JobFiles(job_id)
    found = []
    for run, prediction in collected.predictions.items():
        found += [(files.prediction_file(run, p.name), p) for p in sorted(prediction.folder.iterdir()) if p.is_file()]
        record = prediction.folder.parent.parent / "processed" / "records" / f"{run}.json"
        if record.is_file():
            found.append((files.record(run), record))
    return found


def stored_keys(job_id: str, collected: CollectedResults) -> list[str]:
    """The keys `store_results` writes, known before anything is written (the result document last)."""
    return [key for key, _ in result_files(job_id, collected)] + [JobFiles(job_id).result_document]


def store_results(
    job_id: str, collected: CollectedResults, artifacts: ArtifactStore, analysis: TaskAnalysis | None = None
) -> list[str]:
    """Upload each prediction in Boltz's own layout, then `result.json` (with the task's analysis); return the keys.

    The result document goes last: a reader who finds it finds every file it points at.
    """
    for key, path in result_files(job_id, collected):
        artifacts.put(key, path.read_bytes())
    document = result_document(job_id, collected, analysis)
    artifacts.put(JobFiles(job_id).result_document, document.model_dump_json().encode(), "application/json")
    return stored_keys(job_id, collected)


def result_document(job_id: str, collected: CollectedResults, analysis: TaskAnalysis | None = None) -> ResultDocument:
    """Every run's full summary (structure paths as artifact keys), every failure, and the task's analysis."""
    files = JobFiles(job_id)
    runs = {}
    for run, prediction in collected.predictions.items():
        summary = summarize_prediction(prediction)
        for model in summary.models:
            model.structure_path = files.prediction_file(run, Path(model.structure_path).name)
        runs[run] = summary
    return ResultDocument(runs=runs, failed_runs=collected.failures, analysis=analysis or TaskAnalysis())


def job_summary(collected: CollectedResults) -> JobSummary:
    """The compact result kept on the job record for lists: key numbers per run, and the failures."""
    runs = {run: _run_numbers(prediction) for run, prediction in collected.predictions.items()}
    return JobSummary(runs_completed=len(runs), runs_failed=len(collected.failures), runs=runs,
                      failed_runs=collected.failures)  # fmt: skip


def _run_numbers(prediction: BoltzPrediction) -> RunNumbers:
    best, affinity = prediction.best, prediction.affinity
    return RunNumbers(
        confidence_score=best.confidence_score, ptm=best.ptm, iptm=best.iptm, complex_plddt=best.complex_plddt,
        pic50=affinity.pic50 if affinity else None,
        binder_probability=affinity.affinity_probability_binary if affinity else None,
    )  # fmt: skip


def read_result_document(
    results_job_id: str, artifacts: ArtifactStore, hot=None, analysis_model: type[TaskAnalysis] = TaskAnalysis
) -> ResultDocument:
    """A finished job's result document (shared by its cache hits), its analysis read as `analysis_model` (the
    model of the job's task), through the Redis hot cache when given."""
    key = JobFiles(results_job_id).result_document
    data = hot.get_or_load(key, lambda: artifacts.get(key)) if hot is not None else artifacts.get(key)
    return ResultDocument.read(data, analysis_model)
