"""Result documents stored by the version before typed results still read: through the models, the exports, the CLI.

tests/data/legacy/ holds the `result.json` of one job per task (and one job record's `result` summary) exactly as
the worker wrote them before the typed models: the fixture engine's carazolol prediction, run through each task.
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from omtx_core.analysis.models import FailedVariant, VariantRow
from omtx_core.cli_jobs import _describe
from omtx_core.domain.job import Job, JobStatus
from omtx_core.domain.results import AnalysisFailed, JobSummary, ResultDocument, TaskAnalysis
from omtx_core.jobs.export import metrics_rows
from omtx_core.tasks import TASKS, task_analysis_model
from omtx_core.tasks.binding_site_prediction import BindingSiteAnalysis
from omtx_core.tasks.drug_discovery import ScreenAnalysis
from omtx_core.tasks.protein_complex import ComplexAnalysis
from omtx_core.tasks.protein_ligand_binding import BindingAnalysis
from omtx_core.tasks.variant_comparison import VariantAnalysis

LEGACY = Path(__file__).resolve().parents[1] / "data" / "legacy"
FAILED_ANALYSIS = "protein_ligand_binding_analysis_failed"
CARAZOLOL_PIC50 = 6 + 4.068795204162598


def legacy_bytes(name: str) -> bytes:
    return (LEGACY / f"{name}.json").read_bytes()


def legacy(task: str, name: str | None = None) -> ResultDocument:
    return ResultDocument.read(legacy_bytes(name or task), task_analysis_model(task))


def job_of(task: str, result: dict[str, Any] | None = None) -> Job:
    return Job(owner="local", task_type=task, job_name=f"legacy {task}", input={}, input_hash="x",
               status=JobStatus.COMPLETED, result=result)  # fmt: skip


def contained(old: Any, new: Any, where: str = "") -> list[str]:
    """Where `new` lacks or changes something `old` holds (extra keys in `new` are fine)."""
    if isinstance(old, dict):
        return [p for key in old for p in (contained(old[key], new[key], f"{where}/{key}") if key in new
                                           else [f"{where}/{key} missing"])]  # fmt: skip
    if isinstance(old, list):
        lengths = [] if len(old) == len(new) else [f"{where} length"]
        return lengths + [
            p for i, (a, b) in enumerate(zip(old, new, strict=False)) for p in contained(a, b, f"{where}[{i}]")
        ]
    return [] if old == new else [f"{where}: {old!r} became {new!r}"]


def test_there_is_a_legacy_document_for_every_task():
    assert {path.stem for path in LEGACY.glob("*.json")} >= set(TASKS) | {FAILED_ANALYSIS}


@pytest.mark.parametrize("task", [*TASKS, FAILED_ANALYSIS])
def test_a_legacy_document_reads_and_writes_back_every_field_it_had(task):
    name, task = task, task.removesuffix("_analysis_failed")
    document = legacy(task, name)
    assert document.runs and all(run.models for run in document.runs.values())
    assert contained(json.loads(legacy_bytes(name)), document.model_dump(mode="json")) == []


def test_legacy_binding_analysis_is_typed_with_its_numbers():
    document = legacy("protein_ligand_binding")
    (run,) = document.runs.values()
    assert run.affinity.pic50 == pytest.approx(CARAZOLOL_PIC50) and run.best.structure_path.endswith(".cif")
    assert [c.id for c in run.chains] == ["A", "L"] and run.best.chains_ptm.keys() == {"A", "L"}
    analysis = document.analysis
    assert isinstance(analysis, BindingAnalysis)
    asp113 = next(c for c in analysis.contacts if c.residue == "A:113:ASP")
    assert {"hydrogen_bond", "salt_bridge"} <= set(asp113.kinds) and asp113.distance_A <= 4.0
    assert [c.satisfied for c in analysis.pocket_check] == [True]


def test_legacy_task_analyses_of_the_other_tasks():
    assert type(legacy("protein_structure").analysis) is TaskAnalysis
    (interface,) = legacy("protein_complex").analysis.interfaces
    assert isinstance(legacy("protein_complex").analysis, ComplexAnalysis) and interface.chains == ["A", "L"]
    assert interface.directed(interface.iptm, "L", "A") == pytest.approx(0.989, abs=1e-3)
    sites = legacy("binding_site_prediction").analysis
    assert isinstance(sites, BindingSiteAnalysis) and sites.pockets[0].id == "P1" and sites.ligand_pocket == "P1"
    assert "A:113:ASP" in sites.pockets[0].residues and sites.contacts and "pLDDT" in sites.score
    variants = legacy("variant_comparison").analysis
    assert isinstance(variants, VariantAnalysis)
    (row,) = variants.variants
    assert isinstance(row, VariantRow) and row.mutations == "D113A" and row.tm_score == pytest.approx(1.0)
    assert len(row.per_residue_plddt_change) == 413 and row.noise is None and row.site_deviation[0].position == 113


def test_legacy_screen_rows_and_failed_run():
    document = legacy("drug_discovery")
    analysis = document.analysis
    assert isinstance(analysis, ScreenAnalysis)
    assert [(r.rank, r.name, r.status) for r in analysis.rows] == [(1, "carazolol", "done"), (2, "aspirin", "failed")]
    assert analysis.rows[0].pic50 == pytest.approx(10.069) and analysis.rows[0].pocket_plddt == pytest.approx(90.7)
    assert analysis.summary.n_hits == 1 and analysis.summary.best_compound == "carazolol"
    (failure,) = document.failed_runs.values()
    assert "out of memory" in failure.message and failure.hint


def test_a_legacy_failed_analysis_reads_as_failed_whatever_the_task():
    document = legacy("protein_ligand_binding", FAILED_ANALYSIS)
    assert isinstance(document.analysis, AnalysisFailed) and "ValueError" in document.analysis.error


def test_legacy_metrics_rows_in_lab_units():
    rows = metrics_rows(job_of("drug_discovery"), legacy("drug_discovery"))
    assert [(r["run"], r["status"]) for r in rows] == [("c00001_carazolol", "completed"), ("c00002_aspirin", "failed")]
    assert rows[0]["pIC50"] == pytest.approx(CARAZOLOL_PIC50) and rows[0]["IC50_nM"] == pytest.approx(0.08535, rel=1e-3)
    assert rows[0]["mean_pLDDT_0_100"] == pytest.approx(78.87, abs=1e-2)  # 0–100, the scale people read
    assert "out of memory" in rows[1]["failure_reason"] and rows[1]["pIC50"] is None


def test_legacy_job_summary_reads_typed_and_the_cli_describes_it():
    result = json.loads(legacy_bytes("drug_discovery_job_summary"))
    summary = JobSummary.read(result)
    assert summary.runs_completed == 1 and summary.runs_failed == 1
    assert summary.best_pic50() == pytest.approx(CARAZOLOL_PIC50) and summary.best_confidence() == pytest.approx(
        0.8288, abs=1e-4
    )
    text = _describe(job_of("drug_discovery", result))
    assert "c00001_carazolol: confidence_score 0.829" in text and "pic50 10.069" in text
    assert "c00002_aspirin: failed: Run c00002_aspirin produced no structure" in text


def test_documents_from_other_versions_read_where_harmless():
    raw = json.loads(legacy_bytes("protein_ligand_binding"))
    raw["written_by"] = "a newer version"  # unknown fields are ignored, at every level
    run = raw["runs"]["binding"]
    run["models"][0]["new_score"] = 0.5
    for key in ("pic50", "ic50_um", "ic50_nm", "delta_g_kcal_mol", "affinity_pred_value1"):
        del run["affinity"][key]  # an older version's affinity: the lab units are derived again
    del run["models"][0]["plddt_mean"]
    raw["analysis"]["contacts"][0]["new_kind"] = "x"
    del raw["analysis"]["pocket_check"]
    del raw["failed_runs"]
    document = ResultDocument.read(raw, BindingAnalysis)
    affinity = document.runs["binding"].affinity
    assert affinity.pic50 == pytest.approx(CARAZOLOL_PIC50) and affinity.affinity_pred_value1 is None
    assert affinity.ic50_nm == pytest.approx(0.08535, rel=1e-3) and affinity.delta_g_kcal_mol == pytest.approx(
        -13.73, abs=0.01
    )
    assert document.runs["binding"].best.plddt_mean is None and document.failed_runs == {}
    assert document.analysis.pocket_check is None and document.analysis.contacts[0].residue == "A:113:ASP"
    assert ResultDocument.read(b'{"runs": {}}', BindingAnalysis).analysis == BindingAnalysis()  # an import's


def test_csv_of_a_legacy_document_has_one_row_per_run_and_model():
    from omtx_core.jobs.export import METRIC_COLUMNS, metrics_csv

    text = metrics_csv(job_of("variant_comparison"), legacy("variant_comparison"))
    records = list(csv.DictReader(io.StringIO(text)))
    assert tuple(records[0]) == METRIC_COLUMNS
    assert [(r["run"], r["status"], r["model_rank"]) for r in records] == [
        ("wildtype", "completed", "0"),
        ("variant_D113A", "completed", "0"),
    ]
    assert float(records[0]["pIC50"]) == pytest.approx(CARAZOLOL_PIC50)


def test_unknown_task_types_read_with_the_plain_base():
    document = ResultDocument.read(legacy_bytes("protein_complex"), task_analysis_model("a_future_task"))
    assert type(document.analysis) is TaskAnalysis and document.runs


def test_variant_rows_tell_a_failed_variant_from_a_compared_one():
    raw = json.loads(legacy_bytes("variant_comparison"))
    failed = {"name": "N312A", "run": "variant_N312A", "mutations": "N312A", "failure": "Out of memory."}
    raw["analysis"]["variants"].append(failed)
    rows = ResultDocument.read(raw, VariantAnalysis).analysis.variants
    assert [type(row) for row in rows] == [VariantRow, FailedVariant]
    assert VariantAnalysis(variants=rows).model_dump(mode="json")["variants"][1] == failed  # no invented fields


def test_reading_results_loads_no_structure_numeric_or_chemistry_package():
    """The CLI and the job list read documents and summaries: their models must not pull in gemmi, numpy or RDKit."""
    code = (
        "import json, sys\n"
        "from omtx_core.domain.results import ResultDocument\n"
        "from omtx_core.tasks import task_analysis_model\n"
        f"ResultDocument.read(open({str(LEGACY / 'drug_discovery.json')!r}, 'rb').read(), "
        "task_analysis_model('drug_discovery'))\n"
        "print(json.dumps([m for m in ('gemmi', 'numpy', 'rdkit', 'pyKVFinder') if m in sys.modules]))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(result.stdout) == []
