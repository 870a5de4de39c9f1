"""Every task's analysis runs in the worker on real fixture output, is stored with the results, and reads back typed."""

from __future__ import annotations

import json
from functools import cache

import gemmi
import pytest

from omtx_core.analysis.models import VariantRow
from omtx_core.domain.job import JobStatus
from omtx_core.domain.results import AnalysisFailed, TaskAnalysis
from omtx_core.tasks.binding_site_prediction import BindingSiteAnalysis
from omtx_core.tasks.drug_discovery import ScreenAnalysis
from omtx_core.tasks.protein_complex import ComplexAnalysis
from omtx_core.tasks.protein_ligand_binding import BindingAnalysis
from omtx_core.tasks.variant_comparison import VariantAnalysis
from tests.boltz_fixture_output import AFFINITY_CASE, AFFINITY_NAME
from tests.examples import ASPIRIN, CARAZOLOL
from tests.services import job_service


@cache
def b2ar() -> str:
    """The β2-adrenergic receptor sequence of the fixture's structure (the stand-in always returns that fold)."""
    path = AFFINITY_CASE / "predictions" / AFFINITY_NAME / f"{AFFINITY_NAME}_model_0.cif"
    structure = gemmi.read_structure(str(path))
    return gemmi.one_letter_code([r.name for r in structure[0]["A"]])


def run_job(store, artifacts, worker, task: str, data: dict) -> TaskAnalysis:
    """The job's analysis as the job service reads it (typed by the task), checked against the stored JSON."""
    job = job_service(store).submit(task, data).job
    done = worker.run_once()
    assert done.id == job.id and done.status == JobStatus.COMPLETED, done.error
    analysis = job_service(store, artifacts).result_document(done).analysis
    assert not isinstance(analysis, AnalysisFailed), analysis
    stored = json.loads(artifacts.get(f"results/{job.id}/result.json"))["analysis"]
    assert stored == analysis.model_dump(mode="json")  # the worker writes the model, field for field
    return analysis


def test_binding_contacts_and_pocket_check(store, artifacts, worker):
    data = {"protein_sequence": b2ar(), "ligand_smiles": CARAZOLOL, "pocket_residues": [113, 312]}
    analysis = run_job(store, artifacts, worker, "protein_ligand_binding", data)
    assert isinstance(analysis, BindingAnalysis)
    contacts = {c.residue: c for c in analysis.contacts}
    assert "A:113:ASP" in contacts and "hydrogen_bond" in contacts["A:113:ASP"].kinds
    assert [c.satisfied for c in analysis.pocket_check] == [True, True]


def test_binding_site_pockets_and_ligand_pocket(store, artifacts, worker):
    analysis = run_job(store, artifacts, worker, "binding_site_prediction",
                       {"protein_sequence": b2ar(), "ligand_smiles": CARAZOLOL})  # fmt: skip
    assert isinstance(analysis, BindingSiteAnalysis)
    assert analysis.pockets[0].id == "P1" and analysis.ligand_pocket == "P1" and analysis.score
    assert any(c.residue == "A:113:ASP" for c in analysis.contacts)


def test_complex_interfaces(store, artifacts, worker):
    chains = [{"type": "protein", "sequence": b2ar()}, {"type": "ligand", "smiles": CARAZOLOL}]
    analysis = run_job(store, artifacts, worker, "protein_complex", {"chains": chains})
    assert isinstance(analysis, ComplexAnalysis)
    (interface,) = analysis.interfaces
    assert set(interface.chains) == {"A", "L"} and interface.contacts > 0  # the stand-in's chains
    assert interface.iptm["L→A"] == pytest.approx(0.989, abs=1e-3)


def test_variants_against_the_wildtype(store, artifacts, worker):
    data = {"wildtype_sequence": b2ar(), "variants": [{"mutations": "D113A"}, {"mutations": "N312A"}]}
    analysis = run_job(store, artifacts, worker, "variant_comparison", data)
    assert isinstance(analysis, VariantAnalysis)
    assert [v.name for v in analysis.variants] == ["D113A", "N312A"]
    assert all(isinstance(v, VariantRow) for v in analysis.variants)
    assert all(v.tm_score == pytest.approx(1.0) and v.rmsd_A == pytest.approx(0.0, abs=1e-3)
               for v in analysis.variants)  # fmt: skip


def test_screen_rows_ranked_with_summary(store, artifacts, worker, engine):
    data = {"protein_sequence": b2ar(), "compounds": [{"name": "aspirin", "smiles": ASPIRIN},
                                                      {"name": "carazolol", "smiles": CARAZOLOL}]}  # fmt: skip
    engine.missing_runs = ("c00001_aspirin",)
    analysis = run_job(store, artifacts, worker, "drug_discovery", data)
    assert isinstance(analysis, ScreenAnalysis)
    rows = analysis.rows
    assert [(r.rank, r.name, r.status) for r in rows] == [(1, "carazolol", "done"), (2, "aspirin", "failed")]
    assert rows[0].pic50 == pytest.approx(10.069, abs=1e-3) and "out of memory" in rows[1].failure
    assert rows[0].pocket_plddt == pytest.approx(90.7, abs=0.05)
    assert analysis.summary.n_hits == 1 and analysis.summary.n_failed == 1


def test_a_failing_analysis_keeps_the_predictions_and_reads_as_failed(store, artifacts, worker, monkeypatch):
    from omtx_core.tasks.protein_ligand_binding import ProteinLigandBindingInput

    def broken(self, plan, predictions, failures):
        raise ValueError("no ligand atoms")

    monkeypatch.setattr(ProteinLigandBindingInput, "analyse", broken)
    job = job_service(store).submit("protein_ligand_binding", {"protein_sequence": b2ar(), "ligand_ccd": "ATP"}).job
    done = worker.run_once()
    assert done.id == job.id and done.status == JobStatus.COMPLETED
    document = job_service(store, artifacts).result_document(done)
    assert isinstance(document.analysis, AnalysisFailed) and "ValueError: no ligand atoms" in document.analysis.error
    assert document.runs and document.runs[next(iter(document.runs))].affinity is not None
