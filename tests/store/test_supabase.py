"""SupabaseJobStore and SupabaseArtifactStore through the real `supabase` client, against the PostgREST/Storage test
server over a real PostgreSQL: the contracts, row-level security per user, concurrent workers and outages."""

from __future__ import annotations

import socket
import threading
import time
import uuid
from datetime import timedelta

import httpx
import psycopg
import pytest
from postgrest.exceptions import APIError

from omtx_core.domain.job import Job, JobQuery, JobStatus, utcnow
from omtx_core.errors import JobNotFound, StoreRefused, StoreUnavailable
from omtx_core.store.base import ArtifactStore, JobStore
from omtx_core.store.supabase import SupabaseArtifactStore, SupabaseJobStore
from tests.store.contract import ArtifactStoreContract, JobStoreContract, make_job
from tests.supabase_server import SupabaseTestServer, free_port, make_token

USER_A, USER_B = str(uuid.uuid4()), str(uuid.uuid4())


@pytest.fixture
def store(connect) -> SupabaseJobStore:
    return SupabaseJobStore(connect())


@pytest.fixture
def artifacts(connect) -> SupabaseArtifactStore:
    return SupabaseArtifactStore(connect())


class TestSupabaseJobStore(JobStoreContract):
    def test_is_a_job_store(self, store):
        assert isinstance(store, JobStore) and store.name == "supabase"

    def test_a_column_for_every_job_field(self, supabase_db):
        with psycopg.connect(supabase_db) as conn:
            columns = conn.execute("select column_name from information_schema.columns where table_schema = 'public'"
                                   " and table_name = 'jobs' order by ordinal_position").fetchall()  # fmt: skip
        assert [c for (c,) in columns] == list(Job.model_fields)

    def test_search_takes_every_character_literally(self, store):
        for name in ["a*b", "axb", "a\\b", "50% off", "a_b", "A.B"]:
            store.create(self.job(job_name=name))

        def names(search: str) -> list[str]:
            return sorted(j.job_name for j in store.list(JobQuery(search=search)).jobs)

        assert names("A*B") == ["a*b"] and names("\\") == ["a\\b"] and names("%") == ["50% off"]
        assert names("_") == ["a_b"] and names("a.b") == ["A.B"] and names("x") == ["axb"]

    def test_offset_past_the_end_is_an_empty_page(self, store):
        store.create(self.job())
        page = store.list(JobQuery(offset=5))
        assert page.jobs == [] and page.total == 1

    def test_an_update_cannot_break_the_job_model(self, store):
        job = store.create(self.job())
        with pytest.raises(ValueError):
            store.update(job.id, {"progress_done": "many"})
        with pytest.raises(ValueError):
            store.update(job.id, {"not_a_field": 1})

    def test_claimers_with_their_own_clients_never_share_a_job(self, store, connect):
        for _ in range(40):
            store.create(self.job())
        claimed: list[str] = []
        lock = threading.Lock()

        def worker(name: str) -> None:
            own = SupabaseJobStore(connect())
            while (job := own.claim_next(name, 300, max_running=100, now=utcnow())) is not None:
                with lock:
                    claimed.append(job.id)

        threads = [threading.Thread(target=worker, args=(f"w{i}",)) for i in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(claimed) == 40 and len(set(claimed)) == 40

    def test_max_running_holds_under_concurrent_claims(self, store, connect):
        for _ in range(10):
            store.create(self.job())
        results: list[Job | None] = []
        barrier = threading.Barrier(8)

        def worker(name: str) -> None:
            own = SupabaseJobStore(connect())
            barrier.wait()
            results.append(own.claim_next(name, 300, max_running=3, now=utcnow()))

        threads = [threading.Thread(target=worker, args=(f"w{i}",)) for i in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len([job for job in results if job is not None]) == 3
        assert store.list(JobQuery(status=JobStatus.RUNNING)).total == 3


class TestSupabaseArtifacts(ArtifactStoreContract):
    def test_is_an_artifact_store(self, artifacts):
        assert isinstance(artifacts, ArtifactStore)

    def test_list_walks_folders_and_pages_and_delete_works_in_batches(self, artifacts):
        keys = [f"results/j1/many/f{i:03}.txt" for i in range(130)] + ["results/j1/a/b/c/deep.cif"]
        for key in keys:
            artifacts.put(key, b"x")
        artifacts.put("results/j10/other.txt", b"y")
        assert artifacts.list("results/j1/") == sorted(keys)
        assert artifacts.list("results/j1/many/f12") == [f"results/j1/many/f12{i}.txt" for i in range(10)]
        assert artifacts.delete_prefix("results/j1/") == 131
        assert artifacts.list("results/") == ["results/j10/other.txt"]

    def test_bad_prefixes_are_refused(self, artifacts):
        for prefix in ["other/j1/", "results/../x/", "results/j1/a b/"]:
            with pytest.raises(ValueError):
                artifacts.list(prefix)


class TestRowLevelSecurity:
    @pytest.fixture
    def stores(self, server, connect) -> dict[str, SupabaseJobStore]:
        return {"A": SupabaseJobStore(connect(server.user_key(USER_A))),
                "B": SupabaseJobStore(connect(server.user_key(USER_B))),
                "anon": SupabaseJobStore(connect(server.anon_key)),
                "service": SupabaseJobStore(connect())}  # fmt: skip

    def test_users_see_and_change_only_their_own_jobs(self, stores):
        a, b, service = stores["A"], stores["B"], stores["service"]
        mine = a.create(make_job(owner=USER_A, job_name="mine"))
        theirs = b.create(make_job(owner=USER_B, job_name="theirs"))
        assert service.get(mine.id).owner == USER_A and service.get(theirs.id).owner == USER_B
        assert a.get(theirs.id) is None and a.get(mine.id) == mine
        assert [j.id for j in a.list(JobQuery()).jobs] == [mine.id] and a.list(JobQuery()).total == 1
        assert a.list(JobQuery(owner=USER_B)).total == 0
        with pytest.raises(JobNotFound):
            a.update(theirs.id, {"job_name": "taken"})
        assert a.delete(theirs.id) is False
        assert service.get(theirs.id).job_name == "theirs"
        assert service.list(JobQuery()).total == 2
        assert a.count_results_users(theirs.id) == 0

    def test_inserts_belong_to_the_signed_in_user(self, stores, connect, server):
        raw = connect(server.user_key(USER_A))
        row = make_job().model_dump(mode="json", exclude={"owner"})
        assert raw.table("jobs").insert(row).execute().data[0]["owner"] == USER_A  # the column's default
        with pytest.raises(StoreRefused) as refused:
            stores["A"].create(make_job(owner=USER_B))
        assert refused.value.store_code == "42501"
        mine = stores["A"].create(make_job(owner=USER_A))
        with pytest.raises(StoreRefused):
            stores["A"].update(mine.id, {"owner": USER_B})  # cannot give a job away either

    def test_results_can_only_come_from_the_users_own_jobs(self, stores):
        # Completed jobs are the workers' (service role) to write; a user's key makes only their cache hits.
        theirs = stores["service"].create(make_job(owner=USER_B, status=JobStatus.COMPLETED))
        mine = stores["service"].create(make_job(owner=USER_A, status=JobStatus.COMPLETED))
        hit = stores["A"].create(make_job(owner=USER_A, status=JobStatus.COMPLETED, cache_hit=True,
                                          results_from=mine.id))  # fmt: skip
        with pytest.raises(StoreRefused):
            stores["A"].create(make_job(owner=USER_A, cache_hit=True, results_from=theirs.id))
        with pytest.raises(StoreRefused):
            stores["A"].update(hit.id, {"results_from": theirs.id})

    def test_the_result_cache_is_per_user(self, stores):
        done = stores["service"].create(make_job(owner=USER_B, input_hash="same", status=JobStatus.COMPLETED))
        assert stores["B"].find_completed("same", USER_B).id == done.id
        assert stores["A"].find_completed("same", USER_B) is None

    def test_anon_gets_nothing(self, stores):
        stores["service"].create(make_job())
        for call in (lambda s: s.list(JobQuery()), lambda s: s.get("x"), lambda s: s.create(make_job())):
            with pytest.raises(StoreRefused) as refused:
                call(stores["anon"])
            assert refused.value.store_code == "42501"

    def test_only_the_service_role_may_claim(self, stores):
        stores["A"].create(make_job(owner=USER_A))
        with pytest.raises(StoreRefused) as refused:
            stores["A"].claim_next("w", 10, max_running=1, now=utcnow())
        assert refused.value.store_code == "42501"
        assert stores["service"].claim_next("w", 10, max_running=1, now=utcnow()).owner == USER_A

    def test_a_key_signed_with_another_secret_is_refused(self, connect):
        forged = make_token("a-secret-that-is-not-the-servers-secret", "service_role")
        with pytest.raises(StoreRefused) as refused:
            SupabaseJobStore(connect(forged)).list(JobQuery())
        assert refused.value.store_code == "PGRST301" and forged not in str(refused.value)


class TestOutages:
    def test_unreachable_server_fails_fast_without_the_key_then_recovers(self, server, store, artifacts):
        job = store.create(make_job())
        artifacts.put("logs/j1/a.log", b"x")
        key = server.service_key
        with server.unreachable():
            calls = [lambda: store.get(job.id), lambda: store.list(JobQuery()), lambda: artifacts.get("logs/j1/a.log"),
                     lambda: store.claim_next("w", 10, max_running=1, now=utcnow())]  # fmt: skip
            for call in calls:
                started = time.monotonic()
                with pytest.raises(StoreUnavailable) as down:
                    call()
                assert time.monotonic() - started < 2
                assert key not in str(down.value) and key not in down.value.hint
        assert store.get(job.id) == job and artifacts.get("logs/j1/a.log") == b"x"

    def test_a_server_that_never_answers_times_out(self, connect):
        with socket.socket() as silent:
            silent.bind(("127.0.0.1", 0))
            silent.listen()
            slow = SupabaseJobStore(connect(url=f"http://127.0.0.1:{silent.getsockname()[1]}", timeout_s=0.5))
            started = time.monotonic()
            with pytest.raises(StoreUnavailable):
                slow.get("x")
            assert time.monotonic() - started < 3

    def test_database_down_behind_the_api_is_unavailable(self, connect):
        dead = f"host=127.0.0.1 port={free_port()} user=postgres dbname=postgres"
        with SupabaseTestServer(dead) as api:
            store = SupabaseJobStore(connect(api.service_key, url=api.url))
            with pytest.raises(StoreUnavailable):
                store.list(JobQuery())

    def test_status_codes_are_postgrest_s(self, server):
        service, user = server.service_key, server.user_key(USER_A)

        def status(method: str, path: str, key: str | None, **kwargs) -> int:
            headers = {"apikey": key, "Authorization": f"Bearer {key}"} if key else {}
            return httpx.request(method, server.url + path, headers=headers, timeout=5, **kwargs).status_code

        row = make_job().model_dump(mode="json")
        assert status("POST", "/rest/v1/jobs", service, json=row) == 201
        assert status("POST", "/rest/v1/jobs", service, json=row) == 409  # unique violation
        assert status("GET", "/rest/v1/no_such_table", service) == 404
        assert status("GET", "/rest/v1/jobs", server.anon_key) == 401
        assert status("GET", "/rest/v1/jobs", None) == 401
        claim = {"p_worker": "w", "p_lease_seconds": 1, "p_max_running": 1, "p_now": utcnow().isoformat()}
        assert status("POST", "/rest/v1/rpc/claim_next_job", user, json=claim) == 403
        assert status("POST", "/rest/v1/rpc/no_such_function", service, json={}) == 404
        assert status("GET", "/rest/v1/jobs?id=eq.x&select=id", user) == 200

    def test_storage_answers_in_its_own_shape(self, server):
        """Supabase Storage's error handler answers HTTP 400 (500 for server errors) with the status in the body."""

        def answer(method: str, path: str, key: str, **kwargs) -> tuple[int, dict]:
            headers = {"apikey": key, "Authorization": f"Bearer {key}"}
            reply = httpx.request(
                method, server.url + "/storage/v1/object" + path, headers=headers, timeout=5, **kwargs
            )
            return reply.status_code, reply.json()

        user = server.user_key(USER_A)
        assert answer("GET", "/logs/j1/a.log", server.service_key) == (
            400, {"statusCode": "404", "error": "not_found", "message": "Object not found"})  # fmt: skip
        assert answer("GET", "/logs/j1/a.log", user)[1]["statusCode"] == "404"
        refused = answer("POST", "/logs/j1/a.log", user, files={"file": ("a.log", b"x", "text/plain")})
        assert refused == (400, {"statusCode": "403", "error": "Unauthorized",
                                 "message": "new row violates row-level security policy"})  # fmt: skip
        assert answer("GET", "/other/j1/a.log", server.service_key)[1]["error"] == "Bucket not found"
        assert answer("GET", "/logs/j1/a.log", "not-a-jwt")[1]["statusCode"] == "403"

    def test_errors_from_the_api_keep_postgrest_shape(self, connect):
        client = connect()
        with pytest.raises(APIError) as missing:
            client.table("no_such_table").select("*").execute()
        assert missing.value.code == "42P01"
        with pytest.raises(APIError) as unsafe:
            client.table("jobs").delete().execute()
        assert unsafe.value.code == "21000"


def test_lease_times_round_trip_exactly(store):
    now = utcnow()
    store.create(make_job())
    claimed = store.claim_next("w", 0.25, max_running=1, now=now)
    assert claimed.lease_expires_at == now + timedelta(seconds=0.25)
