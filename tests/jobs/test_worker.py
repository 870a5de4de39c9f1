"""The worker over a real SQLite store and the fixture engine: outcomes, failures, retries, leases, shutdown."""

from __future__ import annotations

import json
import threading
from datetime import timedelta

from omtx_core.boltz.outputs import parse_boltz_output
from omtx_core.config import Settings
from omtx_core.domain.job import JobStatus, utcnow
from omtx_core.domain.results import JobSummary
from omtx_core.jobs.worker import Worker
from omtx_core.tasks import validate_task_input
from tests.engines import FixtureEngine
from tests.examples import VALID_INPUTS
from tests.jobs.conftest import FAST
from tests.services import job_service


def submit(store, task="protein_ligand_binding"):
    return job_service(store).submit(task, VALID_INPUTS[task]).job


def test_completed_job_has_results_artifacts_and_log(store, artifacts, worker):
    job = submit(store)
    done = worker.run_once()
    assert done.id == job.id and done.status == JobStatus.COMPLETED and done.error is None
    assert done.progress_done == done.progress_total == 1 and done.lease_owner is None and done.finished_at
    (run,) = done.result["runs"]
    assert done.result["runs"][run]["pic50"] > 10 and done.result["runs_failed"] == 0
    summary = JobSummary.read(done.result)  # the record's plain dict reads typed
    assert summary.best_pic50() == done.result["runs"][run]["pic50"] and summary.runs[run].binder_probability > 0.9
    document = json.loads(artifacts.get(f"results/{job.id}/result.json"))
    model = document["runs"][run]["models"][0]
    assert artifacts.exists(model["structure_path"]) and document["runs"][run]["chains"][1]["id"] == "L"
    assert f"logs/{job.id}/engine.log" in done.artifacts and artifacts.exists(f"inputs/{job.id}/{run}.yaml")


def test_stored_results_read_back_as_boltz_output(store, artifacts, worker, tmp_path):
    job = submit(store)
    worker.run_once()
    for key in artifacts.list(f"results/{job.id}/boltz_results/"):
        path = tmp_path / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(artifacts.get(key))
    (prediction,) = parse_boltz_output(tmp_path / "results" / job.id / "boltz_results")
    assert prediction.affinity.pic50 > 10 and [c.id for c in prediction.chains] == ["A", "L"]


def test_multi_run_job_reports_progress(store, worker, engine):
    engine.polls_to_finish = 4
    submit(store, "variant_comparison")
    seen = []
    original = store.update

    def spy(job_id, changes, **kwargs):
        if "progress_done" in changes:
            seen.append(changes["progress_done"])
        return original(job_id, changes, **kwargs)

    store.update = spy
    done = worker.run_once()
    assert done.status == JobStatus.COMPLETED and done.progress_total == 4
    assert seen[:3] == [1, 2, 3] and done.progress_done == 4


def test_engine_failure_is_stored_as_failed_with_reason(store, worker, engine):
    engine.fail_message = "Boltz exited with status 1: CUDA error."
    done = worker.run_once()  # nothing submitted yet
    assert done is None
    submit(store)
    done = worker.run_once()
    assert done.status == JobStatus.FAILED and done.error.kind == "crashed" and "CUDA" in done.error.message
    assert done.result is None and engine.cancelled


def test_missing_output_files_fail_the_job_with_the_log_reason(store, worker, engine):
    job = submit(store)
    engine.missing_runs = tuple(run.name for run in validate_task_input("protein_ligand_binding",
                                VALID_INPUTS["protein_ligand_binding"], Settings()).plan.runs)  # fmt: skip
    done = worker.run_once()
    assert done.id == job.id and done.status == JobStatus.FAILED and done.error.kind == "out_of_memory"
    assert "ran out of memory" in done.error.message and done.error.details


def test_some_runs_missing_keeps_the_others_and_lists_the_failures(store, worker, engine):
    job = submit(store, "variant_comparison")
    engine.missing_runs = ("variant_K6A",)
    done = worker.run_once()
    assert done.id == job.id and done.status == JobStatus.COMPLETED
    assert done.result["runs_completed"] == 3 and "variant_K6A" in done.result["failed_runs"]
    assert "out of memory" in done.result["failed_runs"]["variant_K6A"]["message"]


def test_transient_errors_are_retried_then_succeed(store, worker, engine):
    engine.transient_failures = 2
    submit(store)
    done = worker.run_once()
    assert done.status == JobStatus.COMPLETED and len(engine.started) == 3


def test_transient_errors_give_up_after_max_attempts(store, worker, engine):
    engine.transient_failures = 5
    submit(store)
    done = worker.run_once()
    assert done.status == JobStatus.FAILED and len(engine.started) == 3 and "unreachable" in done.error.message


def test_no_engine_leaves_jobs_pending(store, worker, engine):
    engine.unavailable = "Install boltz or configure Modal."
    job = submit(store)
    assert worker.run_once() is None and store.get(job.id).status == JobStatus.PENDING


def test_timeout_fails_the_job(store, artifacts, settings, engine):
    engine.polls_to_finish = 10**9
    ticks = iter(utcnow() + timedelta(minutes=m) for m in range(0, 10**6, 10))
    timed = Worker(store, artifacts, engine, settings.model_copy(update={"run_timeout_s": 60, "lease_s": 10**6}),
                   timing=FAST, clock=lambda: next(ticks))  # fmt: skip
    submit(store, "protein_structure")
    done = timed.run_once()
    assert done.status == JobStatus.FAILED and done.error.kind == "timeout" and engine.cancelled


def test_cancel_while_running_stops_the_engine(store, worker, engine):
    engine.polls_to_finish = 10**9
    job = submit(store)
    result = {}
    thread = threading.Thread(target=lambda: result.setdefault("job", worker.run_once()))
    thread.start()
    while store.get(job.id).status != JobStatus.RUNNING or not engine.started:
        pass
    job_service(store).cancel(job.id)
    thread.join(timeout=10)
    assert result["job"].status == JobStatus.CANCELLED and engine.cancelled and result["job"].result is None


def test_shutdown_hands_the_job_back(store, worker, engine):
    engine.polls_to_finish = 10**9
    job = submit(store)
    thread = threading.Thread(target=worker.run_once)
    thread.start()
    while not engine.started:
        pass
    worker.stop.set()
    thread.join(timeout=10)
    back = store.get(job.id)
    assert back.status == JobStatus.PENDING and back.lease_owner is None and engine.cancelled


def test_lost_lease_discards_the_result(store, artifacts, settings, engine):
    engine.polls_to_finish = 3
    job = submit(store)
    slow = Worker(store, artifacts, engine, settings, worker_id="slow", timing=FAST)
    original = store.heartbeat

    def steal(job_id, worker_id, lease_seconds, *, now):  # another worker took over after our lease expired
        store.update(job_id, {"lease_owner": "other"})
        return original(job_id, worker_id, lease_seconds, now=now)

    store.heartbeat = steal
    slow.run_once()
    assert store.get(job.id).status == JobStatus.RUNNING and store.get(job.id).lease_owner == "other"
    assert not artifacts.exists(f"results/{job.id}/result.json")


def test_worker_threads_share_the_queue(store, artifacts, settings):
    engine = FixtureEngine(polls_to_finish=1)
    service = job_service(store)
    jobs = [
        service.submit("protein_structure", {"protein_sequence": "MKTAYIAKQRQISFVKSHFSRQ" + "A" * i}).job
        for i in range(6)
    ]
    worker = Worker(store, artifacts, engine, settings, timing=FAST)
    thread = threading.Thread(target=worker.run, args=(3,))
    thread.start()
    while any(store.get(j.id).status != JobStatus.COMPLETED for j in jobs):
        pass
    worker.stop.set()
    thread.join(timeout=10)
    assert len(engine.started) == 6


def test_a_running_screen_publishes_its_ranked_rows_as_compounds_finish(store, artifacts, worker, engine):
    engine.polls_to_finish = 4
    compounds = [{"name": f"c{i}", "smiles": "C" * (i + 1) + "O"} for i in range(4)]
    target = VALID_INPUTS["drug_discovery"]["protein_sequence"]
    job = job_service(store).submit("drug_discovery", {"protein_sequence": target, "compounds": compounds}).job
    published = []
    original = artifacts.put

    def spy(key, data, content_type="application/octet-stream"):
        if key.endswith("/partial.json"):
            published.append(json.loads(data))
        return original(key, data, content_type)

    artifacts.put = spy
    done = worker.run_once()
    assert done.id == job.id and done.status == JobStatus.COMPLETED
    scored = [sum(r["status"] == "done" for r in doc["rows"]) for doc in published]
    assert scored == sorted(scored) and 0 < scored[0] < 4
    assert all(r["status"] in ("done", "pending") for doc in published for r in doc["rows"])
    assert not artifacts.exists(f"results/{job.id}/partial.json")  # the final result replaces the preview
