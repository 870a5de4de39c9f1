"""The Engine protocol: start a batch of Boltz runs, poll it, read its log, fetch its outputs, cancel it."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Protocol, runtime_checkable

GPU_TOKENS_PER_RUN_LIMIT = 1000  # runs larger than this get proportionally more time
CPU_SECONDS_PER_TOKEN = 4.0  # about an hour for ~900 tokens on a CPU (BOLTZ.md §5)


@dataclass(frozen=True)
class EngineRun:
    """One Boltz input: the YAML file stem (`name`), its text, its `boltz predict` flags, and MSA files.

    `msas` are (file name, bytes); the YAML names them as `@MSA_DIR@/<file name>`.
    """

    name: str
    yaml_text: str
    cli_args: tuple[str, ...]
    msas: tuple[tuple[str, bytes], ...] = ()
    tokens: int = 0


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
    call_ids: tuple[str, ...] = ()  # when set: the engine's calls now (e.g. more were spawned); stored on the job
    kind: str = ""  # of a failure: a JobError kind (omtx_core.engines.failures); empty: classified from `message`


def time_limit_s(runs: tuple[EngineRun, ...], per_run_s: float, *, on_cpu: bool = False) -> float:
    """Time allowed for a batch: `per_run_s` per run, more for large runs, far more on a CPU."""
    total = 0.0
    for run in runs:
        scale = max(1.0, run.tokens / GPU_TOKENS_PER_RUN_LIMIT)
        total += max(per_run_s * scale, run.tokens * CPU_SECONDS_PER_TOKEN * 1.5 if on_cpu else 0.0)
    return total


@runtime_checkable
class Engine(Protocol):
    """Moves Boltz inputs to outputs; knows nothing about tasks or stores."""

    name: str

    def unavailable_reason(self) -> str | None:
        """None when the engine can run now; otherwise what to configure, in plain words."""
        ...

    def time_limit_s(self, runs: tuple[EngineRun, ...], per_run_s: float) -> float:
        """How long a batch may take on this engine (see `time_limit_s`)."""
        ...

    def start(self, batch: EngineBatch) -> list[str]:
        """Start the batch without waiting; return the engine call ids to poll, cancel and fetch by."""
        ...

    def poll(self, call_ids: list[str]) -> EngineStatus: ...

    def read_log(self, call_ids: list[str]) -> str:
        """The whole engine log so far (stdout and stderr of Boltz), never containing secrets."""
        ...

    def fetch_outputs(self, call_ids: list[str], dest: Path, runs: list[str] | None = None) -> list[Path]:
        """Place the batch's `boltz_results_*` folders under `dest`; return them. With `runs`, only those runs'
        predictions need to be there (used while the batch still runs, to show finished runs early)."""
        ...

    def cancel(self, call_ids: list[str]) -> None:
        """Stop the runs and free what they hold on this side, such as the local engine's work folder (idempotent;
        unknown or finished calls are ignored). The worker also calls it once a batch's outputs are copied and its
        log read, so nothing may be read from the calls afterwards."""
        ...
