"""SqliteJobStore and LocalArtifactStore: the shared contracts, plus processes, persistence and 100,000 jobs."""

from __future__ import annotations

import multiprocessing
import sqlite3
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from pydantic import ValidationError

from omtx_core.domain.job import JobQuery, JobStatus, utcnow
from omtx_core.errors import ArtifactNotFound, StoreUnavailable
from omtx_core.store.base import ArtifactStore, JobStore
from omtx_core.store.local_artifacts import LocalArtifactStore
from omtx_core.store.sqlite import COLUMNS, FOLDED_NAME, SCHEMA_VERSION, SqliteJobStore, format_time, job_to_row
from tests.store.contract import ArtifactStoreContract, JobStoreContract, make_job


@pytest.fixture
def store(tmp_path: Path):
    jobs = SqliteJobStore(tmp_path / "data" / "jobs.sqlite")
    yield jobs
    jobs.close()


@pytest.fixture
def artifacts(tmp_path: Path) -> LocalArtifactStore:
    return LocalArtifactStore(tmp_path / "artifacts")


class TestSqliteJobStore(JobStoreContract):
    def test_is_a_job_store(self, store):
        assert isinstance(store, JobStore) and store.name == "sqlite"

    def test_a_column_for_every_job_field_and_the_schema_version(self, store):
        conn = sqlite3.connect(store.path)
        columns = [row[1] for row in conn.execute("PRAGMA table_info(jobs)")]
        assert columns == [*make_job().model_dump(), FOLDED_NAME] == list(COLUMNS)
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        conn.close()

    def test_times_keep_microseconds_and_sort_as_text(self, store):
        whole = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)
        half = whole + timedelta(microseconds=500_000)
        store.create(self.job(job_name="whole", created_at=whole))
        store.create(self.job(job_name="half", created_at=half.astimezone(timezone(timedelta(hours=2)))))
        assert [j.job_name for j in store.list(JobQuery()).jobs] == ["half", "whole"]
        assert format_time(whole) == "2024-05-01T12:00:00.000000+00:00"
        assert store.list(JobQuery(search="half")).jobs[0].created_at == half

    def test_search_is_literal_and_case_insensitive_beyond_ascii(self, store):
        for name in ["a_b", "axb", "back\\slash", "ÄRGER screen", "100% done"]:
            store.create(self.job(job_name=name))
        assert [j.job_name for j in store.list(JobQuery(search="_")).jobs] == ["a_b"]
        assert [j.job_name for j in store.list(JobQuery(search="\\")).jobs] == ["back\\slash"]
        assert [j.job_name for j in store.list(JobQuery(search="0%")).jobs] == ["100% done"]
        assert [j.job_name for j in store.list(JobQuery(search="ärger")).jobs] == ["ÄRGER screen"]

    def test_filters_combine(self, store):
        store.create(make_job(job_name="mine", task_type="drug_discovery", owner="ann"))
        store.create(make_job(job_name="mine too", task_type="protein_complex", owner="ann"))
        store.create(make_job(job_name="theirs", task_type="drug_discovery", owner="bob"))
        page = store.list(JobQuery(owner="ann", task_type="drug_discovery", search="MINE"))
        assert page.total == 1 and page.jobs[0].job_name == "mine"

    def test_bad_update_is_refused_and_changes_nothing(self, store):
        job = store.create(self.job())
        with pytest.raises(ValidationError):
            store.update(job.id, {"progress_done": "many"})
        with pytest.raises(ValidationError):
            store.update(job.id, {"no_such_field": 1})
        with pytest.raises(ValueError):
            store.update(job.id, {"id": "other"})
        assert store.get(job.id) == job

    def test_reclaim_keeps_first_start_time(self, store):
        now = utcnow()
        job = store.create(self.job())
        store.claim_next("w1", 10, max_running=5, now=now)
        again = store.claim_next("w2", 10, max_running=5, now=now + timedelta(seconds=20))
        assert again.id == job.id and again.started_at == now and again.attempts == 2

    def test_newer_schema_is_refused(self, store):
        conn = sqlite3.connect(store.path)
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
        conn.close()
        with pytest.raises(StoreUnavailable, match="schema version"):
            SqliteJobStore(store.path)


def test_reopened_store_sees_the_jobs_in_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "jobs.sqlite"
    first = SqliteJobStore(path)
    job = first.create(make_job(options={"seed": 3}))
    cancelled = first.update(job.id, {"status": JobStatus.CANCELLED})
    first.close()
    again = SqliteJobStore(path)
    assert again.get(job.id) == cancelled and again.list(JobQuery()).total == 1
    again.close()
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()


def _claim_all(path: str, worker: str, barrier, results) -> None:
    """One worker process: open the shared file, wait for the others, claim until nothing is left."""
    store = SqliteJobStore(path)
    barrier.wait()
    claimed = []
    while (job := store.claim_next(worker, 300, max_running=1000, now=utcnow())) is not None:
        claimed.append(job.id)
    store.close()
    results.put(claimed)


def test_worker_processes_never_claim_the_same_job(tmp_path: Path) -> None:
    path = tmp_path / "jobs.sqlite"
    store = SqliteJobStore(path)
    created = {store.create(make_job(job_name=f"job {i}")).id for i in range(100)}
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(8), context.Queue()
    workers = [context.Process(target=_claim_all, args=(str(path), f"w{i}", barrier, results)) for i in range(8)]
    for worker in workers:
        worker.start()
    claimed = [job_id for _ in workers for job_id in results.get(timeout=120)]  # read before join: no pipe deadlock
    for worker in workers:
        worker.join(timeout=30)
    assert [worker.exitcode for worker in workers] == [0] * 8
    assert len(claimed) == 100 and set(claimed) == created
    assert store.list(JobQuery(status=JobStatus.RUNNING)).total == 100


def test_listing_100k_jobs_filters_and_pages_correctly(tmp_path: Path) -> None:
    store = SqliteJobStore(tmp_path / "jobs.sqlite")
    template = job_to_row(make_job())
    base = datetime(2024, 1, 1, tzinfo=UTC)
    statuses = [status.value for status in JobStatus]
    rows = []
    for i in range(100_000):
        name = f"Kinase screen {i}" if i % 3 == 0 else f"dimer_{i}"
        at = format_time(base + timedelta(seconds=i // 2))  # pairs share a time: the id breaks the tie
        rows.append(template | {"id": f"job{i:06d}", "created_at": at, "status": statuses[i % 5],
                                "job_name": name, FOLDED_NAME: name.casefold()})  # fmt: skip
    store._insert_rows(rows)
    newest_first = sorted(rows, key=lambda row: (row["created_at"], row["id"]), reverse=True)

    page = store.list(JobQuery(limit=25, offset=90_000))
    assert page.total == 100_000 and [j.id for j in page.jobs] == [r["id"] for r in newest_first[90_000:90_025]]

    query = JobQuery(status=JobStatus.COMPLETED, search="SCREEN 1", limit=20, offset=30)
    matches = [r for r in newest_first if r["status"] == "completed" and "screen 1" in r[FOLDED_NAME]]
    page = store.list(query)
    assert page.total == len(matches) > 50
    assert [j.id for j in page.jobs] == [r["id"] for r in matches[30:50]]
    assert all(j.status == JobStatus.COMPLETED and j.created_at.tzinfo is not None for j in page.jobs)
    store.close()


class TestLocalArtifacts(ArtifactStoreContract):
    def test_is_an_artifact_store(self, artifacts):
        assert isinstance(artifacts, ArtifactStore)

    def test_missing_artifact_names_the_key(self, artifacts):
        with pytest.raises(ArtifactNotFound, match="results/j9/result.json"):
            artifacts.get("results/j9/result.json")

    def test_prefix_is_a_folder_not_a_string_prefix(self, artifacts):
        artifacts.put("results/j1/a.json", b"1")
        artifacts.put("results/j10/a.json", b"10")
        assert artifacts.list("results/j1") == ["results/j1/a.json"]
        assert artifacts.list("results/") == ["results/j1/a.json", "results/j10/a.json"]
        assert artifacts.delete_prefix("results/j1") == 1
        assert artifacts.get("results/j10/a.json") == b"10"
        assert not (artifacts.root / "results" / "j1").exists()  # empty folders go too

    def test_unfinished_writes_are_never_listed(self, artifacts):
        artifacts.put("logs/j1/engine.log", b"x")
        (artifacts.root / "logs" / "j1" / ".tmp~abc").write_bytes(b"half")
        assert artifacts.list("logs/j1/") == ["logs/j1/engine.log"]

    @pytest.mark.parametrize("call", ["get", "exists", "list", "delete_prefix"])
    def test_bad_keys_are_refused_before_the_disk(self, artifacts, call):
        with pytest.raises(ValueError):
            getattr(artifacts, call)("results/../../etc")
        assert not artifacts.root.exists()
