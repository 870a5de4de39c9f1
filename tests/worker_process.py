"""A worker process for tests: SQLite store, local artifacts, the fixture engine; killed by the test."""

from __future__ import annotations

import sys
from pathlib import Path

from omtx_core.config import Settings
from omtx_core.jobs.worker import Worker, WorkerTiming
from omtx_core.store.local_artifacts import LocalArtifactStore
from omtx_core.store.sqlite import SqliteJobStore
from tests.engines import FixtureEngine

if __name__ == "__main__":
    data_dir, worker_id, polls = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    settings = Settings(data_dir=data_dir, lease_s=5)
    worker = Worker(
        SqliteJobStore(settings.database_path),
        LocalArtifactStore(settings.artifacts_dir),
        FixtureEngine(polls_to_finish=polls),
        settings,
        worker_id=worker_id,
        timing=WorkerTiming(poll_s=0.1, idle_s=0.1, log_every_s=0.5),
    )
    worker.run()
