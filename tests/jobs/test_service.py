"""The job service over a real SQLite store: submit, cache hits, list, cancel, re-run, delete."""

from __future__ import annotations

import pytest

from omtx_core.errors import InputError
from omtx_core.jobs import service
from omtx_core.jobs.models import IllegalTransition, JobNotFound, JobQuery, JobStatus
from tests.examples import LYSOZYME, UBIQUITIN, VALID_INPUTS


def test_submit_stores_a_pending_job_with_normalised_input(store):
    submission = service.submit("protein_structure", {"protein_sequence": UBIQUITIN.lower()}, store=store)
    job = store.get(submission.job.id)
    assert job.status == JobStatus.PENDING and job.input["protein_sequence"] == UBIQUITIN
    assert job.progress_total == 1 and job.input_hash and job.options["diffusion_samples"] == 1
    assert [run.name for run in submission.plan.runs] == ["structure"]


def test_invalid_input_stores_nothing(store):
    with pytest.raises(InputError):
        service.submit("protein_structure", {"protein_sequence": "MK1"}, store=store)
    assert store.list(JobQuery()).total == 0


def test_job_name_does_not_change_the_input_hash(store):
    a = service.submit("protein_structure", {"protein_sequence": UBIQUITIN, "job_name": "a"}, store=store).job
    b = service.submit("protein_structure", {"protein_sequence": UBIQUITIN, "job_name": "b"}, store=store).job
    c = service.submit("protein_structure", {"protein_sequence": UBIQUITIN, "options": {"seed": 1}}, store=store).job
    assert a.input_hash == b.input_hash != c.input_hash


def test_identical_resubmission_is_a_cache_hit_without_engine_call(store, worker, engine):
    first = service.submit("protein_ligand_binding", VALID_INPUTS["protein_ligand_binding"], store=store).job
    worker.run_once()
    assert store.get(first.id).status == JobStatus.COMPLETED and len(engine.started) == 1
    again = service.submit("protein_ligand_binding", VALID_INPUTS["protein_ligand_binding"], store=store).job
    assert again.id != first.id and again.status == JobStatus.COMPLETED and again.cache_hit
    assert again.results_from == first.id and again.result == store.get(first.id).result
    assert worker.run_once() is None and len(engine.started) == 1
    forced = service.submit(
        "protein_ligand_binding", VALID_INPUTS["protein_ligand_binding"], store=store, use_cache=False
    ).job
    assert forced.status == JobStatus.PENDING and not forced.cache_hit


def test_failed_jobs_are_not_cached(store, worker, engine):
    engine.fail_message = "Boltz crashed."
    failed = service.submit("protein_structure", VALID_INPUTS["protein_structure"], store=store).job
    worker.run_once()
    assert store.get(failed.id).status == JobStatus.FAILED
    again = service.submit("protein_structure", VALID_INPUTS["protein_structure"], store=store).job
    assert again.status == JobStatus.PENDING and not again.cache_hit


def test_list_filters_and_pages_newest_first(store):
    for i in range(5):
        service.submit("protein_structure", {"protein_sequence": UBIQUITIN, "job_name": f"ubq {i}"}, store=store)
    service.submit("protein_structure", {"protein_sequence": LYSOZYME, "job_name": "lysozyme"}, store=store)
    page = service.list_jobs(JobQuery(limit=2), store=store)
    assert page.total == 6 and [j.job_name for j in page.jobs] == ["lysozyme", "ubq 4"]
    assert service.list_jobs(JobQuery(search="UBQ"), store=store).total == 5


def test_cancel_pending_and_terminal_jobs(store):
    job = service.submit("protein_structure", VALID_INPUTS["protein_structure"], store=store).job
    cancelled = service.cancel(job.id, store=store)
    assert cancelled.status == JobStatus.CANCELLED and cancelled.finished_at is not None
    assert service.cancel(job.id, store=store).status == JobStatus.CANCELLED  # idempotent
    with pytest.raises(IllegalTransition):
        store.update(job.id, {"status": JobStatus.RUNNING})


def test_rerun_with_edits_points_at_its_parent(store):
    job = service.submit("protein_structure", {"protein_sequence": UBIQUITIN, "job_name": "orig"}, store=store).job
    again = service.rerun(job.id, store=store, changes={"options": {"diffusion_samples": 5}}).job
    assert again.parent_id == job.id and again.input["options"]["diffusion_samples"] == 5
    assert again.job_name != "orig" and again.status == JobStatus.PENDING
    with pytest.raises(InputError):
        service.rerun(job.id, store=store, changes={"protein_sequence": "??"})


def test_delete_removes_job_and_artifacts_but_keeps_shared_results(store, artifacts, worker):
    first = service.submit("protein_structure", VALID_INPUTS["protein_structure"], store=store).job
    worker.run_once()
    hit = service.submit("protein_structure", VALID_INPUTS["protein_structure"], store=store).job
    assert artifacts.list(f"results/{first.id}/")
    service.delete(first.id, store=store, artifacts=artifacts)
    assert store.get(first.id) is None and artifacts.list(f"results/{first.id}/")  # the cache hit still reads them
    service.delete(hit.id, store=store, artifacts=artifacts)
    assert artifacts.list(f"results/{first.id}/") == [] and artifacts.list(f"inputs/{first.id}/") == []
    with pytest.raises(JobNotFound):
        service.get_job(hit.id, store=store)


def test_result_document_is_shared_by_cache_hits(store, artifacts, worker):
    first = service.submit("protein_ligand_binding", VALID_INPUTS["protein_ligand_binding"], store=store).job
    worker.run_once()
    hit = service.submit("protein_ligand_binding", VALID_INPUTS["protein_ligand_binding"], store=store).job
    document = service.result_document(hit, artifacts=artifacts)
    assert document == service.result_document(store.get(first.id), artifacts=artifacts)
    (run,) = document["runs"].values()
    assert run["affinity"]["pic50"] == pytest.approx(10.0688, abs=1e-3)
    pending = service.submit("protein_structure", VALID_INPUTS["protein_structure"], store=store).job
    with pytest.raises(JobNotFound, match="pending"):
        service.result_document(pending, artifacts=artifacts)
