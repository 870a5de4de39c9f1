"""Finished jobs and result documents through the real Redis hot cache, as the app, CLI and worker build it."""

from __future__ import annotations

import time

import pytest
import redis as redis_lib

from omtx_core.cache import cache_prefix, open_hot_cache
from omtx_core.domain.identity import LOCAL_USER, Identity
from omtx_core.domain.job import JobStatus
from omtx_core.domain.layout import JobFiles
from omtx_core.errors import ArtifactNotFound, JobNotFound
from omtx_core.jobs.worker import Worker
from tests.examples import VALID_INPUTS
from tests.hot import cached_entries, plain, rename_behind_the_stores_back
from tests.jobs.conftest import FAST
from tests.private_redis import PrivateRedis
from tests.services import job_service

# Each test's SQLite store has its own folder, hence (open_hot_cache) its own namespace on the shared Redis; outages
# and flushes use a Redis of the test's own. Every service is built afresh from the settings, as another process (an
# app replica, a CLI run) would, and "behind the store's back" edits the SQLite row directly: a value that survives
# such an edit can only have come from Redis.
TASK, INPUT = "protein_ligand_binding", VALID_INPUTS["protein_ligand_binding"]
TTL_S = 120


@pytest.fixture
def hot_settings(settings, redis):
    return settings.model_copy(update={"redis_url": redis, "cache_ttl_s": TTL_S})


@pytest.fixture
def raw(redis):
    client = redis_lib.Redis.from_url(redis)
    yield client
    client.close()


def service(store, artifacts, settings, identity: Identity = LOCAL_USER):
    """The job service of one process, with the hot cache the settings ask for."""
    return job_service(store, artifacts, settings=settings, identity=identity, hot=open_hot_cache(settings))


def worker_for(store, artifacts, engine, settings) -> Worker:
    return Worker(store, artifacts, engine, settings, worker_id="hot-worker", timing=FAST, hot=open_hot_cache(settings))


def finished(store, artifacts, engine, settings, data: dict = INPUT):
    job = service(store, artifacts, settings).submit(TASK, data).job
    done = worker_for(store, artifacts, engine, settings).run_once()
    assert done.id == job.id and done.status == JobStatus.COMPLETED
    return done


def test_a_finished_job_and_its_document_are_served_from_redis(store, artifacts, engine, hot_settings, raw):
    job = service(store, artifacts, hot_settings).submit(TASK, INPUT).job
    assert cached_entries(raw, hot_settings) == {}  # a pending job is not cached
    worker_for(store, artifacts, engine, hot_settings).run_once()
    job_key, document_key = f"job:{job.id}", JobFiles(job.id).result_document
    assert set(cached_entries(raw, hot_settings)) == {job_key}  # the worker's finish warmed the record

    rename_behind_the_stores_back(hot_settings, job.id, "renamed behind the store's back")
    reader = service(store, artifacts, hot_settings)  # another process: the app page, a CLI run
    shown = reader.get(job.id)
    assert shown.status == JobStatus.COMPLETED and shown.job_name == job.job_name
    document = plain(reader.result_document(shown))
    assert document["runs"] and set(cached_entries(raw, hot_settings)) == {job_key, document_key}
    (hot_settings.artifacts_dir / document_key).unlink()
    assert plain(service(store, artifacts, hot_settings).result_document(shown)) == document

    raw.delete(*(cache_prefix(hot_settings) + key for key in (job_key, document_key)))  # as when both expire
    assert reader.get(job.id).job_name == "renamed behind the store's back"
    with pytest.raises(ArtifactNotFound):
        reader.result_document(shown)


def test_entries_live_for_the_ttl_of_the_settings(store, artifacts, engine, hot_settings, raw):
    job = finished(store, artifacts, engine, hot_settings)
    service(store, artifacts, hot_settings).result_document(job)
    prefix = cache_prefix(hot_settings)
    for key in (f"job:{job.id}", JobFiles(job.id).result_document):
        assert TTL_S * 1000 - 10_000 < raw.pttl(prefix + key) <= TTL_S * 1000, key

    short = hot_settings.model_copy(update={"cache_ttl_s": 1})
    job = finished(store, artifacts, engine, short, {**INPUT, "options": {"seed": 7}})
    rename_behind_the_stores_back(short, job.id, "renamed")
    assert service(store, artifacts, short).get(job.id).job_name == job.job_name
    time.sleep(1.3)  # Redis expires the entry: the store's row is read again
    assert service(store, artifacts, short).get(job.id).job_name == "renamed"


def test_pending_and_running_jobs_are_never_cached(store, artifacts, hot_settings, raw):
    jobs = service(store, artifacts, hot_settings)
    job = jobs.submit(TASK, INPUT).job
    assert jobs.get(job.id).status == JobStatus.PENDING and cached_entries(raw, hot_settings) == {}
    store.claim_next("elsewhere", 30, max_running=10, now=job.created_at)
    assert jobs.get(job.id).status == JobStatus.RUNNING and cached_entries(raw, hot_settings) == {}
    rename_behind_the_stores_back(hot_settings, job.id, "renamed")
    assert jobs.get(job.id).job_name == "renamed"  # read from the store every time


def test_cancel_replaces_what_readers_see(store, artifacts, hot_settings, raw):
    jobs = service(store, artifacts, hot_settings)
    job = jobs.submit(TASK, INPUT).job
    assert jobs.get(job.id).status == JobStatus.PENDING
    jobs.cancel(job.id)
    assert service(store, artifacts, hot_settings).get(job.id).status == JobStatus.CANCELLED
    assert set(cached_entries(raw, hot_settings)) == {f"job:{job.id}"}
    with pytest.raises(JobNotFound):
        jobs.result_document(jobs.get(job.id))


def test_a_deleted_job_is_gone_although_it_was_cached(store, artifacts, engine, hot_settings, raw):
    job = finished(store, artifacts, engine, hot_settings)
    replica = service(store, artifacts, hot_settings)
    shown = replica.get(job.id)
    document_bytes = artifacts.get(JobFiles(job.id).result_document)
    assert plain(replica.result_document(shown))["runs"]
    service(store, artifacts, hot_settings).delete(job.id)
    with pytest.raises(JobNotFound):
        replica.get(job.id)
    with pytest.raises(ArtifactNotFound):  # its document is no longer served from Redis either
        replica.result_document(shown)

    late = open_hot_cache(hot_settings)  # a reader that loaded both just before the deletion, writing them now
    late.keep_job(shown)
    late.put(JobFiles(job.id).result_document, document_bytes)
    with pytest.raises(JobNotFound):
        replica.get(job.id)
    with pytest.raises(ArtifactNotFound):
        replica.result_document(shown)


def test_a_cache_hit_reads_its_sources_document_until_the_last_user_is_deleted(store, artifacts, engine, hot_settings):
    source = finished(store, artifacts, engine, hot_settings)
    jobs = service(store, artifacts, hot_settings)
    hit = jobs.submit(TASK, INPUT).job
    assert hit.cache_hit and plain(jobs.result_document(hit)) == plain(jobs.result_document(source))
    jobs.delete(source.id)
    assert plain(service(store, artifacts, hot_settings).result_document(hit))["runs"]
    jobs.delete(hit.id)
    with pytest.raises(ArtifactNotFound):
        service(store, artifacts, hot_settings).result_document(hit)


def test_another_owners_cached_job_is_not_found(store, artifacts, engine, hot_settings, raw):
    job = finished(store, artifacts, engine, hot_settings)
    assert f"job:{job.id}" in cached_entries(raw, hot_settings)
    with pytest.raises(JobNotFound):
        service(store, artifacts, hot_settings, Identity("someone-else")).get(job.id)
    admin = service(store, artifacts, hot_settings, Identity("admin", sees_all=True))
    assert admin.get(job.id).id == job.id


def test_garbage_in_redis_is_read_past(store, artifacts, engine, hot_settings, raw):
    job = finished(store, artifacts, engine, hot_settings)
    jobs = service(store, artifacts, hot_settings)
    document = plain(jobs.result_document(jobs.get(job.id)))
    rename_behind_the_stores_back(hot_settings, job.id, "renamed")
    for key in cached_entries(raw, hot_settings):
        raw.set(cache_prefix(hot_settings) + key, b'{"garbage": ')
    reader = service(store, artifacts, hot_settings)
    assert reader.get(job.id).job_name == "renamed"
    assert plain(reader.result_document(job)) == document
    assert all(value != b'{"garbage": ' for value in cached_entries(raw, hot_settings).values())  # good copies again


def test_a_redis_that_is_down_only_costs_speed(store, artifacts, engine, settings):
    down = settings.model_copy(update={"redis_url": "redis://127.0.0.1:1/0"})  # nothing listens there
    job = finished(store, artifacts, engine, down)
    jobs = service(store, artifacts, down)
    assert plain(jobs.result_document(jobs.get(job.id)))["runs"]
    rename_behind_the_stores_back(down, job.id, "renamed")
    assert jobs.get(job.id).job_name == "renamed"
    jobs.delete(job.id)
    with pytest.raises(JobNotFound):
        jobs.get(job.id)


def test_a_redis_flushed_mid_way_only_costs_speed(store, artifacts, engine, settings):
    private = PrivateRedis()
    try:
        own = settings.model_copy(update={"redis_url": private.url})
        job = finished(store, artifacts, engine, own)
        jobs = service(store, artifacts, own)
        shown = jobs.get(job.id)
        private.flush()  # between reading the job and its document, as a page does
        document = plain(jobs.result_document(shown))
        assert document["runs"] and document == plain(service(store, artifacts, own).result_document(shown))
        rename_behind_the_stores_back(own, job.id, "renamed")
        private.flush()
        assert jobs.get(job.id).job_name == "renamed"
        jobs.delete(job.id)
        private.flush()
        with pytest.raises(JobNotFound):
            service(store, artifacts, own).get(job.id)
    finally:
        private.close()
