"""The Modal engine: spawn the deployed `predict_batch` for chunks of a batch, poll without waiting, unpack results."""

from __future__ import annotations

import contextlib
import os
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from omtx_core.boltz.staging import unpack_results
from omtx_core.config import Settings
from omtx_core.engines.base import EngineBatch, EngineRun, EngineState, EngineStatus, time_limit_s
from omtx_core.engines.failures import classify, exception_kind
from omtx_core.errors import EngineError

BATCH_PREFIX = "modal-batch:"
README_SECTION = "Running on Modal"
DEPLOY_COMMAND = "modal deploy omtx_core/engines/modal_app.py"
MAX_REMEMBERED_BATCHES = 50  # ended batches kept for read_log/fetch_outputs; older ones are forgotten
# Exception class names (Modal's or builtin) meaning "Modal could not be reached", worth a retry.
_CONNECTIVITY = {"ConnectionError", "ServiceError", "InternalError", "ResourceExhaustedError", "StreamTerminatedError"}


@dataclass
class _Chunk:
    """One Modal call's worth of runs sharing the same `boltz predict` flags."""

    index: int
    runs: tuple[EngineRun, ...]
    cli_args: tuple[str, ...]
    state: str = "waiting"  # waiting -> running -> finished | failed; waiting/running -> cancelled
    call_id: str = ""
    error: str = ""
    kind: str = ""  # of its failure (omtx_core.engines.failures)
    log: str = ""
    results: bytes = b""


@dataclass
class _Batch:
    chunks: list[_Chunk]
    function: Any  # the looked-up Modal Function, kept to spawn waiting chunks later
    lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self, *states: str) -> int:
        return sum(chunk.state in states for chunk in self.chunks)

    def ended(self) -> bool:
        return self.count("waiting", "running") == 0


class _Unreachable(Exception):
    """Modal could not be reached; the poll reports a transient failure."""


def _default_lookup(app_name: str, function_name: str) -> Any:
    import modal  # heavy: only when a Modal engine really talks to Modal

    return modal.Function.from_name(app_name, function_name)


def _default_call_from_id(call_id: str) -> Any:
    import modal

    return modal.FunctionCall.from_id(call_id)


def _still_running(exc: Exception) -> bool:
    # get(timeout=0) raises modal.exception.TimeoutError (or the builtin) while the call runs; its subclasses
    # (FunctionTimeoutError, OutputExpiredError) mean the call is over.
    return type(exc).__name__ == "TimeoutError"


def _unreachable(exc: Exception) -> bool:
    return type(exc).__name__ in _CONNECTIVITY or isinstance(exc, OSError)


def _describe(exc: Exception) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class ModalEngine:
    """Runs Boltz on Modal GPUs through the deployed `modal_app.py`; `lookup`/`call_from_id` are injectable."""

    name = "modal"

    def __init__(
        self,
        settings: Settings,
        *,
        lookup: Callable[[str, str], Any] | None = None,
        call_from_id: Callable[[str], Any] | None = None,
    ) -> None:
        self.settings = settings
        self._lookup = lookup or _default_lookup
        self._call_from_id = call_from_id or _default_call_from_id
        self._batches: dict[str, _Batch] = {}
        self._lock = threading.Lock()

    def unavailable_reason(self) -> str | None:
        if os.environ.get("MODAL_TOKEN_ID") and os.environ.get("MODAL_TOKEN_SECRET"):
            return None
        config = Path(os.environ.get("MODAL_CONFIG_PATH") or Path.home() / ".modal.toml")
        if config.is_file():
            return None
        return (
            "Modal is not configured: set MODAL_TOKEN_ID and MODAL_TOKEN_SECRET (or run `modal token new`), "
            f'then deploy the Boltz app once with `{DEPLOY_COMMAND}` (README, section "{README_SECTION}").'
        )

    def time_limit_s(self, runs: tuple[EngineRun, ...], per_run_s: float) -> float:
        return max(time_limit_s(runs, per_run_s), float(self.settings.modal_timeout_s))

    def start(self, batch: EngineBatch) -> list[str]:
        try:
            function = self._lookup(self.settings.modal_app_name, self.settings.modal_function_name)
        except Exception as exc:
            raise self._engine_error(exc) from None
        state = _Batch(self._chunk(batch.runs), function)
        try:
            self._fill(state, strict=True)
        except Exception as exc:  # nothing may keep running for a batch the worker never learns about
            self._cancel_chunks(state)
            raise self._engine_error(exc) from None
        batch_id = f"{BATCH_PREFIX}{uuid.uuid4().hex}"
        with self._lock:
            self._forget_old()
            self._batches[batch_id] = state
        return self._ids(batch_id, state)

    def poll(self, call_ids: list[str]) -> EngineStatus:
        state = self._batch(call_ids)
        if state is None:
            return EngineStatus(
                EngineState.FAILED, message="The app lost track of the Modal calls.", transient=True, kind="crashed"
            )
        with state.lock:
            try:
                for chunk in state.chunks:
                    if chunk.state == "running":
                        self._check(chunk)
                self._fill(state)
            except _Unreachable as exc:
                return EngineStatus(EngineState.FAILED, message=str(exc), transient=True, kind="unavailable")
            return self._status(call_ids[0], state)

    def read_log(self, call_ids: list[str]) -> str:
        state = self._batch(call_ids)
        if state is None:
            return ""
        with state.lock:
            lines = [self._summary(chunk, len(state.chunks)) for chunk in state.chunks]
            for chunk in state.chunks:
                if chunk.log:
                    lines += [f"----- chunk {chunk.index + 1}: Boltz log -----", chunk.log.rstrip("\n")]
        return "\n".join(lines) + "\n"

    def fetch_outputs(self, call_ids: list[str], dest: Path, runs: list[str] | None = None) -> list[Path]:
        state = self._batch(call_ids)
        if state is None:
            raise EngineError(
                "The app lost track of the Modal calls.", "The job is retried; re-run it if it fails.", transient=True
            )
        wanted = None if runs is None else set(runs)
        folders: list[Path] = []
        with state.lock:
            for chunk in state.chunks:
                if wanted is not None and not wanted & {run.name for run in chunk.runs}:
                    continue  # while running, only the chunks holding newly finished runs
                if chunk.state == "finished" and chunk.results:
                    folders += unpack_results(chunk.results, dest / f"chunk_{chunk.index}")
        return folders

    def cancel(self, call_ids: list[str]) -> None:
        state = self._batch(call_ids)
        if state is None:  # another process started them: cancel what the ids name
            for call_id in call_ids[1:] if call_ids and call_ids[0].startswith(BATCH_PREFIX) else call_ids:
                self._cancel_call(call_id)
            return
        with state.lock:
            self._cancel_chunks(state)

    # -- internals ---------------------------------------------------------------------------------------------

    def _chunk(self, runs: tuple[EngineRun, ...]) -> list[_Chunk]:
        """Runs grouped by identical flags (one `boltz predict` takes one set), then cut into `chunk_size` pieces."""
        groups: dict[tuple[str, ...], list[EngineRun]] = {}
        for run in runs:
            groups.setdefault(tuple(run.cli_args), []).append(run)
        size, chunks = self.settings.modal_chunk_size, []
        for cli_args, group in groups.items():
            for start in range(0, len(group), size):
                chunks.append(_Chunk(len(chunks), tuple(group[start : start + size]), cli_args))
        return chunks

    def _fill(self, state: _Batch, *, strict: bool = False) -> None:
        """Spawn waiting chunks while fewer than `max_calls` run in all this engine's batches (so jobs share the
        cap); `strict` re-raises the first spawn error."""
        with self._lock:
            elsewhere = sum(other.count("running") for other in self._batches.values() if other is not state)
        free = self.settings.modal_max_calls - elsewhere - state.count("running")
        for chunk in [c for c in state.chunks if c.state == "waiting"][: max(0, free)]:
            try:
                call = state.function.spawn(_payload(chunk.runs), list(chunk.cli_args))
            except Exception as exc:
                if strict:
                    raise
                if _unreachable(exc):
                    raise _Unreachable(f"Modal is unreachable: {_describe(exc)}") from None
                failure = self._engine_error(exc)
                chunk.state, chunk.error, chunk.kind = "failed", failure.message, failure.kind
                continue
            chunk.state, chunk.call_id = "running", call.object_id

    def _check(self, chunk: _Chunk) -> None:
        """Ask Modal, without waiting, whether a chunk's call ended; record its result or error."""
        try:
            result = self._call_from_id(chunk.call_id).get(timeout=0)
        except Exception as exc:
            if _still_running(exc):
                return
            if _unreachable(exc):
                raise _Unreachable(f"Modal is unreachable: {_describe(exc)}") from None
            chunk.state, chunk.error = "failed", f"The Modal call failed: {_describe(exc)}"
            chunk.kind = exception_kind(exc)
            return
        chunk.log = str(result.get("log", ""))
        chunk.results = bytes(result.get("results") or b"")
        code = int(result.get("exit_code", 1))
        if code == 0:
            chunk.state = "finished"
        else:
            last = next((line.strip() for line in reversed(chunk.log.splitlines()) if line.strip()), "")
            chunk.state, chunk.error = "failed", f"Boltz exited with code {code}" + (f": {last}" if last else "")
            chunk.kind = classify(chunk.log, exit_code=code)

    def _status(self, batch_id: str, state: _Batch) -> EngineStatus:
        done = tuple(run.name for chunk in state.chunks if chunk.state == "finished" for run in chunk.runs)
        ids = tuple(self._ids(batch_id, state))
        if not state.ended():
            return EngineStatus(EngineState.RUNNING, finished_runs=done, call_ids=ids)
        if state.count("finished"):
            return EngineStatus(EngineState.FINISHED, finished_runs=done, call_ids=ids)
        failed = next((chunk for chunk in state.chunks if chunk.error), None)
        first = failed.error if failed else "The Modal calls were cancelled."
        return EngineStatus(EngineState.FAILED, message=first, call_ids=ids, kind=failed.kind if failed else "other")

    def _cancel_chunks(self, state: _Batch) -> None:
        for chunk in state.chunks:
            if chunk.state == "running":
                self._cancel_call(chunk.call_id)
            if chunk.state in ("waiting", "running"):
                chunk.state = "cancelled"

    def _cancel_call(self, call_id: str) -> None:
        # best effort: the call may be over or Modal unreachable; Modal's own time limit ends it anyway
        with contextlib.suppress(Exception):
            self._call_from_id(call_id).cancel()

    def _engine_error(self, exc: Exception) -> EngineError:
        name = f"{self.settings.modal_app_name}.{self.settings.modal_function_name}"
        if type(exc).__name__ == "NotFoundError":
            return EngineError(
                f"The Modal function {name} is not deployed.", f"Run `{DEPLOY_COMMAND}`.", kind="unavailable"
            )
        if type(exc).__name__ == "AuthError":
            return EngineError(
                "Modal refused the credentials.", "Check MODAL_TOKEN_ID and MODAL_TOKEN_SECRET.", kind="unavailable"
            )
        unreachable = _unreachable(exc)
        return EngineError(
            f"Could not start the Modal calls: {_describe(exc)}",
            "Modal may be down or overloaded: the job is retried." if unreachable else "Open the log for details.",
            transient=unreachable,
            kind="unavailable" if unreachable else exception_kind(exc),
        )

    def _batch(self, call_ids: list[str]) -> _Batch | None:
        with self._lock:
            return self._batches.get(call_ids[0]) if call_ids else None

    def _forget_old(self) -> None:
        ended = [key for key, state in self._batches.items() if state.ended()]
        for key in ended[: max(0, len(self._batches) - MAX_REMEMBERED_BATCHES + 1)]:
            del self._batches[key]

    @staticmethod
    def _ids(batch_id: str, state: _Batch) -> list[str]:
        return [batch_id, *(chunk.call_id for chunk in state.chunks if chunk.call_id)]

    @staticmethod
    def _summary(chunk: _Chunk, total: int) -> str:
        names = ", ".join(run.name for run in chunk.runs)
        call = f" (call {chunk.call_id})" if chunk.call_id else ""
        error = f": {chunk.error}" if chunk.error and chunk.state != "finished" else ""
        return f"[modal] chunk {chunk.index + 1}/{total}, {len(chunk.runs)} runs [{names}]: {chunk.state}{call}{error}"


def _payload(runs: tuple[EngineRun, ...]) -> list[dict]:
    """Runs as plain data for `predict_batch` (Modal pickles arguments; keep them free of our classes)."""
    return [{"name": r.name, "yaml_text": r.yaml_text, "msas": [[n, bytes(d)] for n, d in r.msas]} for r in runs]
