"""The worker and its lease: a store that fails for a while, a lease that runs out, jobs that kill their worker."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest

from omtx_core.domain.job import JobStatus, utcnow
from omtx_core.jobs.worker import Worker
from omtx_core.store.sqlite import SqliteJobStore
from tests.examples import VALID_INPUTS
from tests.jobs.conftest import FAST
from tests.services import job_service
from tests.store_failures import WriteLock, wait_until


@pytest.fixture
def store(settings, monkeypatch) -> SqliteJobStore:
    """The real SQLite store, giving up on a locked database at once instead of after 30 s."""
    monkeypatch.setattr("omtx_core.store.sqlite.BUSY_TIMEOUT_S", 0.05)
    return SqliteJobStore(settings.database_path)


def submit(store, task: str = "protein_structure"):
    return job_service(store).submit(task, VALID_INPUTS[task]).job


def test_a_store_outage_shorter_than_the_lease_does_not_fail_the_running_job(store, worker, engine, settings):
    engine.polls_to_finish = 10**9
    job = submit(store)
    result = {}
    thread = threading.Thread(target=lambda: result.setdefault("job", worker.run_once()))
    thread.start()
    wait_until(lambda: engine.started and store.get(job.id).engine_call_ids)
    with WriteLock(settings.database_path):
        time.sleep(0.5)  # heartbeats fail for a while (SQLite busy past its timeout)
        assert store.get(job.id).status == JobStatus.RUNNING
    engine.polls_to_finish = 0  # the store is back: let Boltz finish
    thread.join(timeout=20)
    assert result["job"].status == JobStatus.COMPLETED and result["job"].error is None
    assert len(engine.started) == 1  # Boltz ran on through the outage: never stopped, never started again


def test_a_store_outage_past_the_lease_stops_the_job_quietly_for_another_worker(store, artifacts, engine, settings):
    engine.polls_to_finish = 10**9
    job = submit(store)
    start = utcnow()
    ticks = iter(range(10**6))
    clock = lambda: start + timedelta(seconds=5 * next(ticks))  # noqa: E731 - 5 s per look at the clock
    worker = Worker(store, artifacts, engine, settings, worker_id="w1", timing=FAST, clock=clock)
    result = {}
    thread = threading.Thread(target=lambda: result.setdefault("job", worker.run_once()))
    thread.start()
    wait_until(lambda: engine.started and store.get(job.id).engine_call_ids)
    with WriteLock(settings.database_path):
        thread.join(timeout=20)  # the lease (30 s) runs out while no heartbeat gets through
        assert not thread.is_alive()
    assert result["job"].id == job.id  # stopped quietly: nothing raised out of the worker
    left = store.get(job.id)
    assert left.status == JobStatus.RUNNING and left.error is None and engine.cancelled  # not failed for good
    taken = store.claim_next("w2", 30, max_running=10, now=left.lease_expires_at + timedelta(seconds=1))
    assert taken.id == job.id and taken.attempts == 2


def test_a_job_whose_worker_stops_every_time_fails_after_max_attempts(store, worker, engine, settings):
    job = submit(store)
    past = utcnow() - timedelta(hours=1)
    for attempt in range(settings.max_attempts):  # each claim's worker died: the lease ran out every time
        claimed = store.claim_next(f"dead-{attempt}", 1, max_running=10, now=past + timedelta(minutes=attempt))
        store.update(job.id, {"engine_call_ids": [f"call-of-dead-{attempt}"]})
        assert claimed.id == job.id and claimed.attempts == attempt + 1
    done = worker.run_once()
    assert done.id == job.id and done.status == JobStatus.FAILED and done.error.kind == "crashed"
    assert f"tried {settings.max_attempts} times" in done.error.message and "stopped" in done.error.message
    assert not engine.started and engine.cancelled == [f"call-of-dead-{settings.max_attempts - 1}"]
    assert worker.run_once() is None  # never claimed again


def test_a_job_handed_back_at_shutdown_does_not_use_up_an_attempt(store, worker, engine):
    engine.polls_to_finish = 10**9
    job = submit(store)
    thread = threading.Thread(target=worker.run_once)
    thread.start()
    wait_until(lambda: engine.started)
    worker.stop.set()
    thread.join(timeout=10)
    back = store.get(job.id)
    assert back.status == JobStatus.PENDING and back.attempts == 0
