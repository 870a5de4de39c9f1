"""The job service over a real SQLite store: submit, cache hits, list, cancel, re-run, delete."""

from __future__ import annotations

import pytest

from omtx_core.domain.job import JobQuery, JobStatus
from omtx_core.errors import IllegalTransition, InputError, JobNotFound
from omtx_core.tasks.protein_ligand_binding import BindingAnalysis
from tests.examples import LYSOZYME, UBIQUITIN, VALID_INPUTS
from tests.services import job_service


def test_submit_stores_a_pending_job_with_normalised_input(store):
    submission = job_service(store).submit("protein_structure", {"protein_sequence": UBIQUITIN.lower()})
    job = store.get(submission.job.id)
    assert job.status == JobStatus.PENDING and job.input["protein_sequence"] == UBIQUITIN
    assert job.progress_total == 1 and job.input_hash and job.options["diffusion_samples"] == 1
    assert [run.name for run in submission.plan.runs] == ["structure"]


def test_invalid_input_stores_nothing(store):
    with pytest.raises(InputError):
        job_service(store).submit("protein_structure", {"protein_sequence": "MK1"})
    assert store.list(JobQuery()).total == 0


def test_job_name_does_not_change_the_input_hash(store):
    a = job_service(store).submit("protein_structure", {"protein_sequence": UBIQUITIN, "job_name": "a"}).job
    b = job_service(store).submit("protein_structure", {"protein_sequence": UBIQUITIN, "job_name": "b"}).job
    c = job_service(store).submit("protein_structure", {"protein_sequence": UBIQUITIN, "options": {"seed": 1}}).job
    assert a.input_hash == b.input_hash != c.input_hash


def test_identical_resubmission_is_a_cache_hit_without_engine_call(store, worker, engine):
    first = job_service(store).submit("protein_ligand_binding", VALID_INPUTS["protein_ligand_binding"]).job
    worker.run_once()
    assert store.get(first.id).status == JobStatus.COMPLETED and len(engine.started) == 1
    again = job_service(store).submit("protein_ligand_binding", VALID_INPUTS["protein_ligand_binding"]).job
    assert again.id != first.id and again.status == JobStatus.COMPLETED and again.cache_hit
    assert again.results_from == first.id and again.result == store.get(first.id).result
    assert worker.run_once() is None and len(engine.started) == 1
    forced = (
        job_service(store).submit("protein_ligand_binding", VALID_INPUTS["protein_ligand_binding"], use_cache=False).job
    )
    assert forced.status == JobStatus.PENDING and not forced.cache_hit


def test_failed_jobs_are_not_cached(store, worker, engine):
    engine.fail_message = "Boltz crashed."
    failed = job_service(store).submit("protein_structure", VALID_INPUTS["protein_structure"]).job
    worker.run_once()
    assert store.get(failed.id).status == JobStatus.FAILED
    again = job_service(store).submit("protein_structure", VALID_INPUTS["protein_structure"]).job
    assert again.status == JobStatus.PENDING and not again.cache_hit


def test_list_filters_and_pages_newest_first(store):
    for i in range(5):
        job_service(store).submit("protein_structure", {"protein_sequence": UBIQUITIN, "job_name": f"ubq {i}"})
    job_service(store).submit("protein_structure", {"protein_sequence": LYSOZYME, "job_name": "lysozyme"})
    page = job_service(store).list(JobQuery(limit=2))
    assert page.total == 6 and [j.job_name for j in page.jobs] == ["lysozyme", "ubq 4"]
    assert job_service(store).list(JobQuery(search="UBQ")).total == 5


def test_cancel_pending_and_terminal_jobs(store):
    job = job_service(store).submit("protein_structure", VALID_INPUTS["protein_structure"]).job
    cancelled = job_service(store).cancel(job.id)
    assert cancelled.status == JobStatus.CANCELLED and cancelled.finished_at is not None
    assert job_service(store).cancel(job.id).status == JobStatus.CANCELLED  # idempotent
    with pytest.raises(IllegalTransition):
        store.update(job.id, {"status": JobStatus.RUNNING})


def test_rerun_with_edits_points_at_its_parent(store):
    job = job_service(store).submit("protein_structure", {"protein_sequence": UBIQUITIN, "job_name": "orig"}).job
    again = job_service(store).rerun(job.id, changes={"options": {"diffusion_samples": 5}}).job
    assert again.parent_id == job.id and again.input["options"]["diffusion_samples"] == 5
    assert again.job_name != "orig" and again.status == JobStatus.PENDING
    with pytest.raises(InputError):
        job_service(store).rerun(job.id, changes={"protein_sequence": "??"})


def test_delete_removes_job_and_artifacts_but_keeps_shared_results(store, artifacts, worker):
    first = job_service(store).submit("protein_structure", VALID_INPUTS["protein_structure"]).job
    worker.run_once()
    hit = job_service(store).submit("protein_structure", VALID_INPUTS["protein_structure"]).job
    assert artifacts.list(f"results/{first.id}/")
    job_service(store, artifacts).delete(first.id)
    assert store.get(first.id) is None and artifacts.list(f"results/{first.id}/")  # the cache hit still reads them
    job_service(store, artifacts).delete(hit.id)
    assert artifacts.list(f"results/{first.id}/") == [] and artifacts.list(f"inputs/{first.id}/") == []
    with pytest.raises(JobNotFound):
        job_service(store).get(hit.id)


def test_result_document_is_shared_by_cache_hits(store, artifacts, worker):
    first = job_service(store).submit("protein_ligand_binding", VALID_INPUTS["protein_ligand_binding"]).job
    worker.run_once()
    hit = job_service(store).submit("protein_ligand_binding", VALID_INPUTS["protein_ligand_binding"]).job
    document = job_service(store, artifacts).result_document(hit)
    assert document == job_service(store, artifacts).result_document(store.get(first.id))
    (run,) = document.runs.values()
    assert run.affinity.pic50 == pytest.approx(10.0688, abs=1e-3)
    assert isinstance(document.analysis, BindingAnalysis) and document.analysis.pocket_check  # typed by the task
    pending = job_service(store).submit("protein_structure", VALID_INPUTS["protein_structure"]).job
    with pytest.raises(JobNotFound, match="pending"):
        job_service(store, artifacts).result_document(pending)
