"""A stand-in for Modal's lookups and calls that runs the deployed app's real remote body in threads."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import modal.exception

from omtx_core.boltz.outputs import parse_boltz_output
from omtx_core.config import Settings
from omtx_core.engines import modal_app
from omtx_core.engines.base import EngineRun, EngineState
from omtx_core.engines.modal import ModalEngine
from omtx_core.tasks import validate_task_input
from tests.examples import VALID_INPUTS

WEIGHTS = ("boltz2_conf.ckpt", "boltz2_aff.ckpt", "mols.tar")
_REMOTE_LOCK = threading.Lock()  # remote bodies run one at a time, so per-call env overrides cannot mix


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
