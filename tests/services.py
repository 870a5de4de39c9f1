"""The real job service over a test's own stores, acting as the local user unless a test says otherwise."""

from __future__ import annotations

import tempfile

from omtx_core.cache import HotCache
from omtx_core.config import Settings
from omtx_core.domain.identity import LOCAL_USER, Identity
from omtx_core.jobs.service import JobService
from omtx_core.store.base import ArtifactStore, JobStore
from omtx_core.store.local_artifacts import LocalArtifactStore


def job_service(
    store: JobStore,
    artifacts: ArtifactStore | None = None,
    *,
    settings: Settings | None = None,
    identity: Identity = LOCAL_USER,
    hot: HotCache | None = None,
) -> JobService:
    """A JobService as the app builds one; without `artifacts`, files go to a fresh temporary folder."""
    artifacts = artifacts or LocalArtifactStore(tempfile.mkdtemp(prefix="omtx-test-artifacts-"))
    return JobService(settings=settings or Settings(), store=store, artifacts=artifacts, identity=identity, hot=hot)
