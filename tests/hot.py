"""Helpers for hot-cache tests: a finished job, edits behind the store's back, what Redis holds, plain documents."""

from __future__ import annotations

import sqlite3

from omtx_core.cache import cache_prefix
from omtx_core.config import Settings
from omtx_core.domain.job import JobStatus
from omtx_core.jobs.worker import Worker, WorkerTiming
from omtx_core.store.local_artifacts import LocalArtifactStore
from omtx_core.store.sqlite import SqliteJobStore
from tests.engines import FixtureEngine
from tests.examples import VALID_INPUTS
from tests.services import job_service


def rename_behind_the_stores_back(settings: Settings, job_id: str, name: str) -> None:
    """Change a job's row in the settings' SQLite file directly: a reader still seeing the old name read Redis."""
    with sqlite3.connect(settings.database_path) as conn:
        conn.execute("UPDATE jobs SET job_name = ?, job_name_folded = ? WHERE id = ?", (name, name.casefold(), job_id))
    conn.close()


def cached_entries(raw, settings: Settings) -> dict[str, bytes]:
    """What Redis (client `raw`) holds for the settings' store, by key without the namespace."""
    prefix = cache_prefix(settings)
    return {key.decode().removeprefix(prefix): raw.get(key) for key in raw.scan_iter(match=prefix + "*")}


def plain(document) -> dict:
    """A typed result document as JSON data, to compare two reads of it."""
    return document.model_dump(mode="json")


def finished_job(settings: Settings) -> str:
    """A completed job in the settings' SQLite store, made without Redis (the worker ran elsewhere)."""
    store, artifacts = SqliteJobStore(settings.database_path), LocalArtifactStore(settings.artifacts_dir)
    job = job_service(store, artifacts).submit("protein_ligand_binding", VALID_INPUTS["protein_ligand_binding"]).job
    done = Worker(store, artifacts, FixtureEngine(), settings, timing=WorkerTiming(poll_s=0.01)).run_once()
    assert done.id == job.id and done.status == JobStatus.COMPLETED
    store.close()
    return job.id
