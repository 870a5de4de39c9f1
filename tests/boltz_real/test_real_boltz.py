"""Each task through the real job path: submit → worker → local engine → real `boltz predict` → result document."""

# The model is tiny and random (tests/boltz_cache.py): these tests check the contract (files Boltz writes, what we
# parse, analyse and store), never the numbers, which mean nothing.

from __future__ import annotations

import os
import threading
import time

import pytest

from omtx_core.cache import MsaCache
from omtx_core.config import Settings
from omtx_core.domain.job import JobStatus
from omtx_core.engines.factory import make_engine
from omtx_core.jobs.worker import Worker, WorkerTiming
from omtx_core.store.local_artifacts import LocalArtifactStore
from omtx_core.store.sqlite import SqliteJobStore
from tests.boltz_real.conftest import BOLTZ_VENV
from tests.examples import ASPIRIN
from tests.services import job_service

PROTEIN = "MKTAYIAKQRQISFVKSHFSRQLEERLGLIEVQ"  # 33 residues: seconds per run on a CPU
# As small as the options allow; single-sequence mode, so nothing leaves the machine.
OPTIONS = {"use_msa_server": False, "recycling_steps": 1, "sampling_steps": 10, "diffusion_samples": 1, "seed": 7,
           "sampling_steps_affinity": 10, "diffusion_samples_affinity": 1}  # fmt: skip
TIMING = WorkerTiming(poll_s=0.2, idle_s=0.2, retry_backoff_s=0.1, log_every_s=0)
CONFIDENCE = ("confidence_score", "ptm", "complex_plddt", "plddt_mean")
AFFINITY = ("affinity_pred_value", "affinity_probability_binary", "affinity_pred_value1", "affinity_pred_value2",
            "affinity_probability_binary1", "affinity_probability_binary2")  # fmt: skip


@pytest.fixture
def service_and_worker(tmp_path, monkeypatch, boltz_cache):
    """The app's own settings from the environment, as a user configures the local engine."""
    monkeypatch.setenv("OMTX_ENGINE", "local")
    monkeypatch.setenv("OMTX_BOLTZ_COMMAND", str(BOLTZ_VENV / "bin" / "boltz"))
    monkeypatch.setenv("OMTX_BOLTZ_CACHE", str(boltz_cache))
    monkeypatch.setenv("OMTX_BOLTZ_ACCELERATOR", "cpu")
    settings = Settings(data_dir=tmp_path / "data")
    store, artifacts = SqliteJobStore(settings.database_path), LocalArtifactStore(settings.artifacts_dir)
    worker = Worker(store, artifacts, make_engine(settings), settings, worker_id="boltz-test", timing=TIMING)
    return job_service(store, artifacts, settings=settings), worker


def run_job(service_and_worker, task: str, data: dict):
    """Submit, let the worker take the job to its end, and read it back as the app does; (job, document, s)."""
    service, worker = service_and_worker
    submitted = service.submit(task, {"options": OPTIONS, **data}, use_cache=False).job
    start = time.monotonic()
    done = worker.run_once()
    elapsed = time.monotonic() - start
    assert done is not None and done.id == submitted.id
    job = service.get(submitted.id)
    assert job.status == JobStatus.COMPLETED, (job.error, service.engine_log(job))
    print(f"{task}: {elapsed:.1f} s")
    return job, service.result_document(job), elapsed


def assert_structures(service_and_worker, job, document, runs: int) -> None:
    service, _ = service_and_worker
    assert len(document.runs) == runs and not document.failed_runs and job.result["runs_completed"] == runs
    for summary in document.runs.values():
        (model,) = summary.models
        assert all(getattr(model, key) is not None for key in CONFIDENCE), model
        assert model.n_tokens and service.artifacts.exists(model.structure_path)
        assert all(chain.length > 0 for chain in summary.chains)
    log = service.engine_log(job)
    assert "Number of failed examples: 0" in log and "--no_kernels" not in log


def test_protein_structure_single_sequence(service_and_worker):
    job, document, _ = run_job(service_and_worker, "protein_structure", {"protein_sequence": PROTEIN})
    assert_structures(service_and_worker, job, document, 1)
    ((name, summary),) = document.runs.items()
    assert [c.type for c in summary.chains] == ["protein"] and summary.chains[0].length == len(PROTEIN)
    assert summary.affinity is None and job.result["runs"][name]["pic50"] is None
    assert "Found explicit empty MSA" in service_and_worker[0].engine_log(job)  # Boltz's single-sequence mode


def test_protein_ligand_binding_with_affinity(service_and_worker):
    data = {"protein_sequence": PROTEIN, "ligand_smiles": ASPIRIN}
    job, document, _ = run_job(service_and_worker, "protein_ligand_binding", data)
    assert_structures(service_and_worker, job, document, 1)
    ((name, summary),) = document.runs.items()
    assert [c.type for c in summary.chains] == ["protein", "ligand"]
    affinity = summary.affinity.model_dump()
    assert all(isinstance(affinity[key], float) for key in AFFINITY), affinity
    assert job.result["runs"][name]["pic50"] is not None


def test_binding_with_a_pocket_constraint(service_and_worker):
    data = {"protein_sequence": PROTEIN, "ligand_smiles": ASPIRIN, "pocket_residues": [5, 9, 12]}
    job, document, _ = run_job(service_and_worker, "protein_ligand_binding", data)
    assert_structures(service_and_worker, job, document, 1)
    (summary,) = document.runs.values()
    assert summary.affinity is not None
    (inputs,) = service_and_worker[0].boltz_inputs(job).values()
    assert "pocket" in inputs


def test_binding_site_prediction_with_a_ccd_ligand(service_and_worker):
    data = {"protein_sequence": PROTEIN, "ligand_ccd": "NAG"}
    job, document, _ = run_job(service_and_worker, "binding_site_prediction", data)
    assert_structures(service_and_worker, job, document, 1)
    (summary,) = document.runs.values()
    assert [c.type for c in summary.chains] == ["protein", "ligand"] and summary.chains[1].id == "L"


def test_complex_with_a_dna_chain_and_a_ccd_ligand(service_and_worker):
    chains = [{"type": "protein", "sequence": PROTEIN, "copies": 2}, {"type": "dna", "sequence": "ATGCGTAC"},
              {"type": "ligand", "ccd": "ATP"}]  # fmt: skip
    job, document, _ = run_job(service_and_worker, "protein_complex", {"chains": chains})
    assert_structures(service_and_worker, job, document, 1)
    (summary,) = document.runs.values()
    assert [c.type for c in summary.chains] == ["protein", "protein", "dna", "ligand"]
    assert summary.best.iptm is not None and summary.best.pair_chains_iptm


def test_variants_in_one_call(service_and_worker):
    data = {"wildtype_sequence": PROTEIN, "variants": [{"mutations": "K2A"}, {"mutations": "Y5F/K8R"}]}
    job, document, _ = run_job(service_and_worker, "variant_comparison", data)
    assert_structures(service_and_worker, job, document, 3)


def test_a_two_compound_screen_with_affinity(service_and_worker):
    data = {"protein_sequence": PROTEIN, "compounds": [{"name": "aspirin", "smiles": ASPIRIN}, {"smiles": "CCO"}]}
    job, document, _ = run_job(service_and_worker, "drug_discovery", data)
    assert_structures(service_and_worker, job, document, 2)
    assert all(summary.affinity is not None for summary in document.runs.values())


# FAD is in the CCD (the form accepts it) but not in the test cache's mols/: Boltz refuses the input while
# processing it ("Failed to process <yaml>. Skipping. Error: CCD component FAD not found!."), exits 0 and writes
# nothing for it, exactly as it does for any input it cannot read.
REFUSED = {"protein_sequence": PROTEIN, "ligand_ccd": "FAD"}


def refused_job(service_and_worker):
    service, worker = service_and_worker
    submitted = service.submit("binding_site_prediction", {**REFUSED, "options": OPTIONS}, use_cache=False).job
    worker.run_once()
    return service.get(submitted.id), service.engine_log(service.get(submitted.id))


def test_an_input_boltz_refuses_fails_the_job(service_and_worker):
    job, log = refused_job(service_and_worker)
    assert job.status == JobStatus.FAILED and job.error.kind == "refused_input" and job.result is None
    assert "Skipping. Error: CCD component FAD not found!" in log and "Number of failed examples" not in log


def test_an_input_boltz_refuses_fails_the_job_with_boltzs_reason(service_and_worker):
    job, _ = refused_job(service_and_worker)
    assert "CCD component FAD not found" in f"{job.error.message} {job.error.details}"


def test_cancel_stops_boltz_and_leaves_no_process(service_and_worker, tmp_path):
    service, worker = service_and_worker
    data = {"protein_sequence": PROTEIN * 2, "options": {**OPTIONS, "sampling_steps": 1000}}  # long enough
    submitted = service.submit("protein_structure", data, use_cache=False).job
    thread = threading.Thread(target=worker.run_once)
    thread.start()
    deadline = time.monotonic() + 60
    while not (pid_files := list((tmp_path / "data" / "engine").glob("*/*/pgid"))):
        assert time.monotonic() < deadline, "Boltz did not start"
        time.sleep(0.1)
    pgid = int(pid_files[0].read_text())
    time.sleep(3)  # past Boltz's start, into its model load
    assert service.cancel(submitted.id).status == JobStatus.CANCELLED
    thread.join(timeout=60)
    assert not thread.is_alive() and service.get(submitted.id).status == JobStatus.CANCELLED
    with pytest.raises(ProcessLookupError):
        os.killpg(pgid, 0)  # the whole group is gone, dataloader workers included


def test_an_msa_from_our_msa_cache_is_given_to_boltz_by_path(service_and_worker):
    service, _ = service_and_worker
    homologs = [PROTEIN, PROTEIN.replace("K", "R"), PROTEIN[:10] + "-" * 5 + PROTEIN[15:]]
    csv = "key,sequence\n" + "".join(f"{i},{s}\n" for i, s in enumerate(homologs))
    MsaCache(service.artifacts).save({PROTEIN: csv.encode()})
    data = {"protein_sequence": PROTEIN, "options": {**OPTIONS, "use_msa_server": True}}
    job, document, _ = run_job(service_and_worker, "protein_structure", data)
    assert_structures(service_and_worker, job, document, 1)
    (yaml_text,), log = service.boltz_inputs(job).values(), service.engine_log(job)
    # The stored input asks for the server; the engine staged it with our MSA's path, so Boltz ran neither the
    # server (no flag) nor single-sequence mode (which it announces).
    assert "msa:" not in yaml_text and "--use_msa_server" not in log and "Found explicit empty MSA" not in log
