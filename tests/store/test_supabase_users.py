"""Jobs under signed-in users' Supabase keys, through the job service the app and CLI call: one user submits, lists,
opens, cancels, re-runs and deletes; two users never see or touch each other's jobs or files. Test server over real
PostgreSQL: row-level security on `public.jobs` and Storage policies on `storage.objects` decide, as on Supabase."""

from __future__ import annotations

import uuid

import pytest
from postgrest.exceptions import APIError
from storage3.exceptions import StorageApiError

from omtx_core.domain.identity import LOCAL_USER
from omtx_core.domain.job import JobQuery, JobStatus, utcnow
from omtx_core.errors import ArtifactNotFound, JobNotFound, StoreRefused
from omtx_core.store.supabase import SupabaseArtifactStore, SupabaseJobStore
from tests.examples import UBIQUITIN
from tests.services import job_service
from tests.store.contract import make_job

USER_A, USER_B = str(uuid.uuid4()), str(uuid.uuid4())
UBIQUITIN_INPUT = {"protein_sequence": UBIQUITIN}


def seeded(seed: int) -> dict:
    return {"protein_sequence": UBIQUITIN, "options": {"seed": seed}}


def test_a_users_key_submits_as_that_user(server, connect, service_for):
    """The break this fixes: whatever the key, the app used to act as the local owner, so a submission under a user's
    key was a job with owner "local", which the jobs insert policy (owner = auth.uid()) refused with 42501. Acting
    as LOCAL_USER over a user's client is that old path; acting as the key's user (`identity_for`) is the new one."""
    key = server.user_key(USER_A)
    client = connect(key)
    old_path = job_service(SupabaseJobStore(client), SupabaseArtifactStore(client), identity=LOCAL_USER)
    with pytest.raises(StoreRefused) as refused:
        old_path.submit("protein_structure", UBIQUITIN_INPUT)
    assert refused.value.store_code == "42501"

    job = service_for(key).submit("protein_structure", UBIQUITIN_INPUT).job
    assert job.owner == USER_A and job.status == JobStatus.PENDING
    assert service_for(server.service_key).get(job.id).owner == USER_A  # stored as the user's, not "local"


def test_a_user_lists_opens_cancels_reruns_and_deletes_their_jobs(server, service_for):
    me = service_for(server.user_key(USER_A))
    first, second = (me.submit("protein_structure", seeded(seed)).job for seed in (1, 2))
    assert [job.id for job in me.list(JobQuery()).jobs] == [second.id, first.id]
    assert me.get(first.id) == first and me.queue_length() == 2

    cancelled = me.cancel(first.id)
    assert cancelled.status == JobStatus.CANCELLED and me.get(first.id).status == JobStatus.CANCELLED
    again = me.rerun(first.id, {"job_name": "ubiquitin again"}).job
    assert (again.owner, again.parent_id, again.status) == (USER_A, first.id, JobStatus.PENDING)
    assert again.input["options"]["seed"] == 1 and again.job_name == "ubiquitin again"

    me.delete(second.id)  # pending: cancelled first, then deleted
    with pytest.raises(JobNotFound):
        me.get(second.id)
    assert {job.id for job in me.list(JobQuery()).jobs} == {first.id, again.id}


def test_two_users_never_see_or_change_each_others_jobs(server, service_for):
    a, b = service_for(server.user_key(USER_A)), service_for(server.user_key(USER_B))
    mine = a.submit("protein_structure", UBIQUITIN_INPUT).job
    theirs = b.submit("protein_structure", UBIQUITIN_INPUT).job  # the same input: no cache across users either

    assert [job.id for job in a.list(JobQuery()).jobs] == [mine.id]
    assert [job.id for job in b.list(JobQuery()).jobs] == [theirs.id]
    assert [job.id for job in a.list(JobQuery(owner=USER_B)).jobs] == [mine.id]  # always narrowed to the caller
    for action in (a.get, a.cancel, a.rerun, a.delete):
        with pytest.raises(JobNotFound):
            action(theirs.id)
    assert b.get(theirs.id).status == JobStatus.PENDING and b.list(JobQuery()).total == 1
    assert a.list(JobQuery()).total == 1  # the re-run was refused, not stored

    service = service_for(server.service_key)
    assert {job.owner for job in service.list(JobQuery()).jobs} == {USER_A, USER_B}  # workers and admins see all


def test_two_users_never_read_write_list_or_delete_each_others_files(server, connect, service_for):
    a, b = service_for(server.user_key(USER_A)), service_for(server.user_key(USER_B))
    theirs = b.submit("protein_structure", UBIQUITIN_INPUT).job
    mine = a.submit("protein_structure", UBIQUITIN_INPUT).job
    key, log = f"results/{theirs.id}/result.json", f"logs/{theirs.id}/engine.log"
    b.artifacts.put(key, b"{}", "application/json")
    b.artifacts.put(log, b"theirs\n", "text/plain")
    a.artifacts.put(f"results/{mine.id}/result.json", b"{}")

    with pytest.raises(ArtifactNotFound):
        a.artifacts.get(key)
    assert not a.artifacts.exists(key)
    assert a.artifacts.list(f"results/{theirs.id}/") == [] and a.artifacts.list("logs/") == []
    assert a.artifacts.list("results/") == [f"results/{mine.id}/result.json"]
    assert a.artifacts.delete(key) is False and a.artifacts.delete_prefix(f"logs/{theirs.id}/") == 0
    with pytest.raises(StoreRefused):
        a.artifacts.put(key, b"overwritten")
    with pytest.raises(StoreRefused):
        a.artifacts.put(f"results/{theirs.id}/extra.json", b"planted")
    with pytest.raises(StoreRefused):
        a.artifacts.put("results/no-such-job/result.json", b"{}")  # a folder is only writable for a job of yours

    # The same refusals straight through A's Storage client, as Supabase Storage answers them.
    files = connect(server.user_key(USER_A)).storage.from_("results")
    with pytest.raises(StorageApiError) as refused:
        files.upload(f"{theirs.id}/extra.json", b"x", {"upsert": "true"})
    assert str(refused.value.status) == "403"
    with pytest.raises(StorageApiError) as hidden:
        files.download(f"{theirs.id}/result.json")
    assert str(hidden.value.status) == "404"
    assert files.list(theirs.id) == [] and files.remove([f"{theirs.id}/result.json"]) == []

    a.delete(mine.id)
    assert b.artifacts.get(key) == b"{}" and b.artifacts.list(f"logs/{theirs.id}/") == [log]  # all still there
    b.delete(theirs.id)
    assert service_for(server.service_key).artifacts.list("results/") == []  # each delete removed its own files


def test_anon_reaches_no_file(server, connect, service_for):
    owner = service_for(server.user_key(USER_A))
    job = owner.submit("protein_structure", UBIQUITIN_INPUT).job
    owner.artifacts.put(f"logs/{job.id}/engine.log", b"x")
    anon = SupabaseArtifactStore(connect(server.anon_key))
    assert not anon.exists(f"logs/{job.id}/engine.log") and anon.list("logs/") == []
    with pytest.raises(StoreRefused):
        anon.put(f"logs/{job.id}/engine.log", b"y")


def test_a_deleted_jobs_id_never_passes_to_another_user(server, connect, service_for):
    """The files a deleted job leaves for its cache hits stay its owner's: no other user can take over its id (and
    with it the folder), by creating a job with that id or by renaming one of theirs."""
    b = service_for(server.user_key(USER_B))
    source = b.submit("protein_structure", UBIQUITIN_INPUT).job
    b.artifacts.put(f"results/{source.id}/result.json", b"{}")
    worker = service_for(server.service_key).store  # a worker finishes it: only then can a cache hit read it
    worker.claim_next("w", 60, max_running=10, now=utcnow())
    worker.update(source.id, {"status": JobStatus.COMPLETED})
    b.store.create(make_job(owner=USER_B, status=JobStatus.COMPLETED, cache_hit=True, results_from=source.id,
                            input_hash=source.input_hash))  # fmt: skip
    b.delete(source.id)
    assert b.artifacts.list(f"results/{source.id}/") == [f"results/{source.id}/result.json"]  # kept for the hit

    rows = connect(server.user_key(USER_A)).table("jobs")
    with pytest.raises(APIError) as taken:
        rows.insert(make_job(id=source.id, owner=USER_A).model_dump(mode="json")).execute()
    assert taken.value.code == "23505"
    mine = rows.insert(make_job(owner=USER_A).model_dump(mode="json")).execute().data[0]
    with pytest.raises(APIError) as renamed:
        rows.update({"id": source.id}).eq("id", mine["id"]).execute()
    assert renamed.value.code == "23514"
    assert SupabaseArtifactStore(connect(server.user_key(USER_A))).list(f"results/{source.id}/") == []
