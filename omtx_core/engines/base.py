"""The Engine protocol: start a batch of Boltz runs, poll it, read its log, fetch its outputs, cancel it."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Protocol, runtime_checkable

from omtx_core.errors import OmtxError


@dataclass(frozen=True)
class EngineRun:
    """One Boltz input: the YAML file stem (`name`), its text, and its `boltz predict` flags."""

    name: str
    yaml_text: str
    cli_args: tuple[str, ...]


@dataclass(frozen=True)
class EngineBatch:
    """The runs of one job, sent together so Boltz loads its model once."""

    job_id: str
    runs: tuple[EngineRun, ...]
    timeout_s: float


class EngineState(StrEnum):
    RUNNING = "running"
    FINISHED = "finished"  # the engine is done; which runs produced output is checked from the files
    FAILED = "failed"


@dataclass(frozen=True)
class EngineStatus:
    """Where a batch stands: state, runs known to be finished (for progress), and a failure reason."""

    state: EngineState
    finished_runs: tuple[str, ...] = ()
    message: str = ""
    transient: bool = False  # a failure worth retrying (engine unreachable, preempted), not bad input


class EngineError(OmtxError):
    """An engine could not do what was asked; `transient` errors are retried with backoff."""

    def __init__(self, message: str, hint: str = "", *, transient: bool = False) -> None:
        super().__init__(message, hint)
        self.transient = transient


@runtime_checkable
class Engine(Protocol):
    """Moves Boltz inputs to outputs; knows nothing about tasks or stores."""

    name: str

    def unavailable_reason(self) -> str | None:
        """None when the engine can run now; otherwise what to configure, in plain words."""
        ...

    def start(self, batch: EngineBatch) -> list[str]:
        """Start the batch without waiting; return the engine call ids to poll, cancel and fetch by."""
        ...

    def poll(self, call_ids: list[str]) -> EngineStatus: ...

    def read_log(self, call_ids: list[str]) -> str:
        """The whole engine log so far (stdout and stderr of Boltz), never containing secrets."""
        ...

    def fetch_outputs(self, call_ids: list[str], dest: Path) -> list[Path]:
        """Place the batch's `boltz_results_*` folders under `dest`; return them."""
        ...

    def cancel(self, call_ids: list[str]) -> None:
        """Stop the runs (idempotent; unknown or finished calls are ignored)."""
        ...
