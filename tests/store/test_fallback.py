"""The fallback store with an unreachable primary simulated at its edge: nothing lost, nothing twice, in order."""

from __future__ import annotations

import pytest

from omtx_core.domain.job import Job, JobQuery, JobStatus, utcnow
from omtx_core.errors import StoreRefused, StoreUnavailable
from omtx_core.store.fallback import FallbackArtifactStore, FallbackJobStore, Outbox
from omtx_core.store.local_artifacts import LocalArtifactStore
from omtx_core.store.sqlite import SqliteJobStore
from tests.examples import UBIQUITIN
from tests.services import job_service
from tests.store.contract import ArtifactStoreContract, JobStoreContract


class Unreachable:
    """Wraps a real store; while `down`, every call raises StoreUnavailable as a dropped network would, and a job
    named with a NUL is refused as PostgreSQL refuses it (SQLSTATE 22P05, through Supabase's API)."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.down = False
        self.refused: set[str] = set()  # artifact keys a storage policy refuses
        self.name = getattr(inner, "name", "primary")

    def __getattr__(self, attribute):
        method = getattr(self.inner, attribute)

        def call(*args, **kwargs):
            if self.down:
                raise StoreUnavailable("connection refused")
            if any(isinstance(a, Job) and "\x00" in a.job_name for a in args):
                raise StoreRefused("Supabase refused to create a job: unsupported Unicode escape sequence (22P05).",
                                   store_code="22P05")  # fmt: skip
            if any(isinstance(a, str) and a in self.refused for a in args):
                refusal = "Supabase Storage refused to upload a file: new row violates policy."
                raise StoreRefused(refusal, store_code="403")
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


def outage_job(store, name: str) -> Job:
    """A job written during an outage by an earlier version, which let any name through validation."""
    job = Job(owner="local", task_type="protein_structure", job_name=name, input={"protein_sequence": UBIQUITIN},
              input_hash=f"h-{name}")  # fmt: skip
    return store.create(job)


def test_a_refused_entry_is_parked_and_the_rest_replays(parts, caplog):
    primary, _, store, _ = parts
    primary.down = True
    first = submit(store, 1)
    refused = outage_job(store, "bad\x00name")
    last = submit(store, 2)
    primary.down = False
    with caplog.at_level("WARNING", logger="omtx_core.store.fallback"):
        listed = store.list(JobQuery())  # replays first: the refusal must not escape into every call
        store.get(first.id), store.list(JobQuery()), submit(store, 3)
        assert store.claim_next("w", 60, max_running=5, now=utcnow()) is not None
    assert {first.id, last.id} <= {j.id for j in primary.inner.list(JobQuery()).jobs}
    assert refused.id in {j.id for j in listed.jobs} and store.get(refused.id).job_name == "bad\x00name"
    (entry,) = store.parked()
    assert (entry.job_id, entry.kind, entry.code) == (refused.id, "job", "22P05")
    assert "Unicode" in entry.reason and len(store.outbox) == 0
    warnings = [r for r in caplog.records if r.levelname == "WARNING" and refused.id in r.getMessage()]
    assert len(warnings) == 1 and "22P05" in warnings[0].getMessage()


def test_a_parked_job_stays_local_durably_until_deleted(parts, tmp_path):
    primary, _, store, _ = parts
    primary.down = True
    refused = outage_job(store, "bad\x00name")
    store.update(refused.id, {"status": JobStatus.CANCELLED, "finished_at": utcnow()})
    primary.down = False
    store.replay()
    store.replay()
    reopened = FallbackJobStore(primary, store.local, Outbox(tmp_path / "outbox.db"), retry_after_s=0)
    (entry,) = reopened.parked()  # one entry per job, kept in the outbox database
    assert entry.job_id == refused.id and reopened.get(refused.id).status == JobStatus.CANCELLED
    assert reopened.delete(refused.id) and reopened.parked() == [] and reopened.get(refused.id) is None


def test_refused_files_and_unreadable_entries_are_parked_too(parts):
    primary, primary_files, store, files = parts
    primary.down = primary_files.down = True
    files.put("logs/j1/engine.log", b"log")
    store.outbox.append("job", "j2", {"id": "j2", "written_by": "a future version"})
    job = submit(store, 1)
    primary.down = primary_files.down = False
    primary_files.refused.add("logs/j1/engine.log")
    assert store.replay() == 1 and primary.inner.get(job.id) is not None
    assert [(e.kind, e.target, e.code) for e in store.parked()] == [
        ("artifact_put", "logs/j1/engine.log", "403"),
        ("job", "j2", "unreadable"),
    ]
    assert files.get("logs/j1/engine.log") == b"log"  # kept on this machine
    files.delete_prefix("logs/j1/")
    assert [e.target for e in store.parked()] == ["j2"]
