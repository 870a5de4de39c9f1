"""Times the REST API's `POST /predict` and `GET /jobs/{id}/result` over HTTP at 1,000 and 100,000 stored jobs.

Each size gets a fresh SQLite store: the bulk jobs (finished history of the local user, inserted in one
transaction as bench/bench_sqlite_list.py does), plus the carazolol fixture imported as a completed job, whose
result document `GET /jobs/{id}/result` reads. The API then runs as users run it, `python -m omtx_core api` (one
uvicorn process, open as the local user, no worker, no Redis) on a free port, and one httpx client with keep-alive
sends the requests one after another, so each figure is one request's full round trip through the server:
`POST /predict` validates a protein_structure input, checks the limits and stores a pending job (`force_rerun`:
the result cache is not asked); `GET /jobs` (first page) is timed too, for scale.

Run: .venv/bin/python -m bench.bench_api [--requests N]
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from bench.standin import CARAZOLOL_CASE, LYSOZYME, REPO
from omtx_core.config import Settings
from omtx_core.domain.identity import LOCAL_OWNER, LOCAL_USER
from omtx_core.domain.job import Job, JobStatus
from omtx_core.jobs.service import JobService
from omtx_core.store.local_artifacts import LocalArtifactStore
from omtx_core.store.sqlite import FOLDED_NAME, SqliteJobStore, format_time, job_to_row

SIZES = (1_000, 100_000)
WARMUP = 10
API = "/api/v1"
# The API process: open (no keys) as the local user, limits far above what the bench submits, nothing else running.
SERVER_ENV = {
    "OMTX_API_OPEN": "true",
    "OMTX_RATE_LIMIT_PER_MIN": "1000000",
    "OMTX_MAX_ACTIVE_JOBS_PER_USER": "1000000",
    "OMTX_MAX_ACTIVE_JOBS": "1000000",
    "OMTX_WORKER": "false",
    "OMTX_LOG_LEVEL": "WARNING",
}
FINISHED = [JobStatus.COMPLETED.value, JobStatus.FAILED.value, JobStatus.CANCELLED.value]


def fill(store: SqliteJobStore, count: int) -> float:
    """Insert `count` finished jobs of the local user, older than any the bench submits; return the seconds taken."""
    template = job_to_row(Job(owner=LOCAL_OWNER, task_type="protein_structure", job_name="x",
                              input={"protein_sequence": "MQIF"}, input_hash="h"))  # fmt: skip
    base = datetime(2024, 1, 1, tzinfo=UTC)
    rows = []
    for i in range(count):
        name = f"Kinase screen {i}" if i % 3 == 0 else f"dimer {i}"
        rows.append(template | {"id": f"bulk{i:06d}", "created_at": format_time(base + timedelta(seconds=i)),
                                "status": FINISHED[i % 3], "job_name": name, FOLDED_NAME: name.casefold()})  # fmt: skip
    start = time.perf_counter()
    store._insert_rows(rows)
    return time.perf_counter() - start


def prepare(data_dir: Path, count: int) -> tuple[str, float]:
    """The store of one size: `count` bulk jobs and the imported carazolol job; (its id, seconds the insert took)."""
    settings = Settings(data_dir=data_dir, **{k.removeprefix("OMTX_").lower(): v for k, v in SERVER_ENV.items()})
    store = SqliteJobStore(settings.database_path)
    try:
        seconds = fill(store, count)
        service = JobService(settings=settings, store=store, artifacts=LocalArtifactStore(settings.artifacts_dir),
                             identity=LOCAL_USER)  # fmt: skip
        job = service.import_results(CARAZOLOL_CASE, job_name="carazolol")
    finally:
        store.close()
    return job.id, seconds


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(data_dir: Path, log: Path) -> tuple[subprocess.Popen, str]:
    """`python -m omtx_core api` on a free port over `data_dir`; (process, base URL) once it answers HTTP."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OMTX_", "MODAL_"))}
    env |= SERVER_ENV | {"OMTX_DATA_DIR": str(data_dir), "OMTX_BOLTZ_COMMAND": str(data_dir / "no-boltz")}
    command = [sys.executable, "-m", "omtx_core", "api", "--host", "127.0.0.1", "--port", str(port)]
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the API server exited ({process.returncode}):\n{log.read_text()[-3000:]}")
        try:
            httpx.get(f"{url}/openapi.json", timeout=2)
            return process, url
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    process.kill()
    raise SystemExit(f"the API server did not answer within 60 s:\n{log.read_text()[-3000:]}")


def timed(send: Callable[[int], httpx.Response], requests: int, expected: int) -> tuple[float, float]:
    """(median, p95) in milliseconds of `requests` calls of `send(i)`, after a few untimed ones."""
    times = []
    for i in range(-WARMUP, requests):
        start = time.perf_counter()
        response = send(i)
        elapsed = time.perf_counter() - start
        if response.status_code != expected:
            raise SystemExit(f"{response.request.method} {response.request.url}: {response.status_code} "
                             f"{response.text[:500]}")  # fmt: skip
        if i >= 0:
            times.append(elapsed * 1000)
    return statistics.median(times), statistics.quantiles(times, n=20)[18]


def measure(url: str, result_job: str, requests: int) -> dict[str, tuple[float, float]]:
    with httpx.Client(base_url=f"{url}{API}", timeout=30) as client:
        predict = {"task_type": "protein_structure", "input_data": {"protein_sequence": LYSOZYME}, "force_rerun": True}

        def submit(i: int) -> httpx.Response:
            return client.post("/predict", json=predict | {"job_name": f"bench {i}"})

        return {
            "POST /predict": timed(submit, requests, 201),
            "GET /jobs/{id}/result": timed(lambda i: client.get(f"/jobs/{result_job}/result"), requests, 200),
            "GET /jobs (first page)": timed(lambda i: client.get("/jobs"), requests, 200),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300, help="timed requests per endpoint and size")
    args = parser.parse_args()
    figures: dict[int, dict[str, tuple[float, float]]] = {}
    for size in SIZES:
        with tempfile.TemporaryDirectory() as folder:
            data_dir = Path(folder) / "data"
            result_job, seconds = prepare(data_dir, size)
            print(f"{size:,} jobs inserted in {seconds:.2f} s; carazolol imported as {result_job}")
            process, url = start_server(data_dir, Path(folder) / "server.log")
            try:
                figures[size] = measure(url, result_job, args.requests)
            finally:
                process.terminate()
                process.wait(timeout=30)
    print(f"\n{args.requests} sequential requests per endpoint over HTTP (httpx → uvicorn, one process), in ms")
    print(f"{'':<24}" + "".join(f"{f'{size:,} jobs':>22}" for size in SIZES))
    print(f"{'endpoint':<24}" + f"{'median':>12}{'p95':>10}" * len(SIZES))
    for endpoint in figures[SIZES[0]]:
        cells = "".join(f"{figures[size][endpoint][0]:>12.1f}{figures[size][endpoint][1]:>10.1f}" for size in SIZES)
        print(f"{endpoint:<24}{cells}")


if __name__ == "__main__":
    main()
