"""Boltz calls and MSA requests for a 100-compound screen through the local engine (stand-in `boltz`), beside the
naive plan of one call and one MSA request per compound. Run: `.venv/bin/python -m bench.bench_screen_calls`."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from bench.standin import LYSOZYME, recorded, screen_compounds, standin_command
from omtx_core.config import Settings
from omtx_core.domain.identity import LOCAL_USER
from omtx_core.domain.job import JobStatus
from omtx_core.engines.local import LocalEngine
from omtx_core.jobs.service import JobService
from omtx_core.jobs.worker import Worker, WorkerTiming
from omtx_core.store.local_artifacts import LocalArtifactStore
from omtx_core.store.sqlite import SqliteJobStore

COMPOUNDS = 100


def screen(n: int, linker: str = "N") -> dict:
    return {"protein_sequence": LYSOZYME, "compounds": screen_compounds(n, linker)}


def run_screen(folder: Path, data: dict) -> tuple[int, int, float]:
    record = folder / "calls.jsonl"
    record.unlink(missing_ok=True)
    settings = Settings(data_dir=folder / "data", run_timeout_s=600, max_attempts=1)
    store, artifacts = SqliteJobStore(settings.database_path), LocalArtifactStore(settings.artifacts_dir)
    engine = LocalEngine(standin_command(record=str(record)), folder / "engine", accelerator="gpu")
    worker = Worker(store, artifacts, engine, settings, timing=WorkerTiming(poll_s=0.05, idle_s=0.05))
    jobs = JobService(settings=settings, store=store, artifacts=artifacts, identity=LOCAL_USER)
    job = jobs.submit("drug_discovery", data, use_cache=False).job
    started = time.perf_counter()
    done = worker.run_once()
    elapsed = time.perf_counter() - started
    assert done.id == job.id and done.status == JobStatus.COMPLETED, done.error
    calls, msa_requests = recorded(record)
    return len(calls), len(msa_requests), elapsed


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        calls, msas, elapsed = run_screen(folder, screen(COMPOUNDS))
        cached_calls, cached_msas, cached_elapsed = run_screen(folder, screen(COMPOUNDS, linker="S"))
    print(f"{COMPOUNDS}-compound screen, local engine, stand-in boltz")
    print(f"{'':28}{'boltz calls':>12}{'MSA requests':>14}{'model loads saved':>19}")
    print(f"{'naive (one call each)':28}{COMPOUNDS:>12}{COMPOUNDS:>14}{0:>19}")
    print(f"{'OMTX-Hub, cold MSA cache':28}{calls:>12}{msas:>14}{COMPOUNDS - calls:>19}")
    print(f"{'OMTX-Hub, target MSA cached':28}{cached_calls:>12}{cached_msas:>14}{COMPOUNDS - cached_calls:>19}")
    print(
        f"ratio of boltz calls, naive / cold: {COMPOUNDS / calls:.0f}x; MSA requests: {COMPOUNDS / max(msas, 1):.0f}x"
    )
    print(f"(wall time with the stand-in: {elapsed:.1f} s cold, {cached_elapsed:.1f} s cached; not Boltz's speed)")


if __name__ == "__main__":
    main()
