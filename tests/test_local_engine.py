"""The local engine with the stand-in `boltz`: flags, outputs, Boltz's silent failures, exit codes, hangs, cancel."""

from __future__ import annotations

import os
import time

import pytest

from omtx_core.boltz.outputs import parse_boltz_output
from omtx_core.config import Settings
from omtx_core.domain.job import JobStatus
from omtx_core.engines.base import EngineBatch, EngineRun, EngineState
from omtx_core.engines.local import CPU_WARNING, LocalEngine
from omtx_core.jobs.worker import Worker, WorkerTiming
from omtx_core.tasks import validate_task_input
from tests.examples import VALID_INPUTS
from tests.fake_boltz_env import FAKE_BOLTZ_COMMAND, recorded
from tests.services import job_service

FAST = WorkerTiming(poll_s=0.05, idle_s=0.05, retry_backoff_s=0.01, log_every_s=0)


@pytest.fixture
def record(tmp_path, monkeypatch):
    path = tmp_path / "boltz-calls.jsonl"
    monkeypatch.setenv("FAKE_BOLTZ_RECORD", str(path))
    return path


@pytest.fixture
def engine(tmp_path, record):
    return LocalEngine(FAKE_BOLTZ_COMMAND, tmp_path / "engine", cache=str(tmp_path / "cache"), accelerator="gpu")


def batch_for(task: str, job_id: str = "job1") -> EngineBatch:
    plan = validate_task_input(task, VALID_INPUTS[task], Settings()).plan
    runs = tuple(EngineRun(r.name, r.yaml_text, tuple(r.cli_args()), tokens=r.tokens) for r in plan.runs)
    return EngineBatch(job_id, runs, timeout_s=60)


def wait(engine, call_ids, timeout=30):
    deadline = time.monotonic() + timeout
    while (status := engine.poll(call_ids)).state == EngineState.RUNNING:
        assert time.monotonic() < deadline, "engine did not finish"
        time.sleep(0.05)
    return status


def test_one_boltz_call_over_the_folder_with_the_plan_flags(engine, record, tmp_path):
    batch = batch_for("variant_comparison")
    calls = engine.start(batch)
    status = wait(engine, calls)
    assert status.state == EngineState.FINISHED and len(status.finished_runs) == 4
    (argv,), msa_requests = recorded(record)
    assert argv[0] == "predict" and argv[1].endswith("/inputs") and argv[argv.index("--cache") + 1].endswith("cache")
    assert "--use_msa_server" in argv and "--accelerator" not in argv and len(msa_requests) == 4
    (results,) = engine.fetch_outputs(calls, tmp_path / "fetched")
    predictions = parse_boltz_output(results)
    assert sorted(p.name for p in predictions) == sorted(r.name for r in batch.runs)
    assert predictions[0].affinity.pic50 == pytest.approx(10.0688, abs=1e-3)
    assert "Number of failed examples: 0" in engine.read_log(calls)


def test_unknown_flag_fails_like_boltz(engine):
    batch = batch_for("protein_structure")
    bad = EngineBatch("job2", (EngineRun("structure", batch.runs[0].yaml_text, ("--bogus",)),), 60)
    status = wait(engine, engine.start(bad))
    assert status.state == EngineState.FAILED and "status 2" in status.message and "No such option" in status.message


def test_cpu_runs_say_so_and_pass_the_accelerator(tmp_path, record):
    engine = LocalEngine(FAKE_BOLTZ_COMMAND, tmp_path / "engine", accelerator="cpu")
    calls = engine.start(batch_for("protein_structure"))
    wait(engine, calls)
    (argv,), _ = recorded(record)
    assert argv[argv.index("--accelerator") + 1] == "cpu" and CPU_WARNING in engine.read_log(calls)
    big = (EngineRun("big", "", (), tokens=900),)
    gpu = LocalEngine(FAKE_BOLTZ_COMMAND, tmp_path / "engine", accelerator="gpu")
    assert gpu.time_limit_s(big, 1800) == 1800 and engine.time_limit_s(big, 1800) >= 3 * 1800


def test_missing_command_is_reported(tmp_path):
    reason = LocalEngine("no-such-boltz-here", tmp_path).unavailable_reason()
    assert "no-such-boltz-here" in reason and "OMTX_BOLTZ_COMMAND" in reason


def test_cancel_kills_the_process_group(engine, monkeypatch):
    monkeypatch.setenv("FAKE_BOLTZ_MODE", "hang")
    calls = engine.start(batch_for("protein_structure"))
    state = engine._batches[calls[0]]
    time.sleep(0.3)
    engine.cancel(calls)
    assert state.process.poll() is not None
    with pytest.raises(ProcessLookupError):
        os.killpg(state.process.pid, 0)


def test_cancel_after_a_restart_uses_the_pid_file(engine, tmp_path, monkeypatch):
    monkeypatch.setenv("FAKE_BOLTZ_MODE", "hang")
    calls = engine.start(batch_for("protein_structure"))
    process = engine._batches[calls[0]].process
    time.sleep(0.3)
    fresh = LocalEngine(FAKE_BOLTZ_COMMAND, tmp_path / "engine", accelerator="gpu")  # a new worker process
    fresh.cancel(calls)
    assert process.wait(timeout=10) is not None


@pytest.fixture
def worker_parts(tmp_path, engine):
    from omtx_core.config import Settings
    from omtx_core.store.local_artifacts import LocalArtifactStore
    from omtx_core.store.sqlite import SqliteJobStore

    settings = Settings(data_dir=tmp_path / "data", run_timeout_s=60, max_attempts=1)
    store, artifacts = SqliteJobStore(settings.database_path), LocalArtifactStore(settings.artifacts_dir)
    return store, artifacts, Worker(store, artifacts, engine, settings, timing=FAST)


@pytest.mark.parametrize(
    ("mode", "kind", "words"),
    [
        ("oom:{run}", "missing_output", "ran out of memory"),
        ("exit1", "engine", "Boltz exited with status 1: RuntimeError: CUDA error"),
    ],
)
def test_boltz_failures_show_on_the_job(worker_parts, monkeypatch, mode, kind, words):
    store, _, worker = worker_parts
    job = job_service(store).submit("protein_ligand_binding", VALID_INPUTS["protein_ligand_binding"]).job
    run = (
        validate_task_input("protein_ligand_binding", VALID_INPUTS["protein_ligand_binding"], Settings())
        .plan.runs[0]
        .name
    )
    monkeypatch.setenv("FAKE_BOLTZ_MODE", mode.format(run=run))
    done = worker.run_once()
    assert done.id == job.id and done.status == JobStatus.FAILED
    assert done.error.kind == kind and words in done.error.message


def test_a_hanging_boltz_is_stopped_at_the_time_limit(worker_parts, monkeypatch):
    store, artifacts, _ = worker_parts
    monkeypatch.setenv("FAKE_BOLTZ_MODE", "hang")
    engine = worker_parts[2].engine
    ticks = iter(range(10**6))
    from datetime import UTC, datetime, timedelta

    start = datetime.now(UTC)
    worker = Worker(store, artifacts, engine, worker_parts[2].settings.model_copy(update={"lease_s": 10**6}),
                    timing=FAST, clock=lambda: start + timedelta(seconds=30 * next(ticks)))  # fmt: skip
    job_service(store).submit("protein_structure", VALID_INPUTS["protein_structure"])
    done = worker.run_once()
    assert done.status == JobStatus.FAILED and done.error.kind == "timeout"
    assert not engine._batches  # cancelled: the process group was stopped and the batch forgotten
