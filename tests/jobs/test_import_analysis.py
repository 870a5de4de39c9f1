"""Imported Boltz output is analysed as a run of its task would be: contacts, interfaces, chains by type."""

from __future__ import annotations

import pytest

from omtx_core.analysis.interfaces import chain_pair_interfaces
from omtx_core.domain.identity import LOCAL_OWNER
from omtx_core.domain.job import JobStatus
from omtx_core.domain.results import AnalysisFailed
from omtx_core.errors import InputError
from omtx_core.tasks import task_model
from omtx_core.tasks.protein_complex import ComplexAnalysis
from omtx_core.tasks.protein_ligand_binding import BindingAnalysis
from tests.boltz_fixture_output import AFFINITY_CASE, AFFINITY_NAME, FIXTURES
from tests.examples import CARAZOLOL
from tests.renamed_chains import renamed_case, screen_case
from tests.services import job_service

PMHC = FIXTURES / "BOLTZ1_multichain_pmhc_4chain" / "boltz_results_input_folder"
CARAZOLOL_PIC50 = 6 + 4.068795204162598


def imported(store, artifacts, source):
    """The imported job and its result document, read through the job service as the app reads them."""
    service = job_service(store, artifacts)
    job = service.import_results(source)
    return job, service.result_document(job)


def log_of(artifacts, job) -> str:
    return artifacts.get(f"logs/{job.id}/engine.log").decode()


def test_an_imported_binding_prediction_has_the_contacts_a_run_of_its_input_has(store, artifacts, worker):
    job, document = imported(store, artifacts, AFFINITY_CASE)
    assert job.task_type == "protein_ligand_binding" and isinstance(document.analysis, BindingAnalysis)
    run = job_service(store, artifacts).submit(job.task_type, job.input).job  # the same input, run here
    assert worker.run_once().status == JobStatus.COMPLETED
    ran = job_service(store, artifacts).result_document(store.get(run.id)).analysis
    assert document.analysis.contacts and document.analysis == ran
    assert document.analysis.contacts[0].residue == "A:113:ASP"


def test_an_imported_complex_has_its_interfaces(store, artifacts, pmhc):
    job, document = imported(store, artifacts, PMHC)
    assert job.task_type == "protein_complex" and isinstance(document.analysis, ComplexAnalysis)
    expected = chain_pair_interfaces(pmhc)
    assert document.analysis.interfaces == expected and len(expected) >= 3


def test_chains_named_by_the_author_are_found_by_their_types(store, artifacts, tmp_path):
    job, document = imported(store, artifacts, renamed_case(tmp_path, {"A": "R", "L": "X"}))
    assert job.task_type == "protein_ligand_binding" and job.input["ligand_smiles"]
    assert document.analysis.contacts[0].residue == "R:113:ASP"


def test_the_log_says_how_the_ligand_smiles_was_recovered(store, artifacts):
    job, _ = imported(store, artifacts, AFFINITY_CASE)
    log = log_of(artifacts, job)
    assert "chain L" in log and "recovered from its coordinates" in log and "bond orders perceived" in log


@pytest.fixture
def unrecoverable(monkeypatch):
    """Bond orders that cannot be recovered from the ligand's coordinates."""
    monkeypatch.setattr("omtx_core.jobs.import_input.recover_smiles", lambda atoms: None)


def test_a_ligand_without_recoverable_bond_orders_is_still_a_binding_job(store, artifacts, unrecoverable):
    job, document = imported(store, artifacts, AFFINITY_CASE)
    assert job.task_type == "protein_ligand_binding" and job.input["ligand_unknown"] is True
    assert job.input["ligand_smiles"] is None and job.input["ligand_ccd"] is None
    assert document.runs[AFFINITY_NAME].affinity.pic50 == pytest.approx(CARAZOLOL_PIC50)  # the affinity is kept
    assert document.analysis.contacts[0].residue == "A:113:ASP"  # contacts from the ligand's coordinates
    assert "SMILES is unknown" in log_of(artifacts, job)
    model = task_model(job.task_type)
    assert model.model_validate(job.input).model_dump(mode="json") == job.input  # the stored input validates


def test_a_rerun_of_an_unknown_ligand_asks_for_its_smiles(store, artifacts, unrecoverable):
    service = job_service(store, artifacts)
    job = service.import_results(AFFINITY_CASE)
    with pytest.raises(InputError) as refused:
        service.rerun(job.id)
    (problem,) = refused.value.problems
    assert problem.field == "ligand_smiles" and "SMILES" in problem.message and problem.hint
    rerun = service.rerun(job.id, {"ligand_smiles": CARAZOLOL}).job
    assert rerun.status == JobStatus.PENDING and "ligand_unknown" not in rerun.input


def test_an_analysis_that_fails_keeps_the_import_and_says_why(store, artifacts, monkeypatch):
    from omtx_core.tasks.protein_ligand_binding import ProteinLigandBindingInput

    def broken(self, plan, predictions, failures):
        raise ValueError("no ligand atoms")

    monkeypatch.setattr(ProteinLigandBindingInput, "analyse", broken)
    job, document = imported(store, artifacts, AFFINITY_CASE)
    assert job.status == JobStatus.COMPLETED and document.runs[AFFINITY_NAME].affinity is not None
    assert isinstance(document.analysis, AnalysisFailed) and "ValueError: no ligand atoms" in document.analysis.error
    assert "analysis of the predicted structures failed: ValueError" in log_of(artifacts, job)


def test_imports_by_owner_are_analysed_too(store, artifacts):
    from omtx_core.jobs.importer import import_boltz_results

    job = import_boltz_results(PMHC, store=store, artifacts=artifacts, owner=LOCAL_OWNER)
    assert job_service(store, artifacts).result_document(job).analysis.interfaces


def test_several_predictions_of_one_target_with_ligands_are_a_screen_with_its_table(store, artifacts, tmp_path):
    job, document = imported(store, artifacts, screen_case(tmp_path))
    assert job.task_type == "drug_discovery"
    assert [(c["name"], c["smiles"]) for c in job.input["compounds"]] == [
        ("amino_analogue", "CC(C)NC[C@H](N)COc1cccc2[nH]c3ccccc3c12"),
        ("carazolol", "CC(C)NC[C@H](O)COc1cccc2[nH]c3ccccc3c12"),
    ]
    rows = document.analysis.rows
    assert {row.run for row in rows} == set(document.runs) == {"amino_analogue", "carazolol"}  # as stored
    assert all(row.status == "done" and row.pic50 == pytest.approx(CARAZOLOL_PIC50, abs=1e-3) for row in rows)
    assert document.analysis.summary.n_hits == 2
