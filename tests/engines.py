"""Test double at the engine edge: 'runs' a batch by writing real Boltz fixture output for each run."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path

from omtx_core.engines.base import EngineBatch, EngineState, EngineStatus
from omtx_core.errors import EngineError
from tests.boltz_fixture_output import write_prediction


@dataclass
class FixtureEngine:
    """Finishes a batch after `polls_to_finish` polls; can fail, fail transiently, or skip runs like Boltz does."""

    polls_to_finish: int = 1
    missing_runs: tuple[str, ...] = ()  # runs Boltz "skips" (no files, exit 0), as on out-of-memory
    fail_message: str | None = None  # permanent engine failure
    transient_failures: int = 0  # the first N starts raise a transient EngineError
    unavailable: str | None = None
    name: str = "fixture"
    started: list[EngineBatch] = field(default_factory=list)
    cancelled: list[str] = field(default_factory=list)
    _polls: dict[str, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def unavailable_reason(self) -> str | None:
        return self.unavailable

    def time_limit_s(self, runs, per_run_s: float) -> float:
        return per_run_s * len(runs)

    def start(self, batch: EngineBatch) -> list[str]:
        with self._lock:
            self.started.append(batch)
            if len(self.started) <= self.transient_failures:
                raise EngineError("The engine is unreachable.", transient=True)
            call_id = f"call-{len(self.started)}"
            self._polls[call_id] = 0
            return [call_id]

    def poll(self, call_ids: list[str]) -> EngineStatus:
        with self._lock:
            self._polls[call_ids[0]] += 1
            polls = self._polls[call_ids[0]]
        batch = self._batch(call_ids)
        if self.fail_message:
            return EngineStatus(EngineState.FAILED, message=self.fail_message)
        if polls < self.polls_to_finish:
            done = tuple(r.name for r in batch.runs[: polls * len(batch.runs) // self.polls_to_finish])
            return EngineStatus(EngineState.RUNNING, finished_runs=done)
        return EngineStatus(EngineState.FINISHED, finished_runs=tuple(r.name for r in batch.runs))

    def read_log(self, call_ids: list[str]) -> str:
        lines = [f"Predicting {len(self._batch(call_ids).runs)} inputs"]
        lines += [f"| WARNING: ran out of memory, skipping batch ({name})" for name in self.missing_runs]
        lines.append(f"Number of failed examples: {len(self.missing_runs)}")
        return "\n".join(lines) + "\n"

    def fetch_outputs(self, call_ids: list[str], dest: Path, runs: list[str] | None = None) -> list[Path]:
        batch = self._batch(call_ids)
        results = dest / f"boltz_results_{batch.job_id}"
        for run in batch.runs:
            if run.name not in self.missing_runs and (runs is None or run.name in runs):
                write_prediction(results, run.name, _protein_sequence(run.yaml_text))
        (results / "predictions").mkdir(parents=True, exist_ok=True)
        return [results]

    def cancel(self, call_ids: list[str]) -> None:
        self.cancelled.extend(call_ids)

    def _batch(self, call_ids: list[str]) -> EngineBatch:
        return self.started[int(call_ids[0].removeprefix("call-")) - 1]


def _protein_sequence(yaml_text: str) -> str | None:
    import yaml

    entries = yaml.safe_load(yaml_text)["sequences"]
    return next((e["protein"]["sequence"] for e in entries if "protein" in e), None)
