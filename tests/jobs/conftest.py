"""Fixtures for job tests: a real SQLite store and artifact folder, settings, and the fixture engine."""

from __future__ import annotations

import pytest

from omtx_core.config import Settings
from omtx_core.jobs.worker import Worker, WorkerTiming
from omtx_core.store.local_artifacts import LocalArtifactStore
from omtx_core.store.sqlite import SqliteJobStore
from tests.engines import FixtureEngine

FAST = WorkerTiming(poll_s=0.01, idle_s=0.01, retry_backoff_s=0.01, log_every_s=0.0, partial_every_s=0.0)


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(data_dir=tmp_path / "data", lease_s=30, max_attempts=3)


@pytest.fixture
def store(settings) -> SqliteJobStore:
    return SqliteJobStore(settings.database_path)


@pytest.fixture
def artifacts(settings) -> LocalArtifactStore:
    return LocalArtifactStore(settings.artifacts_dir)


@pytest.fixture
def engine() -> FixtureEngine:
    return FixtureEngine(polls_to_finish=2)


@pytest.fixture
def worker(store, artifacts, engine, settings) -> Worker:
    return Worker(store, artifacts, engine, settings, worker_id="test-worker", timing=FAST)
