"""Prometheus metrics scraped over HTTP from a real worker process after a few CLI jobs (one failing)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from omtx_core.config import Settings
from omtx_core.metrics import Metrics, job_finished
from tests.examples import VALID_INPUTS
from tests.fake_boltz_env import fake_boltz

REPO = Path(__file__).resolve().parents[1]
SECRET = "metrics-jwt-secret-never-shown-42"
KEY = "metrics-supabase-key-never-shown-42"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def worker(tmp_path):
    """A `python -m omtx_core worker` serving metrics; every protein_structure run 'runs out of memory'."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OMTX_", "MODAL_", "FAKE_BOLTZ"))}
    env.update(OMTX_DATA_DIR=str(tmp_path / "data"), OMTX_ENGINE="local", OMTX_BOLTZ_ACCELERATOR="gpu",
               OMTX_BOLTZ_COMMAND=fake_boltz(mode="oom:structure"), OMTX_WORKER_POLL_S="0.05",
               OMTX_METRICS_PORT=str(port), OMTX_LOG_FORMAT="json", OMTX_SUPABASE_JWT_SECRET=SECRET,
               OMTX_SUPABASE_KEY=KEY, HOME=str(tmp_path))  # fmt: skip
    log = (tmp_path / "worker.log").open("w")
    process = subprocess.Popen([sys.executable, "-m", "omtx_core", "worker"], cwd=REPO, env=env, stderr=log)
    yield env, port, tmp_path / "worker.log"
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) == 0
    log.close()


def cli(env, *args, stdin=None):
    return subprocess.run([sys.executable, "-m", "omtx_core", *args], cwd=REPO, env=env, input=stdin,
                          capture_output=True, text=True, timeout=120)  # fmt: skip


def submit(env, task: str, data: dict) -> dict:
    result = cli(env, "submit", task, "-", "--wait", "--timeout", "60", stdin=json.dumps(data))
    job_id = result.stdout.strip().splitlines()[-1]
    return json.loads(cli(env, "jobs", "show", job_id, "--json").stdout)


def scrape(port: int) -> str:
    deadline = time.monotonic() + 20
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
                return response.read().decode()
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def samples(text: str) -> dict[tuple[str, tuple], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_a_workers_metrics_count_jobs_by_task_and_kind(worker):
    env, port, log_file = worker
    binding = VALID_INPUTS["protein_ligand_binding"]
    assert submit(env, "protein_ligand_binding", binding)["status"] == "completed"
    assert submit(env, "protein_ligand_binding", binding)["cache_hit"]  # answered by the CLI, run by no worker
    failed = submit(env, "protein_structure", VALID_INPUTS["protein_structure"])
    assert failed["status"] == "failed"
    kind = failed["error"]["kind"]

    text = scrape(port)
    got = samples(text)
    # Submissions count in the process that submits (here the CLI); the worker counts what it runs.
    assert got[("omtx_jobs_claimed_total", (("task", "protein_ligand_binding"),))] == 1
    assert got[("omtx_jobs_completed_total", (("task", "protein_ligand_binding"),))] == 1
    assert got[("omtx_jobs_failed_total", (("kind", kind), ("task", "protein_structure")))] == 1
    assert got[("omtx_job_duration_seconds_count", (("task", "protein_ligand_binding"),))] == 1
    assert got[("omtx_engine_batch_duration_seconds_count", (("engine", "local"),))] >= 2
    assert got[("omtx_engine_calls_total", (("engine", "local"),))] >= 2
    assert got[("omtx_queue_depth", ())] == 0 and got[("omtx_jobs_running", ())] == 0
    assert got[("omtx_store_up", ())] == 1
    logged = log_file.read_text()
    for secret in (SECRET, KEY):
        assert secret not in text and secret not in logged
    lines = [json.loads(line) for line in logged.splitlines() if line.startswith("{")]
    assert any(e.get("job_id") == failed["id"] and e["message"] == "job failed" for e in lines)


def test_submissions_and_cache_hits_count_in_the_submitting_process(tmp_path):
    from omtx_core.domain.identity import LOCAL_USER
    from omtx_core.jobs.service import JobService
    from omtx_core.metrics import metrics
    from omtx_core.store.local_artifacts import LocalArtifactStore
    from omtx_core.store.sqlite import SqliteJobStore

    settings = Settings(data_dir=tmp_path)
    store = SqliteJobStore(settings.database_path)
    service = JobService(settings=settings, store=store, artifacts=LocalArtifactStore(settings.artifacts_dir),
                         identity=LOCAL_USER)  # fmt: skip
    m = metrics()
    before = m.submitted.labels("protein_structure")._value.get(), m.cache_hits.labels("protein_structure")._value.get()
    job = service.submit("protein_structure", VALID_INPUTS["protein_structure"]).job
    store.update(job.id, {"status": "running"})
    store.update(job.id, {"status": "completed", "result": {}})
    assert service.submit("protein_structure", VALID_INPUTS["protein_structure"]).job.cache_hit
    after = m.submitted.labels("protein_structure")._value.get(), m.cache_hits.labels("protein_structure")._value.get()
    assert (after[0] - before[0], after[1] - before[1]) == (2, 1)


def test_a_failed_job_without_a_kind_counts_as_other(monkeypatch):
    import omtx_core.metrics as module

    fresh = Metrics()
    monkeypatch.setattr(module, "_metrics", fresh)

    class Old:  # a job row written before errors had kinds
        status, task_type, duration_s, error = "failed", "protein_structure", 3.0, object()

    job_finished(Old())
    assert fresh.failed.labels("protein_structure", "other")._value.get() == 1
