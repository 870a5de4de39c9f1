"""The Modal engine against the real remote body (`predict_batch.local`) and the stand-in `boltz`; Modal faked."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import modal
import modal.client
import modal.exception
import pytest

from omtx_core.boltz.outputs import parse_boltz_output
from omtx_core.config import Settings
from omtx_core.domain.job import JobStatus
from omtx_core.engines import modal_app
from omtx_core.engines.base import Engine, EngineBatch, EngineRun, EngineState
from omtx_core.engines.modal import ModalEngine
from omtx_core.errors import EngineError
from omtx_core.tasks import validate_task_input
from tests.examples import VALID_INPUTS
from tests.fake_boltz_env import FAKE_BOLTZ_COMMAND, recorded
from tests.services import job_service

ROOT = Path(__file__).resolve().parents[2]
WEIGHTS = ("boltz2_conf.ckpt", "boltz2_aff.ckpt", "mols.tar")
_REMOTE_LOCK = threading.Lock()  # remote bodies run one at a time, so per-call env overrides cannot mix

pytestmark = pytest.mark.filterwarnings("ignore:The predict_batch function is executing locally")


class FakeCall:
    """A spawned call: runs the real remote body in a thread once its gate opens; `get` never waits."""

    def __init__(self, object_id: str, body, gate: threading.Event) -> None:
        self.object_id, self.gate, self.cancelled = object_id, gate, False
        self.result, self.error, self.done = None, None, threading.Event()
        self.thread = threading.Thread(target=self._run, args=(body,), daemon=True)
        self.thread.start()

    def _run(self, body) -> None:
        self.gate.wait()
        try:
            if self.cancelled:
                raise RuntimeError("cancelled")
            self.result = body()
        except Exception as exc:
            self.error = exc
        finally:
            self.done.set()

    def get(self, timeout=None):
        assert timeout == 0, "the engine must never wait on a Modal call"
        if not self.done.is_set():
            raise modal.exception.TimeoutError()
        if self.error:
            raise self.error
        return self.result

    def cancel(self) -> None:
        self.cancelled = True
        self.gate.set()


class FakeModal:
    """Stands in for `Function.from_name` (it is the Function) and `FunctionCall.from_id`."""

    def __init__(self) -> None:
        self.calls: dict[str, FakeCall] = {}
        self.lookups: list[tuple[str, str]] = []
        self.auto = True  # calls start at once; otherwise `release` starts them
        self.env: dict[int, dict[str, str]] = {}  # per call index: env overrides for the remote body
        self.errors: dict[int, Exception] = {}  # per call index: what `get` raises instead of running

    def lookup(self, app_name: str, function_name: str) -> FakeModal:
        self.lookups.append((app_name, function_name))
        return self

    def spawn(self, runs: list[dict], cli_args: list[str]) -> FakeCall:
        index = len(self.calls)
        gate = threading.Event()
        if self.auto:
            gate.set()
        call = FakeCall(f"fc-{index}", lambda: self._remote(index, runs, cli_args), gate)
        self.calls[call.object_id] = call
        return call

    def call_from_id(self, call_id: str) -> FakeCall:
        return self.calls[call_id]

    def release(self, call_id: str) -> None:
        self.calls[call_id].gate.set()
        assert self.calls[call_id].done.wait(30)

    def _remote(self, index: int, runs: list[dict], cli_args: list[str]) -> dict:
        if index in self.errors:
            raise self.errors[index]
        with _REMOTE_LOCK:
            saved = {key: os.environ.get(key) for key in self.env.get(index, {})}
            os.environ.update(self.env.get(index, {}))
            try:
                return modal_app.predict_batch.local(runs, cli_args)
            finally:
                for key, value in saved.items():
                    os.environ.pop(key, None) if value is None else os.environ.__setitem__(key, value)


@pytest.fixture(autouse=True)
def no_real_modal(monkeypatch, tmp_path):
    """No credentials, no ~/.modal.toml, and any real Modal lookup or client fails the test at once."""
    for key in list(os.environ):
        if key.startswith(("MODAL_", "OMTX_MODAL_")):
            monkeypatch.delenv(key)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))

    def refuse(*args, **kwargs):
        pytest.fail("a test reached for the real Modal service")

    monkeypatch.setattr(modal.Function, "from_name", refuse)
    monkeypatch.setattr(modal.FunctionCall, "from_id", refuse)
    monkeypatch.setattr(modal.client._Client, "from_env", refuse)


@pytest.fixture
def cache(tmp_path, monkeypatch) -> Path:
    """A model cache holding empty files named like Boltz-2's weights (the stand-in never reads them)."""
    path = tmp_path / "models"
    (path / "mols").mkdir(parents=True)
    for name in WEIGHTS:
        (path / name).write_bytes(b"")
    monkeypatch.setenv("OMTX_BOLTZ_CACHE", str(path))
    monkeypatch.setenv("OMTX_BOLTZ_COMMAND", FAKE_BOLTZ_COMMAND)
    return path


@pytest.fixture
def record(tmp_path, monkeypatch) -> Path:
    path = tmp_path / "boltz-calls.jsonl"
    monkeypatch.setenv("FAKE_BOLTZ_RECORD", str(path))
    return path


@pytest.fixture
def fake(cache, record):
    fake = FakeModal()
    yield fake
    for call in fake.calls.values():  # leave no gated thread behind
        call.cancel()
        call.thread.join(30)


def modal_settings(**fields) -> Settings:
    """Settings with `modal_<name>` fields given by their short names (chunk_size=2)."""
    return Settings(**{f"modal_{name}": value for name, value in fields.items()})


def make_engine(fake: FakeModal, **settings) -> ModalEngine:
    return ModalEngine(modal_settings(**settings), lookup=fake.lookup, call_from_id=fake.call_from_id)


def plan_runs(task: str) -> tuple[EngineRun, ...]:
    plan = validate_task_input(task, VALID_INPUTS[task], Settings()).plan
    return tuple(EngineRun(r.name, r.yaml_text, tuple(r.cli_args()), tokens=r.tokens) for r in plan.runs)


def copies(n: int, cli_args: tuple[str, ...] | None = None) -> tuple[EngineRun, ...]:
    """`n` runs of the protein-ligand example, named r0..r<n-1>."""
    run = plan_runs("protein_ligand_binding")[0]
    args = run.cli_args if cli_args is None else cli_args
    return tuple(EngineRun(f"r{i}", run.yaml_text, args) for i in range(n))


def wait(engine: ModalEngine, call_ids: list[str], timeout: float = 60):
    deadline = time.monotonic() + timeout
    while (status := engine.poll(call_ids)).state == EngineState.RUNNING:
        assert time.monotonic() < deadline, "the Modal engine did not finish"
        time.sleep(0.02)
    return status


def predictions(folders: list[Path]) -> list[str]:
    return sorted(p.name for folder in folders for p in parse_boltz_output(folder))


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


def test_settings_come_from_omtx_modal_variables(monkeypatch):
    monkeypatch.setenv("OMTX_MODAL_CHUNK_SIZE", "3")
    monkeypatch.setenv("OMTX_MODAL_APP_NAME", "other-app")
    settings = Settings()
    assert (settings.modal_chunk_size, settings.modal_app_name, settings.modal_max_calls, settings.modal_gpu) == (
        3,
        "other-app",
        10,
        "A100-80GB",
    )


def test_time_limit_covers_at_least_one_call():
    engine = ModalEngine(modal_settings(timeout_s=1800))
    assert engine.time_limit_s(copies(1), 600) == 1800
    assert engine.time_limit_s(copies(5), 600) == 3000


def test_importing_the_engine_leaves_modal_unloaded_and_the_app_needs_no_token(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("MODAL_")}
    env.update(HOME=str(tmp_path), OMTX_MODAL_GPU="H100", OMTX_MODAL_TIMEOUT_S="900")
    code = (
        "import sys, omtx_core.engines.modal; print('modal' in sys.modules); "
        "import omtx_core.engines.modal_app as m; print(m.app.name, m.GPU, m.TIMEOUT_S)"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[:2] == ["False", "omtx-boltz H100 900"]


def test_the_remote_body_refuses_to_run_without_weights(tmp_path, monkeypatch):
    monkeypatch.setenv("OMTX_BOLTZ_CACHE", str(tmp_path / "empty"))
    with pytest.raises(RuntimeError, match="modal run omtx_core/engines/modal_app.py::download_models"):
        modal_app.predict_batch.local([], [])


def test_the_remote_body_stages_msas_and_packs_results(cache, record, tmp_path):
    yaml_text = (
        "version: 1\nsequences:\n  - protein:\n      id: A\n      sequence: MVTPEGNVSLVDESLLVGVTDEDRAVRSAHQF\n"
        "      msa: '@MSA_DIR@/A.a3m'\n"
    )
    out = modal_app.predict_batch.local(
        [{"name": "with_msa", "yaml_text": yaml_text, "msas": [["A.a3m", b">A\n"]]}], []
    )
    assert out["exit_code"] == 0 and "Number of failed examples: 0" in out["log"]
    from omtx_core.boltz.staging import unpack_results

    assert predictions(unpack_results(out["results"], tmp_path / "unpacked")) == ["with_msa"]


def test_the_remote_body_reports_failures_instead_of_raising(cache, monkeypatch):
    monkeypatch.setenv("FAKE_BOLTZ_MODE", "hang")
    monkeypatch.setattr(modal_app, "TIMEOUT_S", modal_app.BOLTZ_GRACE_S + 1)  # Boltz gets one second
    monkeypatch.setattr(modal_app, "LOG_TAIL_CHARS", 100)
    out = modal_app.predict_batch.local([{"name": "r0", "yaml_text": copies(1)[0].yaml_text, "msas": []}], [])
    assert out["exit_code"] == 124 and "stopped after 1 s" in out["log"] and len(out["log"]) <= 100
    monkeypatch.setenv("OMTX_BOLTZ_COMMAND", "/nonexistent/boltz")
    out = modal_app.predict_batch.local([], [])
    assert out["exit_code"] == 127 and "could not start '/nonexistent/boltz'" in out["log"]


def test_the_guard_fails_a_test_that_reaches_for_real_modal():
    with pytest.raises(pytest.fail.Exception, match="real Modal service"):
        ModalEngine(Settings()).start(EngineBatch("job1", copies(1), timeout_s=60))
