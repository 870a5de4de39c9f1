"""Supabase (test server over real PostgreSQL) goes away during 100 submissions and a finished job: nothing is
lost, nothing arrives twice, and results follow once it is back."""

from __future__ import annotations

from omtx_core.config import Settings
from omtx_core.domain.job import JobQuery, JobStatus
from omtx_core.jobs.worker import Worker, WorkerTiming
from omtx_core.store.fallback import FallbackArtifactStore, FallbackJobStore, Outbox
from omtx_core.store.local_artifacts import LocalArtifactStore
from omtx_core.store.sqlite import SqliteJobStore
from omtx_core.store.supabase import SupabaseArtifactStore, SupabaseJobStore
from tests.engines import FixtureEngine
from tests.examples import UBIQUITIN, VALID_INPUTS
from tests.services import job_service


def test_outage_during_100_submissions_and_a_finished_job(server, connect, tmp_path):
    primary, primary_files = SupabaseJobStore(connect(timeout_s=2)), SupabaseArtifactStore(connect(timeout_s=2))
    outbox = Outbox(tmp_path / "outbox.db")
    store = FallbackJobStore(primary, SqliteJobStore(tmp_path / "local.db"), outbox, retry_after_s=0)
    files = FallbackArtifactStore(primary_files, LocalArtifactStore(tmp_path / "files"), outbox, store)
    jobs = job_service(store, settings=Settings(rate_limit_per_min=1000))  # 102 submissions in well under a minute
    before = jobs.submit("protein_structure", {"protein_sequence": UBIQUITIN}).job

    with server.unreachable():
        during = [
            jobs.submit("protein_structure", {"protein_sequence": UBIQUITIN, "options": {"seed": i}}).job
            for i in range(100)
        ]
        assert store.degraded and store.list(JobQuery(limit=500)).total == 100
        binding = jobs.submit("protein_ligand_binding", VALID_INPUTS["protein_ligand_binding"]).job
        worker = Worker(store, files, FixtureEngine(), Settings(data_dir=tmp_path, max_concurrent=500),
                        timing=WorkerTiming(poll_s=0.01, idle_s=0.01, log_every_s=0))  # fmt: skip
        finished = worker.run_once()
        assert finished.status == JobStatus.COMPLETED  # the oldest outage job: work went on during the outage

    assert store.replay() > 100 and not store.degraded and len(outbox) == 0
    direct = SupabaseJobStore(connect())
    stored = direct.list(JobQuery(limit=1000))
    ids = [job.id for job in stored.jobs]
    assert stored.total == 102 and len(set(ids)) == 102
    assert set(ids) == {before.id, binding.id, *(job.id for job in during)}
    done = direct.get(finished.id)
    assert done.status == JobStatus.COMPLETED and done.result == finished.result
    assert SupabaseArtifactStore(connect()).exists(f"results/{finished.id}/result.json")
    assert store.local.list(JobQuery()).total == 0  # one copy of every job, in Supabase
    assert store.replay() == 0 and direct.list(JobQuery()).total == 102
