"""A user's result pages on Supabase without the service key: a worker (service key) completes the user's job, then
the user's own key reads its results, log, inputs and ZIP, also through a cache hit whose source was deleted;
imports work the same way; the shared MSA cache stays the workers' alone. Test server over real PostgreSQL with the
Storage policies of supabase/migrations."""

from __future__ import annotations

import io
import uuid
import zipfile
from pathlib import Path

import pytest
from postgrest.exceptions import APIError
from storage3.exceptions import StorageApiError

from omtx_core.cache import MsaCache
from omtx_core.config import Settings
from omtx_core.domain.job import Job, JobStatus
from omtx_core.domain.layout import msa_cache_key
from omtx_core.errors import ArtifactNotFound, JobNotFound, StoreRefused
from omtx_core.jobs.service import JobService
from omtx_core.jobs.worker import Worker, WorkerTiming
from omtx_core.store.supabase import SupabaseArtifactStore, SupabaseJobStore
from tests.boltz_fixture_output import AFFINITY_CASE, AFFINITY_NAME
from tests.engines import FixtureEngine
from tests.examples import UBIQUITIN, VALID_INPUTS
from tests.jobs.test_importer import zip_folder
from tests.store.contract import make_job

USER_A, USER_B = str(uuid.uuid4()), str(uuid.uuid4())
BINDING = VALID_INPUTS["protein_ligand_binding"]
FAST = WorkerTiming(poll_s=0.01, idle_s=0.01, retry_backoff_s=0.01, log_every_s=0.0, partial_every_s=0.0)


@pytest.fixture
def worker(connect, tmp_path) -> Worker:
    """A worker as deployed: the service-role key, which claims every user's jobs and writes their files."""
    client = connect()
    return Worker(SupabaseJobStore(client), SupabaseArtifactStore(client), FixtureEngine(),
                  Settings(data_dir=tmp_path / "worker"), worker_id="service-worker", timing=FAST)  # fmt: skip


def assert_result_pages_work(me: JobService, job: Job, cache_dir: Path, *, inputs: bool = True) -> None:
    """Every result page of a completed job, read with the caller's own key."""
    document = me.result_document(job)
    runs = document.runs
    assert runs and not document.failed_runs
    folder = me.boltz_output(job, cache_dir)
    assert {path.parent.name for path in folder.glob("predictions/*/*.cif")} == set(runs)
    assert sorted(path.stem for path in (folder / "processed" / "records").glob("*.json")) == sorted(runs)
    assert me.engine_log(job)
    yamls = me.boltz_inputs(job)
    assert (sorted(yamls) == sorted(f"{run}.yaml" for run in runs)) if inputs else yamls == {}
    with zipfile.ZipFile(io.BytesIO(me.job_zip([job]))) as archive:
        names = set(archive.namelist())
    assert {"job.json", "result.json", "metrics.csv", "logs/engine.log"} <= names
    assert any(name.startswith("results/boltz_results/predictions/") for name in names)
    assert any(name.startswith("inputs/") for name in names) == inputs


def test_a_job_a_worker_completed_opens_under_the_users_key(server, service_for, worker, tmp_path):
    me = service_for(server.user_key(USER_A))
    submitted = me.submit("protein_ligand_binding", BINDING).job
    finished = worker.run_once()
    assert finished.id == submitted.id and finished.status == JobStatus.COMPLETED
    job = me.get(submitted.id)
    assert job.status == JobStatus.COMPLETED and job.owner == USER_A
    assert_result_pages_work(me, job, tmp_path / "cache")
    assert me.artifacts.list(f"inputs/{job.id}/") and me.artifacts.list(f"logs/{job.id}/")

    other = service_for(server.user_key(USER_B))
    with pytest.raises(JobNotFound):
        other.get(job.id)
    with pytest.raises(ArtifactNotFound):
        other.artifacts.get(f"results/{job.id}/result.json")
    assert other.artifacts.list(f"results/{job.id}/") == []


def test_a_cache_hit_reads_its_source_also_after_the_source_is_deleted(server, service_for, worker, tmp_path):
    me = service_for(server.user_key(USER_A))
    source = me.submit("protein_ligand_binding", BINDING).job
    worker.run_once()
    hit = me.submit("protein_ligand_binding", BINDING).job
    assert hit.cache_hit and hit.results_from == source.id and hit.status == JobStatus.COMPLETED
    assert_result_pages_work(me, hit, tmp_path / "before")
    assert service_for(server.user_key(USER_B)).cached_result(me.validate("protein_ligand_binding", BINDING)) is None

    me.delete(source.id)  # the hit still reads the source's files, so they stay
    with pytest.raises(JobNotFound):
        me.get(source.id)
    assert_result_pages_work(me, me.get(hit.id), tmp_path / "after")

    service = service_for(server.service_key)
    kept = [key for folder in (f"inputs/{source.id}/", f"results/{source.id}/", f"logs/{source.id}/")
            for key in service.artifacts.list(folder)]  # fmt: skip
    assert kept
    me.delete(hit.id)  # the last reader: now the deleted source's files go too, under the user's own key
    assert all(not service.artifacts.exists(key) for key in kept)


def test_a_user_imports_results_and_opens_them(server, service_for, tmp_path):
    me = service_for(server.user_key(USER_A))
    job = me.import_results(zip_folder(AFFINITY_CASE, f"{AFFINITY_CASE.name}/"), job_name="From the cluster")
    assert (job.owner, job.status, job.job_name) == (USER_A, JobStatus.COMPLETED, "From the cluster")
    assert list(me.result_document(job).runs) == [AFFINITY_NAME]
    assert_result_pages_work(me, me.get(job.id), tmp_path / "cache", inputs=False)

    other = service_for(server.user_key(USER_B))
    with pytest.raises(JobNotFound):
        other.get(job.id)
    assert other.artifacts.list(f"results/{job.id}/") == []
    me.delete(job.id)
    assert service_for(server.service_key).artifacts.list(f"results/{job.id}/") == []


def test_only_workers_read_and_write_the_msa_cache(server, connect, service_for):
    """MSAs are of other users' sequences, and a planted MSA would poison everyone's predictions."""
    service = service_for(server.service_key)
    msa = f"key,sequence\n101,{UBIQUITIN}\n".encode()
    MsaCache(service.artifacts).save({UBIQUITIN: msa})
    key = msa_cache_key(UBIQUITIN)
    assert service.artifacts.get(key) == msa and service.cached_msa_count([UBIQUITIN]) == 1

    me = service_for(server.user_key(USER_A))
    assert me.cached_msa_count([UBIQUITIN]) == 0
    assert not me.artifacts.exists(key) and me.artifacts.list("inputs/msa-cache/") == []
    assert me.artifacts.list("inputs/") == []
    with pytest.raises(ArtifactNotFound):
        me.artifacts.get(key)
    for target in (key, msa_cache_key("MKTAYIAK")):
        with pytest.raises(StoreRefused):
            me.artifacts.put(target, b"key,sequence\n101,POISON\n", "text/csv")
    assert me.artifacts.delete(key) is False and me.artifacts.delete_prefix("inputs/msa-cache/") == 0

    files = connect(server.user_key(USER_A)).storage.from_("inputs")
    name = key.removeprefix("inputs/")
    with pytest.raises(StorageApiError) as refused:
        files.upload(name, b"poison", {"upsert": "true"})
    assert str(refused.value.status) == "403"
    with pytest.raises(StorageApiError) as hidden:
        files.download(name)
    assert str(hidden.value.status) == "404"
    assert files.list("msa-cache") == [] and files.remove([name]) == []
    assert service.artifacts.get(key) == msa and service.artifacts.list("inputs/msa-cache/") == [key]

    # Nor can a user make the folder theirs by naming a job after it.
    with pytest.raises(APIError) as named:
        connect(server.user_key(USER_A)).table("jobs").insert(
            make_job(id="msa-cache", owner=USER_A).model_dump(mode="json")
        ).execute()
    assert named.value.code == "23514"
