"""`python -m omtx_core import PATH` and `jobs result ID`: Boltz output made elsewhere in, a job's results out.

Both go through the caller's JobService, as the app does: an import is refused for the same reasons as an upload
(unsafe or foreign archives), and a result is the same typed document the job page reads.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from omtx_core.cli_jobs import shown
from omtx_core.domain.job import Job
from omtx_core.domain.results import AnalysisFailed, ResultDocument, TaskAnalysis
from omtx_core.domain.runs import RunSummary

_LISTED = 10  # rows of a table shown in the readable summary; --json has them all


def add_import_command(commands: argparse._SubParsersAction) -> None:
    """Register `import PATH [--name NAME]` on the main parser."""
    command = commands.add_parser(
        "import", help="store Boltz output made elsewhere (a ZIP or a folder) as a completed, analysed job; "
        "prints its id on the last line"
    )  # fmt: skip
    command.add_argument("path", type=Path, help="a ZIP of a boltz_results_<name> folder, or the folder itself")
    command.add_argument("--name", help="the job's name (default: Imported: <prediction name>)")
    command.set_defaults(handler=_import)


def add_result_command(jobs: argparse._SubParsersAction) -> None:
    """Register `jobs result ID [--json]` on the `jobs` parser."""
    result = jobs.add_parser("result", help="a completed job's results: every run, affinity, the task's analysis")
    result.add_argument("id")
    result.add_argument("--json", action="store_true", help="the whole typed result document as JSON")
    result.set_defaults(handler=_result)


def _import(args: argparse.Namespace) -> int:
    jobs = args.ctx.jobs
    job = jobs.import_results(args.path, job_name=args.name)
    for line in (jobs.engine_log(job) or "").splitlines():  # what was inferred, and how the ligand was read
        print(shown(line.removeprefix("[omtx] ")), file=sys.stderr)
    print(shown(f"{job.job_name} ({job.task_type}): {job.progress_done} prediction(s) imported"))
    print(job.id)
    return 0


def _result(args: argparse.Namespace) -> int:
    jobs = args.ctx.jobs
    job = jobs.get(args.id)
    document = jobs.result_document(job)  # a job that has not completed is refused with its status
    if args.json:
        data = {"job_id": job.id, "job_name": job.job_name, "task_type": job.task_type}
        print(shown(json.dumps({**data, **document.model_dump(mode="json")}, indent=2), lines=True))
        return 0
    for line in describe_result(job, document):
        print(shown(line))  # each line whole: a stored text cannot start a new one
    return 0


def describe_result(job: Job, document: ResultDocument) -> list[str]:
    """A readable summary of a result document: each run's numbers, then the task's analysis."""
    lines = [f"{job.job_name} ({job.task_type}), job {job.id}"]
    for run in document.runs.values():
        lines += _run_lines(run)
    lines += [f"run {name}: failed: {failure.message}" for name, failure in document.failed_runs.items()]
    return lines + _analysis_lines(document.analysis)


def _run_lines(run: RunSummary) -> list[str]:
    chains = ", ".join(f"{c.id} {c.type} ({c.length})" for c in run.chains)
    lines = [f"run {run.name}: {len(run.models)} model(s); chains {chains}"]
    if run.models:
        best = run.models[0]
        plddt = "—" if best.plddt_mean is None else f"{best.plddt_mean * 100:.1f} (0–100)"
        lines.append(f"  best model: confidence {best.confidence_score:.3f}, pTM {_number(best.ptm)}, "
                     f"ipTM {_number(best.iptm)}, mean pLDDT {plddt}")  # fmt: skip
    if run.affinity is not None:
        a = run.affinity
        lines.append(f"  affinity: pIC50 {a.pic50:.2f} (IC50 {a.ic50_nm:.3g} nM, ΔG {a.delta_g_kcal_mol:.1f} "
                     f"kcal/mol), binder probability {a.affinity_probability_binary:.3f}")  # fmt: skip
    return lines


def _analysis_lines(analysis: TaskAnalysis) -> list[str]:
    """The task's analysis, field by field: the tables it holds (contacts, pockets, interfaces, variants, compounds)
    with their first rows, and its other values."""
    if isinstance(analysis, AnalysisFailed):
        return [f"analysis: failed: {analysis.error}"]
    lines = []
    for name, value in analysis:
        if isinstance(value, list):
            lines.append(f"{name}: {len(value)} row(s)")
            lines += [f"  {_row(item)}" for item in value[:_LISTED]]
            lines += [f"  … {len(value) - _LISTED} more (--json lists them all)"] if len(value) > _LISTED else []
        elif value is not None and value != "" and not hasattr(value, "model_dump"):
            lines.append(f"{name}: {value}")
        elif value is not None and value != "":
            lines.append(f"{name}: {_row(value)}")
    return lines or ["analysis: none for this task"]


def _row(item) -> str:
    """One analysis row in a line: its scalar fields (numbers rounded), without its long lists."""
    values = item.model_dump(mode="json") if hasattr(item, "model_dump") else item
    if not isinstance(values, dict):
        return str(values)
    parts = [f"{key} {_value(value)}" for key, value in values.items() if _short(value)]
    return ", ".join(parts)


def _short(value) -> bool:
    if isinstance(value, list):
        return 0 < len(value) <= 6 and all(isinstance(v, str | int | float) for v in value)
    if isinstance(value, dict):
        return 0 < len(value) <= 6 and all(isinstance(v, str | int | float) for v in value.values())
    return value is not None and value != ""


def _value(value) -> str:
    if isinstance(value, float):
        return f"{value:.3g}"
    if isinstance(value, list):
        return "/".join(_value(v) for v in value)
    if isinstance(value, dict):
        return " ".join(f"{k} {_value(v)}" for k, v in value.items())
    return str(value)


def _number(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"
