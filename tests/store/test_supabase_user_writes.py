"""What a signed-in user may write to `public.jobs` with their own key, through the real `supabase` client against the
test server (each request runs as role `authenticated` with the JWT's claims, as PostgREST does): a plain pending
job with the server's timestamps, a rename, a cancel, a delete; never a row that looks like a worker's."""

from __future__ import annotations

import uuid
from contextlib import suppress
from datetime import datetime, timedelta

import pytest
from postgrest.exceptions import APIError

from omtx_core.domain.job import JobQuery, JobStatus, utcnow
from omtx_core.errors import StoreRefused
from omtx_core.store.fallback import FallbackJobStore, Outbox
from omtx_core.store.sqlite import SqliteJobStore
from omtx_core.store.supabase import SupabaseJobStore
from tests.examples import UBIQUITIN
from tests.store.contract import make_job

USER_A, USER_B = str(uuid.uuid4()), str(uuid.uuid4())
LONG_AGO = "2000-01-01T00:00:00+00:00"
FORGED_INSERTS = {
    "running": {"status": "running"},
    "leased": {"lease_owner": "w", "lease_expires_at": "infinity"},
    "running forever": {"status": "running", "lease_owner": "w", "lease_expires_at": "infinity", "attempts": 1},
    "completed": {"status": "completed", "finished_at": LONG_AGO},
    "failed": {"status": "failed", "error": {"kind": "engine", "message": "x", "details": ""}},
    "with a result": {"result": {"runs": 1}},
    "with attempts": {"attempts": 3},
    "with artifacts": {"artifacts": ["results/x/result.json"]},
    "with an engine": {"engine": "modal", "engine_call_ids": ["fc-1"]},
    "started": {"started_at": LONG_AGO},
    "with progress": {"progress_done": 1},
    "a cache hit without a source": {"cache_hit": True},
}


def row(owner: str = USER_A, **fields) -> dict:
    return make_job(owner=owner).model_dump(mode="json") | fields


@pytest.fixture
def service(connect) -> SupabaseJobStore:
    return SupabaseJobStore(connect())


@pytest.fixture
def mine(server, connect):
    """User A's `jobs` table, straight through their client: what a hostile script with their key can send."""
    return connect(server.user_key(USER_A)).table("jobs")


def finished(service: SupabaseJobStore, owner: str, **fields):
    """A job a worker (service key) ran and completed."""
    now = utcnow()
    job = service.create(make_job(owner=owner, status=JobStatus.RUNNING, lease_owner="w", attempts=1, started_at=now,
                                  lease_expires_at=now + timedelta(minutes=1), **fields))  # fmt: skip
    return service.update(job.id, {"status": JobStatus.COMPLETED, "result": {"runs": 1}, "finished_at": utcnow(),
                                   "artifacts": [f"results/{job.id}/result.json"], "engine": "modal"})  # fmt: skip


def near_now(value: str | datetime) -> bool:
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return abs(moment - utcnow()) < timedelta(minutes=1)


@pytest.mark.parametrize("fields", FORGED_INSERTS.values(), ids=FORGED_INSERTS)
def test_a_user_inserts_only_plain_pending_jobs(mine, fields, service):
    with pytest.raises(APIError) as refused:
        mine.insert(row(**fields)).execute()
    assert refused.value.code == "42501"
    assert service.list(JobQuery()).total == 0


def test_a_submission_gets_the_servers_timestamps_whatever_it_sent(mine):
    stored = mine.insert(row(created_at=LONG_AGO, updated_at=LONG_AGO)).execute().data[0]
    assert near_now(stored["created_at"]) and near_now(stored["updated_at"])
    assert stored["status"] == "pending" and stored["attempts"] == 0


def test_forged_rows_cannot_stall_the_queue_or_jump_it(server, mine, service, service_for):
    theirs = service_for(server.user_key(USER_B)).submit("protein_structure", {"protein_sequence": UBIQUITIN}).job
    for _ in range(10):  # the default cap on running jobs
        with suppress(APIError):
            mine.insert(row(**FORGED_INSERTS["running forever"])).execute()
    with suppress(APIError):
        mine.insert(row(created_at=LONG_AGO)).execute()
    claimed = service.claim_next("w", 60, max_running=10, now=utcnow())
    assert claimed is not None and claimed.id == theirs.id


FORGED_UPDATES = {  # status changes out of `completed` break the lifecycle itself (23514), for every role
    "back to pending": {"status": "pending"},
    "running again": {"status": "running"},
    "failed": {"status": "failed"},
    "lease_owner": {"lease_owner": "me"},
    "attempts": {"attempts": 0},
    "result": {"result": {"runs": 99}},
    "artifacts": {"artifacts": ["results/other/result.json"]},
    "owner": {"owner": USER_B},
    "engine": {"engine": "local"},
    "input_hash": {"input_hash": "other"},
    "cache_hit": {"cache_hit": True},
    "error": {"error": {"kind": "engine", "message": "x", "details": ""}},
}


@pytest.mark.parametrize("changes", FORGED_UPDATES.values(), ids=FORGED_UPDATES)
def test_a_user_cannot_rewrite_what_workers_wrote(mine, service, changes):
    done = finished(service, USER_A)
    with pytest.raises(APIError) as refused:
        mine.update(changes).eq("id", done.id).execute()
    assert refused.value.code == ("23514" if "status" in changes else "42501")
    assert service.get(done.id) == done


def test_a_user_cannot_hand_a_running_job_back_or_finish_it(server, connect, mine, service):
    """Both are steps of the lifecycle, but a worker's: a user's key refuses them with 42501."""
    job = SupabaseJobStore(connect(server.user_key(USER_A))).create(make_job(owner=USER_A))
    running = service.claim_next("w", 60, max_running=10, now=utcnow())
    for changes in ({"status": "pending"}, {"status": "completed"}, {"lease_expires_at": "infinity"}):
        with pytest.raises(APIError) as refused:
            mine.update(changes).eq("id", job.id).execute()
        assert refused.value.code == "42501"
    assert service.get(job.id) == running


def test_a_users_timestamps_are_ignored(mine, service):
    done = finished(service, USER_A)
    mine.update({"created_at": LONG_AGO, "started_at": LONG_AGO, "finished_at": LONG_AGO}).eq("id", done.id).execute()
    kept = service.get(done.id)
    assert (kept.created_at, kept.started_at, kept.finished_at) == (done.created_at, done.started_at, done.finished_at)


def test_a_user_renames_cancels_and_deletes_their_jobs(server, connect, mine, service):
    store = SupabaseJobStore(connect(server.user_key(USER_A)))
    waiting = store.create(make_job(owner=USER_A))
    assert store.update(waiting.id, {"job_name": "renamed"}).job_name == "renamed"
    running = service.claim_next("w", 60, max_running=10, now=utcnow())
    assert running.id == waiting.id and running.lease_owner == "w"

    # A bare status change: the server clears the lease and sets the finish time, whatever the client sent.
    cancelled = mine.update({"status": "cancelled", "finished_at": LONG_AGO}).eq("id", waiting.id).execute().data[0]
    assert cancelled["status"] == "cancelled" and near_now(cancelled["finished_at"])
    assert cancelled["lease_owner"] is None and cancelled["lease_expires_at"] is None
    assert service.heartbeat(waiting.id, "w", 60, now=utcnow()) is None  # the worker sees it is no longer its job
    other = store.create(make_job(owner=USER_A))
    assert store.update(other.id, {"status": JobStatus.CANCELLED}).status == JobStatus.CANCELLED
    assert store.delete(waiting.id) and store.delete(other.id) and service.get(waiting.id) is None


def test_a_cache_hit_reads_only_the_users_own_finished_job_with_that_input(server, connect, service):
    store = SupabaseJobStore(connect(server.user_key(USER_A)))
    theirs = finished(service, USER_B)
    waiting = store.create(make_job(owner=USER_A))
    source = finished(service, USER_A)
    other_input = finished(service, USER_A, input_hash="h2")
    for forged in (theirs.id, waiting.id, other_input.id, "no-such-job"):
        with pytest.raises(StoreRefused) as refused:
            store.create(make_job(owner=USER_A, status=JobStatus.COMPLETED, cache_hit=True, results_from=forged))
        assert refused.value.store_code == "42501"
        assert refused.value.hint == "Submit the job again without using the cache."

    # What the server copies from the source or sets itself, whatever the client sent.
    forged = {"result": {"runs": 99}, "artifacts": ["results/other/result.json"], "engine": "local", "attempts": 5,
              "lease_owner": "me", "created_at": datetime.fromisoformat(LONG_AGO)}  # fmt: skip
    claimed = make_job(owner=USER_A, status=JobStatus.COMPLETED, cache_hit=True, results_from=source.id, **forged)
    hit = store.create(claimed)
    assert (hit.result, hit.artifacts, hit.engine) == (source.result, source.artifacts, source.engine)
    assert hit.cache_hit and hit.results_from == source.id and hit.status == JobStatus.COMPLETED
    assert (hit.attempts, hit.lease_owner) == (0, None) and near_now(hit.created_at)
    assert store.create(claimed) == hit  # idempotent, like every create


IMPORT = {"status": JobStatus.COMPLETED, "engine": "import", "input_hash": "import:abc"}
FORGED_IMPORTS = {
    "leased": {"lease_owner": "me"},
    "with attempts": {"attempts": 2},
    "not completed": {"status": JobStatus.RUNNING},
    "a real input hash": {"input_hash": "h1"},
    "another job's files": {"artifacts": ["results/someone-else/result.json"]},
    "a cache hit": {"cache_hit": True},
}


@pytest.mark.parametrize("fields", FORGED_IMPORTS.values(), ids=FORGED_IMPORTS)
def test_an_import_is_a_plain_completed_job_of_the_user(server, connect, fields):
    store = SupabaseJobStore(connect(server.user_key(USER_A)))
    with pytest.raises(StoreRefused):
        store.create(make_job(owner=USER_A, **(IMPORT | fields)))
    job = make_job(owner=USER_A, **IMPORT)
    job.artifacts = [f"results/{job.id}/result.json", f"logs/{job.id}/engine.log"]
    stored = store.create(job)
    assert (stored.status, stored.engine, stored.artifacts) == (JobStatus.COMPLETED, "import", job.artifacts)
    with pytest.raises(StoreRefused):
        store.create(make_job(owner=USER_B, **IMPORT))


def test_a_users_outbox_replays_a_submission_and_its_cancel(server, connect, tmp_path, service):
    """The fallback store under a user's key: a job submitted and cancelled during an outage replays (a create, then
    the whole cancelled job as an update), with the server's timestamps instead of the local ones."""
    primary = SupabaseJobStore(connect(server.user_key(USER_A), timeout_s=2))
    store = FallbackJobStore(primary, SqliteJobStore(tmp_path / "local.db"), Outbox(tmp_path / "outbox.db"),
                             retry_after_s=0)  # fmt: skip
    with server.unreachable():
        job = store.create(make_job(owner=USER_A, created_at=datetime.fromisoformat(LONG_AGO)))
        store.update(job.id, {"status": JobStatus.CANCELLED, "finished_at": utcnow()})
        assert store.degraded
    assert store.replay() == 2 and not store.degraded
    replayed = service.get(job.id)
    assert replayed.status == JobStatus.CANCELLED and replayed.owner == USER_A and near_now(replayed.created_at)
