"""The Modal engine (chunks, call cap, failures, cancel, credentials) over a fake Modal and the real remote body."""

from __future__ import annotations

import modal
import modal.exception
import pytest

from omtx_core.boltz.outputs import parse_boltz_output
from omtx_core.config import Settings
from omtx_core.domain.job import JobStatus
from omtx_core.engines import modal_app
from omtx_core.engines.base import Engine, EngineBatch, EngineRun, EngineState
from omtx_core.engines.modal import ModalEngine
from omtx_core.errors import EngineError
from tests.examples import VALID_INPUTS
from tests.fake_boltz_env import recorded
from tests.modal_engine.fake_modal import copies, make_engine, modal_settings, plan_runs, predictions, wait
from tests.services import job_service

pytestmark = pytest.mark.filterwarnings("ignore:The predict_batch function is executing locally")


def test_a_batch_runs_through_the_real_remote_body_to_parsed_outputs(fake, record, cache, tmp_path):
    engine = make_engine(fake)
    assert isinstance(engine, Engine)
    runs = plan_runs("protein_ligand_binding")
    ids = engine.start(EngineBatch("job1", runs, timeout_s=60))
    assert ids[0].startswith("modal-batch:") and ids[1:] == ["fc-0"]
    assert fake.lookups == [("omtx-boltz", "predict_batch")]
    status = wait(engine, ids)
    assert status.state == EngineState.FINISHED and status.finished_runs == (runs[0].name,)
    (argv,), _ = recorded(record)
    assert argv[0] == "predict" and argv[argv.index("--cache") + 1] == str(cache)
    assert argv[-len(runs[0].cli_args) :] == list(runs[0].cli_args)
    (folder,) = engine.fetch_outputs(ids, tmp_path / "fetched")
    (prediction,) = parse_boltz_output(folder)
    assert prediction.name == runs[0].name and prediction.affinity.pic50 == pytest.approx(10.0688, abs=1e-3)
    assert "chunk 1/1, 1 runs" in engine.read_log(ids) and "Number of failed examples: 0" in engine.read_log(ids)


def test_runs_are_chunked_and_calls_are_capped(fake, tmp_path):
    fake.auto = False
    engine = make_engine(fake, chunk_size=2, max_calls=2)
    ids = engine.start(EngineBatch("job1", copies(5), timeout_s=60))
    assert ids[1:] == ["fc-0", "fc-1"]  # 3 chunks; the third waits for a free slot
    status = engine.poll(ids)
    assert status.state == EngineState.RUNNING and status.call_ids == tuple(ids) and len(fake.calls) == 2
    assert "waiting" in engine.read_log(ids)
    fake.release("fc-0")
    status = engine.poll(ids)
    assert status.finished_runs == ("r0", "r1") and status.call_ids == (*ids, "fc-2")
    fake.release("fc-1")
    fake.release("fc-2")
    status = wait(engine, list(status.call_ids))
    assert status.state == EngineState.FINISHED and sorted(status.finished_runs) == [f"r{i}" for i in range(5)]
    folders = engine.fetch_outputs(ids, tmp_path / "fetched")
    assert [f.parent.name for f in folders] == ["chunk_0", "chunk_1", "chunk_2"]
    assert predictions(folders) == [f"r{i}" for i in range(5)]


def test_the_cap_is_shared_by_all_jobs_of_a_worker(fake):
    fake.auto = False
    engine = make_engine(fake, chunk_size=1, max_calls=2)
    first = engine.start(EngineBatch("job1", copies(2), timeout_s=60))
    second = engine.start(EngineBatch("job2", copies(1), timeout_s=60))
    assert len(first) == 3 and second[1:] == [] and len(fake.calls) == 2  # job2 waits for a free slot
    fake.release(first[1])
    engine.poll(first)
    assert len(engine.poll(second).call_ids) == 2 and len(fake.calls) == 3


def test_runs_with_different_flags_go_to_different_calls(fake, record):
    engine = make_engine(fake)
    runs = (*copies(2, ("--seed", "1")), EngineRun("other", copies(1)[0].yaml_text, ("--seed", "2")))
    ids = engine.start(EngineBatch("job1", runs, timeout_s=60))
    assert len(ids) == 3 and wait(engine, ids).state == EngineState.FINISHED
    argvs, _ = recorded(record)
    assert sorted(argv[-1] for argv in argvs) == ["1", "2"]


def test_one_failed_chunk_leaves_the_others_finished(fake, tmp_path):
    fake.env[1] = {"FAKE_BOLTZ_MODE": "exit1"}
    engine = make_engine(fake, chunk_size=2)
    ids = engine.start(EngineBatch("job1", copies(4), timeout_s=60))
    status = wait(engine, ids)
    assert status.state == EngineState.FINISHED and status.finished_runs == ("r0", "r1")
    assert predictions(engine.fetch_outputs(ids, tmp_path / "fetched")) == ["r0", "r1"]
    log = engine.read_log(ids)
    assert "chunk 2/2, 2 runs [r2, r3]: failed (call fc-1): Boltz exited with code 1" in log
    assert "RuntimeError: CUDA error: no kernel image is available" in log


def test_a_call_that_raises_or_times_out_is_a_failed_chunk(fake):
    fake.errors[0] = RuntimeError("container crashed")
    fake.errors[1] = modal.exception.FunctionTimeoutError("Function timed out")  # a TimeoutError subclass: over
    engine = make_engine(fake, chunk_size=1)
    ids = engine.start(EngineBatch("job1", copies(3), timeout_s=60))
    status = wait(engine, ids)
    assert status.state == EngineState.FINISHED and status.finished_runs == ("r2",)
    log = engine.read_log(ids)
    assert "The Modal call failed: RuntimeError: container crashed" in log
    assert "The Modal call failed: FunctionTimeoutError: Function timed out" in log


def test_every_chunk_failing_fails_the_batch_with_the_first_error(fake, monkeypatch):
    monkeypatch.setenv("FAKE_BOLTZ_MODE", "exit1")
    engine = make_engine(fake, chunk_size=1)
    status = wait(engine, engine.start(EngineBatch("job1", copies(2), timeout_s=60)))
    assert status.state == EngineState.FAILED and not status.transient
    assert status.message == "Boltz exited with code 1: RuntimeError: CUDA error: no kernel image is available"


def test_missing_weights_fail_the_batch_naming_the_download_command(fake, cache):
    (cache / "boltz2_conf.ckpt").unlink()
    engine = make_engine(fake)
    status = wait(engine, engine.start(EngineBatch("job1", copies(1), timeout_s=60)))
    assert status.state == EngineState.FAILED and not status.transient
    assert "boltz2_conf.ckpt" in status.message and modal_app.DOWNLOAD_COMMAND in status.message


def test_modal_being_unreachable_is_transient(fake):
    fake.errors[0] = modal.exception.ConnectionError("Deadline exceeded")
    engine = make_engine(fake)
    ids = engine.start(EngineBatch("job1", copies(1), timeout_s=60))
    assert fake.calls["fc-0"].done.wait(30)
    status = engine.poll(ids)
    assert status.state == EngineState.FAILED and status.transient and "unreachable" in status.message


@pytest.mark.parametrize(
    ("error", "transient", "words"),
    [
        (modal.exception.NotFoundError("App not found"), False, "is not deployed"),
        (modal.exception.ConnectionError("no route"), True, "Could not start the Modal calls"),
    ],
)
def test_start_errors_say_what_to_do(fake, error, transient, words):
    def spawn(*args):
        raise error

    fake.spawn = spawn
    with pytest.raises(EngineError) as raised:
        make_engine(fake).start(EngineBatch("job1", copies(1), timeout_s=60))
    assert raised.value.transient is transient and words in raised.value.message


def test_cancel_stops_spawned_calls_and_drops_waiting_chunks(fake):
    fake.auto = False
    engine = make_engine(fake, chunk_size=1, max_calls=2)
    ids = engine.start(EngineBatch("job1", copies(3), timeout_s=60))
    engine.cancel(ids)
    engine.cancel(ids)  # idempotent
    assert sorted(fake.calls) == ["fc-0", "fc-1"] and all(call.cancelled for call in fake.calls.values())
    status = engine.poll(ids)
    assert status.state == EngineState.FAILED and len(fake.calls) == 2
    assert engine.read_log(ids).count(": cancelled") == 3


def test_an_unknown_batch_is_lost_but_its_calls_can_still_be_cancelled(fake, tmp_path):
    fake.auto = False
    ids = make_engine(fake).start(EngineBatch("job1", copies(1), timeout_s=60))
    restarted = make_engine(fake)  # a new process: the batch state is gone
    status = restarted.poll(ids)
    assert status.state == EngineState.FAILED and status.transient and "lost track" in status.message
    assert restarted.read_log(ids) == ""
    with pytest.raises(EngineError):
        restarted.fetch_outputs(ids, tmp_path / "fetched")
    restarted.cancel(ids)
    assert fake.calls["fc-0"].cancelled


def test_the_default_entry_points_are_modals_lookups(fake, monkeypatch):
    monkeypatch.setattr(modal.Function, "from_name", fake.lookup)
    monkeypatch.setattr(modal.FunctionCall, "from_id", fake.call_from_id)
    engine = ModalEngine(modal_settings(app_name="my-app"))
    assert wait(engine, engine.start(EngineBatch("job1", copies(1), timeout_s=60))).state == EngineState.FINISHED
    assert fake.lookups == [("my-app", "predict_batch")]


def test_a_worker_completes_a_job_on_the_modal_engine(fake, tmp_path):
    from omtx_core.jobs.worker import Worker, WorkerTiming
    from omtx_core.store.local_artifacts import LocalArtifactStore
    from omtx_core.store.sqlite import SqliteJobStore

    engine = make_engine(fake, chunk_size=2, max_calls=1)
    engine.unavailable_reason = lambda: None  # credentials "exist"; every Modal call is faked anyway
    settings = Settings(data_dir=tmp_path / "data", run_timeout_s=60, max_attempts=1)
    store, artifacts = SqliteJobStore(settings.database_path), LocalArtifactStore(settings.artifacts_dir)
    timing = WorkerTiming(poll_s=0.02, idle_s=0.02, retry_backoff_s=0.01, log_every_s=0)
    job = job_service(store).submit("variant_comparison", VALID_INPUTS["variant_comparison"]).job
    done = Worker(store, artifacts, engine, settings, timing=timing).run_once()
    assert done.id == job.id and done.status == JobStatus.COMPLETED and done.progress_done == 4
    assert len(fake.calls) == 2


def test_unavailable_without_credentials_and_available_with_them(monkeypatch, tmp_path):
    engine = ModalEngine(Settings())
    reason = engine.unavailable_reason()
    assert "MODAL_TOKEN_ID" in reason and "modal deploy omtx_core/engines/modal_app.py" in reason
    monkeypatch.setenv("MODAL_TOKEN_ID", "ak-test-id")
    assert engine.unavailable_reason() is not None  # the secret is missing too
    monkeypatch.setenv("MODAL_TOKEN_SECRET", "as-test-secret")
    assert engine.unavailable_reason() is None
    monkeypatch.delenv("MODAL_TOKEN_ID")
    (tmp_path / "home").mkdir()
    (tmp_path / "home" / ".modal.toml").write_text("[default]\n")
    assert engine.unavailable_reason() is None


def test_time_limit_covers_at_least_one_call():
    engine = ModalEngine(modal_settings(timeout_s=1800))
    assert engine.time_limit_s(copies(1), 600) == 1800
    assert engine.time_limit_s(copies(5), 600) == 3000


def test_the_guard_fails_a_test_that_reaches_for_real_modal():
    with pytest.raises(pytest.fail.Exception, match="real Modal service"):
        ModalEngine(Settings()).start(EngineBatch("job1", copies(1), timeout_s=60))
