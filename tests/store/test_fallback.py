"""The fallback store with an unreachable primary simulated at its edge: nothing lost, nothing twice, in order."""

from __future__ import annotations

import pytest

from omtx_core.domain.job import Job, JobQuery, JobStatus, utcnow
from omtx_core.errors import StoreUnavailable
from omtx_core.store.fallback import FallbackArtifactStore, FallbackJobStore, Outbox
from omtx_core.store.local_artifacts import LocalArtifactStore
from omtx_core.store.sqlite import SqliteJobStore
from tests.examples import UBIQUITIN
from tests.services import job_service
from tests.store.contract import ArtifactStoreContract, JobStoreContract


class Unreachable:
    """Wraps a real store; while `down`, every call raises StoreUnavailable as a dropped network would."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.down = False
        self.name = getattr(inner, "name", "primary")

    def __getattr__(self, attribute):
        method = getattr(self.inner, attribute)

        def call(*args, **kwargs):
            if self.down:
                raise StoreUnavailable("connection refused")
            return method(*args, **kwargs)

        return call


@pytest.fixture
def parts(tmp_path):
    primary = Unreachable(SqliteJobStore(tmp_path / "primary.db"))
    primary_files = Unreachable(LocalArtifactStore(tmp_path / "primary-files"))
    outbox = Outbox(tmp_path / "outbox.db")
    jobs = FallbackJobStore(primary, SqliteJobStore(tmp_path / "local.db"), outbox, retry_after_s=0)
    files = FallbackArtifactStore(primary_files, LocalArtifactStore(tmp_path / "local-files"), outbox, jobs)
    return primary, primary_files, jobs, files


@pytest.fixture
def store(parts):
    return parts[2]


@pytest.fixture
def artifacts(parts):
    return parts[3]


class TestFallbackWhileUp(JobStoreContract):
    pass


class TestFallbackArtifactsWhileUp(ArtifactStoreContract):
    pass


def submit(store, i: int) -> Job:
    data = {"protein_sequence": UBIQUITIN, "job_name": f"outage {i}", "options": {"seed": i}}
    return job_service(store).submit("protein_structure", data).job


def test_submissions_during_an_outage_reach_the_primary_once_in_order(parts):
    primary, _, store, _ = parts
    before = submit(store, 0)
    primary.down = True
    during = [submit(store, i) for i in range(1, 101)]
    assert store.degraded
    listed = store.list(JobQuery(limit=1000))
    assert listed.total == 100 and {j.id for j in listed.jobs} == {j.id for j in during}
    assert store.get(during[5].id).job_name == "outage 6"
    primary.down = False
    assert store.replay() == 100 and not store.degraded
    stored = primary.inner.list(JobQuery(limit=1000))
    assert stored.total == 101 and len({j.id for j in stored.jobs}) == 101
    assert store.replay() == 0 and primary.inner.list(JobQuery(limit=1000)).total == 101
    assert store.local.list(JobQuery()).total == 0  # one copy only, in the primary
    assert {j.id for j in stored.jobs} == {before.id, *(j.id for j in during)}


def test_updates_during_an_outage_replay_in_order(parts):
    primary, _, store, _ = parts
    primary.down = True
    job = submit(store, 1)
    claimed = store.claim_next("w", 60, max_running=5, now=utcnow())
    assert claimed.id == job.id
    store.update(job.id, {"progress_done": 1}, expect_lease_owner="w")
    store.update(job.id, {"status": JobStatus.COMPLETED, "result": {"runs": {}}}, expect_lease_owner="w")
    primary.down = False
    store.replay()
    final = primary.inner.get(job.id)
    assert final.status == JobStatus.COMPLETED and final.progress_done == 1 and final.result == {"runs": {}}


def test_replaying_an_entry_twice_changes_nothing(parts):
    primary, _, store, _ = parts
    primary.down = True
    job = submit(store, 1)
    entries = store.outbox.pending()
    primary.down = False
    store.replay()
    for _, kind, target, payload in entries:  # as if a crash came between applying and removing an entry
        store._apply(kind, target, payload)
    assert primary.inner.list(JobQuery()).total == 1 and primary.inner.get(job.id) == store.get(job.id)


def test_a_job_only_in_the_primary_cannot_be_changed_during_an_outage(parts):
    primary, _, store, _ = parts
    job = submit(store, 1)
    primary.down = True
    with pytest.raises(StoreUnavailable):
        store.update(job.id, {"job_name": "renamed"})


def test_artifacts_written_during_an_outage_are_uploaded_and_not_shadowed(parts):
    _, primary_files, _, files = parts
    primary_files.down = True
    files.put("logs/j1/engine.log", b"old")
    assert files.get("logs/j1/engine.log") == b"old"
    primary_files.down = False
    parts[2].replay()
    assert primary_files.inner.get("logs/j1/engine.log") == b"old"
    files.put("logs/j1/engine.log", b"new")
    assert files.get("logs/j1/engine.log") == b"new"
