"""The worker while its store fails: one log line, growing pauses, a line when the store is back; a full disk named."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import replace

from omtx_core.domain.job import JobStatus
from omtx_core.jobs.worker import Worker
from omtx_core.store.sqlite import SqliteJobStore
from tests.examples import VALID_INPUTS
from tests.jobs.conftest import FAST
from tests.services import job_service
from tests.store_failures import WriteLock, closed_port_url, disk_full, service_key, wait_until  # noqa: F401


class ClaimTimes:
    """Records when the worker tried to claim (a spy: the real store still answers)."""

    def __init__(self, store) -> None:
        self.times: list[float] = []
        self.claim = store.claim_next
        store.claim_next = self

    def __call__(self, *args, **kwargs):
        self.times.append(time.monotonic())
        return self.claim(*args, **kwargs)


def run_in_thread(worker: Worker) -> threading.Thread:
    thread = threading.Thread(target=worker.run, daemon=True)
    thread.start()
    return thread


def store_lines(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "omtx_core.jobs.worker" and r.levelno >= logging.INFO]


def test_a_locked_database_is_one_log_line_with_growing_pauses_until_it_is_back(
    settings, artifacts, engine, caplog, monkeypatch
):
    monkeypatch.setattr("omtx_core.store.sqlite.BUSY_TIMEOUT_S", 0.02)
    store = SqliteJobStore(settings.database_path)
    claims = ClaimTimes(store)
    worker = Worker(store, artifacts, engine, settings, timing=replace(FAST, idle_s=0.02))
    caplog.set_level(logging.INFO, logger="omtx_core.jobs.worker")
    with WriteLock(settings.database_path):
        thread = run_in_thread(worker)
        wait_until(lambda: len(claims.times) >= 7)
        during = len(store_lines(caplog))
    wait_until(lambda: any("back" in r.getMessage() for r in store_lines(caplog)))
    worker.stop.set()
    thread.join(timeout=10)
    gaps = [later - earlier for earlier, later in zip(claims.times, claims.times[1:], strict=False)]
    assert gaps[5] > 4 * gaps[0]  # the pauses grow while the store keeps failing (0.02 s doubling: ~10x)
    lines = store_lines(caplog)
    assert during == 1 and "jobs.sqlite3" in lines[0].getMessage() and "locked" in lines[0].getMessage()
    assert not any(r.exc_info for r in caplog.records)  # no traceback, neither per cycle nor once


def test_an_unreachable_supabase_is_one_log_line_without_a_traceback(settings, artifacts, engine, caplog):
    from omtx_core.store.supabase import SupabaseJobStore, connect_supabase

    store = SupabaseJobStore(connect_supabase(closed_port_url(), service_key(), timeout_s=2))
    claims = ClaimTimes(store)
    worker = Worker(store, artifacts, engine, settings, timing=FAST)
    caplog.set_level(logging.INFO, logger="omtx_core.jobs.worker")
    thread = run_in_thread(worker)
    wait_until(lambda: len(claims.times) >= 5)
    worker.stop.set()
    thread.join(timeout=10)
    (line,) = store_lines(caplog)
    assert line.levelno == logging.WARNING and "Supabase could not be reached" in line.getMessage()
    assert not any(r.exc_info for r in caplog.records)


def test_an_unexpected_error_still_logs_its_traceback_once(settings, artifacts, engine, store, caplog):
    def broken(*args, **kwargs):
        raise RuntimeError("a bug in the claim")

    store.claim_next = broken
    worker = Worker(store, artifacts, engine, settings, timing=FAST)
    caplog.set_level(logging.INFO, logger="omtx_core.jobs.worker")
    thread = run_in_thread(worker)
    time.sleep(0.3)
    worker.stop.set()
    thread.join(timeout=10)
    assert len([r for r in caplog.records if r.exc_info]) == 1  # a bug keeps its traceback, but not every cycle


def test_a_full_disk_under_the_job_files_fails_the_job_with_the_folder_to_free(store, worker, caplog, disk_full):  # noqa: F811
    job = job_service(store).submit("protein_structure", VALID_INPUTS["protein_structure"]).job
    done = worker.run_once()
    assert done.id == job.id and done.status == JobStatus.FAILED
    assert "full" in done.error.message and "Free up space" in done.error.details
    assert not any(r.exc_info for r in caplog.records)
