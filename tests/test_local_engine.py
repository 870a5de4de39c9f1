"""The local engine with the stand-in `boltz`: flags, outputs, Boltz's silent failures, exit codes, hangs, cancel.

Boltz gets only the environment it needs, so the stand-in's FAKE_BOLTZ_* settings travel in the command itself
(`env NAME=value python fake_boltz.py`), as a user would hand Boltz any other variable.
"""

from __future__ import annotations

import json
import os
import shlex
import sys
import threading
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
from tests.fake_boltz_env import FAKE_BOLTZ_COMMAND, fake_boltz, recorded
from tests.services import job_service

FAST = WorkerTiming(poll_s=0.05, idle_s=0.05, retry_backoff_s=0.01, log_every_s=0)


@pytest.fixture
def record(tmp_path):
    return tmp_path / "boltz-calls.jsonl"


def local_engine(tmp_path, record, **variables: str) -> LocalEngine:
    command = fake_boltz(record=str(record), **variables)
    return LocalEngine(command, tmp_path / "engine", cache=str(tmp_path / "cache"), accelerator="gpu")


@pytest.fixture
def engine(tmp_path, record):
    return local_engine(tmp_path, record)


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
    engine = LocalEngine(fake_boltz(record=str(record)), tmp_path / "engine", accelerator="cpu")
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


def test_cancel_kills_the_process_group_and_removes_its_folder(tmp_path, record):
    engine = local_engine(tmp_path, record, mode="hang")
    calls = engine.start(batch_for("protein_structure"))
    state = engine._batches[calls[0]]
    time.sleep(0.3)
    engine.cancel(calls)
    assert state.process.poll() is not None
    with pytest.raises(ProcessLookupError):
        os.killpg(state.process.pid, 0)
    assert not state.root.exists() and not (tmp_path / "engine" / "job1").exists()


def test_cancel_after_a_restart_uses_the_pid_file(tmp_path, record):
    engine = local_engine(tmp_path, record, mode="hang")
    calls = engine.start(batch_for("protein_structure"))
    process, root = engine._batches[calls[0]].process, engine._batches[calls[0]].root
    time.sleep(0.3)
    fresh = LocalEngine(FAKE_BOLTZ_COMMAND, tmp_path / "engine", accelerator="gpu")  # a new worker process
    fresh.cancel(calls)
    assert process.wait(timeout=10) is not None
    assert not root.exists()  # read the pid file, stopped the group, then removed the folder


def test_cancel_removes_nothing_outside_its_own_work_folder(engine, tmp_path):
    precious = tmp_path / "precious"
    (precious / "out").mkdir(parents=True)
    engine.cancel([f"local:{precious}"])  # a call id from a damaged or hostile job record
    engine.cancel([f"local:{tmp_path / 'engine' / 'job1' / '..' / '..' / 'precious'}"])
    assert (precious / "out").is_dir()


def test_boltz_gets_only_the_environment_it_needs(tmp_path, monkeypatch):
    secrets = {"OMTX_REDIS_URL": "redis://:hunter2@cache:6379/0", "AWS_SECRET_ACCESS_KEY": "aws-secret",
               "GITHUB_TOKEN": "ghp-secret", "OMTX_SUPABASE_KEY": "jwt-secret", "MODAL_TOKEN_SECRET": "as-secret",
               "DATABASE_URL": "postgres://u:pw@db/x"}  # fmt: skip
    needed = {"BOLTZ_MSA_USERNAME": "me", "BOLTZ_MSA_PASSWORD": "msa-pw", "MSA_API_KEY_VALUE": "k",
              "BOLTZ_CACHE": "/models", "CUDA_VISIBLE_DEVICES": "1", "HTTPS_PROXY": "http://proxy:3128",
              "no_proxy": "localhost", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "TMPDIR": str(tmp_path),
              "HOME": str(tmp_path), "LD_LIBRARY_PATH": "/usr/local/cuda/lib64"}  # fmt: skip
    for name, value in {**secrets, **needed}.items():
        monkeypatch.setenv(name, value)
    printenv = shlex.join([sys.executable, "-c", "import json, os; print(json.dumps(dict(os.environ)))"])
    engine = LocalEngine(printenv, tmp_path / "engine", accelerator="gpu")
    calls = engine.start(batch_for("protein_structure"))
    wait(engine, calls)
    seen = json.loads(engine.read_log(calls).splitlines()[-1])
    assert not set(secrets) & set(seen), "secrets reached Boltz"
    assert {name: seen.get(name) for name in needed} == needed and seen["PATH"] == os.environ["PATH"]


@pytest.fixture
def worker_parts(tmp_path, record):
    from omtx_core.config import Settings
    from omtx_core.store.local_artifacts import LocalArtifactStore
    from omtx_core.store.sqlite import SqliteJobStore

    settings = Settings(data_dir=tmp_path / "data", run_timeout_s=60, max_attempts=1)
    store, artifacts = SqliteJobStore(settings.database_path), LocalArtifactStore(settings.artifacts_dir)
    return store, artifacts, lambda **fake: Worker(store, artifacts, local_engine(tmp_path, record, **fake), settings,
                                                   timing=FAST)  # fmt: skip


def test_a_finished_job_leaves_no_engine_folder(worker_parts, tmp_path):
    store, _, make_worker = worker_parts
    job = job_service(store).submit("variant_comparison", VALID_INPUTS["variant_comparison"]).job
    worker = make_worker()
    done = worker.run_once()
    assert done.id == job.id and done.status == JobStatus.COMPLETED and done.result["runs_completed"] == 4
    assert not (tmp_path / "engine" / job.id).exists() and not worker.engine._batches


def test_a_job_deleted_while_running_stops_boltz_and_leaves_no_engine_folder(worker_parts, tmp_path):
    store, _, make_worker = worker_parts
    service = job_service(store)
    job = service.submit("protein_structure", VALID_INPUTS["protein_structure"]).job
    worker = make_worker(mode="hang")
    thread = threading.Thread(target=worker.run_once)
    thread.start()
    deadline = time.monotonic() + 20
    while not store.get(job.id).engine_call_ids:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    (state,) = worker.engine._batches.values()
    service.delete(job.id)
    thread.join(timeout=30)
    assert state.process.poll() is not None and not (tmp_path / "engine" / job.id).exists()


@pytest.mark.parametrize(
    ("mode", "kind", "words"),
    [
        ("oom:{run}", "out_of_memory", "ran out of memory"),
        ("exit1", "crashed", "Boltz exited with status 1: RuntimeError: CUDA error"),
    ],
)
def test_boltz_failures_show_on_the_job(worker_parts, tmp_path, mode, kind, words):
    store, _, make_worker = worker_parts
    job = job_service(store).submit("protein_ligand_binding", VALID_INPUTS["protein_ligand_binding"]).job
    run = (
        validate_task_input("protein_ligand_binding", VALID_INPUTS["protein_ligand_binding"], Settings())
        .plan.runs[0]
        .name
    )
    done = make_worker(mode=mode.format(run=run)).run_once()
    assert done.id == job.id and done.status == JobStatus.FAILED
    assert done.error.kind == kind and words in done.error.message
    assert not (tmp_path / "engine" / job.id).exists()


def test_a_hanging_boltz_is_stopped_at_the_time_limit(worker_parts, tmp_path):
    store, artifacts, make_worker = worker_parts
    hanging = make_worker(mode="hang")
    engine = hanging.engine
    ticks = iter(range(10**6))
    from datetime import UTC, datetime, timedelta

    start = datetime.now(UTC)
    worker = Worker(store, artifacts, engine, hanging.settings.model_copy(update={"lease_s": 10**6}),
                    timing=FAST, clock=lambda: start + timedelta(seconds=30 * next(ticks)))  # fmt: skip
    job = job_service(store).submit("protein_structure", VALID_INPUTS["protein_structure"]).job
    done = worker.run_once()
    assert done.status == JobStatus.FAILED and done.error.kind == "timeout"
    assert not engine._batches  # cancelled: the process group was stopped and the batch forgotten
    assert "[omtx] $ env" in worker.artifacts.get(f"logs/{job.id}/engine.log").decode()  # kept before the folder went
    assert not (tmp_path / "engine" / job.id).exists()
