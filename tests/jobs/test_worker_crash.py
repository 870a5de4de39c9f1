"""A worker process killed mid-job: the job is re-queued after its lease, completes once, no result twice."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from omtx_core.domain.job import JobStatus
from omtx_core.jobs.worker import Worker
from tests.engines import FixtureEngine
from tests.examples import VALID_INPUTS
from tests.jobs.conftest import FAST
from tests.services import job_service

REPO = Path(__file__).resolve().parents[2]


def start_worker(data_dir: Path, worker_id: str, polls: int) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    command = [sys.executable, "-m", "tests.worker_process", str(data_dir), worker_id, str(polls)]
    return subprocess.Popen(command, cwd=REPO, env=env)


def wait_until(condition, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_killed_worker_job_is_requeued_and_completes_once(store, artifacts, settings):
    job = job_service(store).submit("variant_comparison", VALID_INPUTS["variant_comparison"]).job
    process = start_worker(settings.data_dir, "doomed", polls=10**6)  # never finishes on its own
    try:
        wait_until(lambda: store.get(job.id).engine_call_ids and store.get(job.id).lease_owner == "doomed")
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    finally:
        process.kill()
    assert store.get(job.id).status == JobStatus.RUNNING  # nobody can tell it died until the lease runs out

    rescuer = Worker(store, artifacts, FixtureEngine(), settings.model_copy(update={"lease_s": 5}),
                     worker_id="rescuer", timing=FAST)  # fmt: skip
    assert rescuer.run_once() is None  # the dead worker's lease is still live
    wait_until(lambda: rescuer.run_once() is not None, timeout=30)

    final = store.get(job.id)
    assert final.status == JobStatus.COMPLETED and final.attempts == 2 and final.lease_owner is None
    assert len(final.artifacts) == len(set(final.artifacts))
    document = json.loads(artifacts.get(f"results/{job.id}/result.json"))
    assert sorted(document["runs"]) == sorted(final.result["runs"]) and len(document["runs"]) == 4
    assert rescuer.run_once() is None  # nothing left: it finished exactly once
