"""Signed-in users on Supabase through `open_stores_for`: the app acts with a token it mints for each user, so row-level
security in PostgreSQL (test server over real PostgreSQL, migrations of supabase/migrations) decides what each sees:
the whole job service path, an admin with the service key, a token renewed past its lifetime, a wrong secret."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import jwt
import pytest

from omtx_core.config import Settings
from omtx_core.domain.identity import Identity, owner_id
from omtx_core.domain.job import JobQuery, JobStatus
from omtx_core.errors import ArtifactNotFound, ConfigurationError, JobNotFound, StoreRefused
from omtx_core.jobs.service import JobService
from omtx_core.jobs.worker import Worker
from omtx_core.store import factory
from omtx_core.store.factory import open_stores, open_stores_for
from omtx_core.store.supabase import SupabaseJobStore
from tests.boltz_fixture_output import AFFINITY_CASE
from tests.engines import FixtureEngine
from tests.examples import VALID_INPUTS
from tests.jobs.test_importer import zip_folder
from tests.store.test_supabase_user_files import FAST, assert_result_pages_work

ISSUER = "https://idp.lab.example"
ALICE = Identity(owner_id(ISSUER, "alice"), email="alice@lab.example")
BOB = Identity(owner_id(ISSUER, "bob"), email="bob@lab.example")
ADMIN = Identity(owner_id(ISSUER, "root"), sees_all=True, admin=True, email="root@lab.example")
BINDING = VALID_INPUTS["protein_ligand_binding"]


@pytest.fixture
def settings_for(server, tmp_path) -> Iterator[Callable[..., Settings]]:
    """Settings of a team deployment on the test server (service key for workers, the server's JWT secret)."""
    made: list[Settings] = []

    def make(**overrides) -> Settings:
        values = dict(store="supabase", supabase_url=server.url, supabase_key=server.service_key,
                      supabase_jwt_secret=server.secret, data_dir=tmp_path / "data")  # fmt: skip
        made.append(Settings(**{**values, **overrides}))
        return made[-1]

    yield make
    for slot, (settings, stores) in list(factory._opened.items()):  # close the clients this test opened
        if any(settings is mine for mine in made):
            del factory._opened[slot]
            client = getattr(stores[0], "client", None) or getattr(getattr(stores[0], "primary", None), "client", None)
            if client is not None:
                client.options.httpx_client.close()


@pytest.fixture
def settings(settings_for) -> Settings:
    return settings_for()


def service(settings: Settings, identity: Identity, **kwargs) -> JobService:
    """The job service the app builds for a signed-in person."""
    store, artifacts = open_stores_for(settings, identity, **kwargs)
    return JobService(settings=settings, store=store, artifacts=artifacts, identity=identity)


def worker_for(settings: Settings) -> Worker:
    """A worker as deployed: the process's stores over the service key."""
    store, artifacts = open_stores(settings)
    return Worker(store, artifacts, FixtureEngine(), settings, worker_id="service-worker", timing=FAST)


def token_source(jobs: JobService):
    """The token holder each request of this service's client asks (its request hook)."""
    return jobs.store.client.options.httpx_client.event_hooks["request"][0].token


def test_each_user_acts_as_themselves_with_a_minted_token(server, settings):
    alice, bob = service(settings, ALICE), service(settings, BOB)
    assert open_stores_for(settings, ALICE)[0] is alice.store  # one client per user and process
    token = alice.store.client.options.headers["Authorization"].removeprefix("Bearer ")
    claims = jwt.decode(token, server.secret, algorithms=["HS256"], audience="authenticated")
    assert (claims["sub"], claims["role"], claims["email"]) == (ALICE.owner, "authenticated", ALICE.email)
    assert claims["exp"] - claims["iat"] == settings.user_token_ttl_s
    assert server.service_key not in str(alice.store.client.options.headers)  # the service key never enters it

    mine = alice.submit("protein_structure", {"protein_sequence": "MQIFVKTLTGKTITLEV"}).job
    theirs = bob.submit("protein_structure", {"protein_sequence": "MQIFVKTLTGKTITLEV"}).job
    assert (mine.owner, theirs.owner) == (ALICE.owner, BOB.owner)
    assert [job.id for job in alice.list(JobQuery()).jobs] == [mine.id]
    assert [job.id for job in bob.list(JobQuery(owner=ALICE.owner)).jobs] == [theirs.id]
    for action in (alice.get, alice.cancel, alice.rerun, alice.delete):
        with pytest.raises(JobNotFound):
            action(theirs.id)
    # Not filters in Python: the same stores with a job service that believes it sees all still get only their own.
    unfiltered = JobService(settings=settings, store=alice.store, artifacts=alice.artifacts,
                            identity=Identity(ALICE.owner, sees_all=True))  # fmt: skip
    assert [job.id for job in unfiltered.list(JobQuery()).jobs] == [mine.id]
    with pytest.raises(JobNotFound):
        unfiltered.get(theirs.id)

    assert alice.cancel(mine.id).status == JobStatus.CANCELLED
    again = alice.rerun(mine.id).job
    assert (again.owner, again.parent_id) == (ALICE.owner, mine.id)
    alice.delete(mine.id)
    assert [job.id for job in alice.list(JobQuery()).jobs] == [again.id]

    admin = service(settings, ADMIN)
    assert {job.id for job in admin.list(JobQuery()).jobs} == {again.id, theirs.id}  # the service key: all
    assert admin.get(theirs.id).owner == BOB.owner


def test_results_files_zip_cache_hits_and_imports_under_minted_tokens(server, settings, tmp_path):
    alice, bob = service(settings, ALICE), service(settings, BOB)
    source = alice.submit("protein_ligand_binding", BINDING).job
    assert worker_for(settings).run_once().id == source.id
    job = alice.get(source.id)
    assert job.status == JobStatus.COMPLETED
    assert_result_pages_work(alice, job, tmp_path / "result")  # result document, files, log, inputs, ZIP

    hit = alice.submit("protein_ligand_binding", BINDING).job
    assert hit.cache_hit and hit.results_from == source.id
    assert_result_pages_work(alice, hit, tmp_path / "hit")
    assert bob.cached_result(bob.validate("protein_ligand_binding", BINDING)) is None  # no cache across users
    with pytest.raises(ArtifactNotFound):
        bob.artifacts.get(f"results/{source.id}/result.json")
    assert bob.artifacts.list(f"results/{source.id}/") == []

    imported = bob.import_results(zip_folder(AFFINITY_CASE, f"{AFFINITY_CASE.name}/"), job_name="From the cluster")
    assert (imported.owner, imported.status) == (BOB.owner, JobStatus.COMPLETED)
    assert_result_pages_work(bob, bob.get(imported.id), tmp_path / "imported", inputs=False)
    with pytest.raises(JobNotFound):
        alice.get(imported.id)


def test_an_expired_token_is_renewed_without_the_user_noticing(server, settings):
    now = datetime.now(UTC)
    clock = [now - timedelta(seconds=settings.user_token_ttl_s + 300)]  # the session began over an hour ago
    alice = service(settings, ALICE, clock=lambda: clock[0])
    first = alice.store.client.options.headers["Authorization"].removeprefix("Bearer ")
    with pytest.raises(jwt.ExpiredSignatureError):  # by now the server would refuse the token minted back then
        jwt.decode(first, server.secret, algorithms=["HS256"], audience="authenticated")

    clock[0] = now
    job = alice.submit("protein_structure", {"protein_sequence": "MQIFVKTLTGKTITLEV"}).job
    assert alice.get(job.id).owner == ALICE.owner and alice.list(JobQuery()).total == 1
    alice.artifacts.put(f"logs/{job.id}/engine.log", b"ran\n", "text/plain")  # Storage asks the same holder
    assert alice.artifacts.get(f"logs/{job.id}/engine.log") == b"ran\n"
    tokens = token_source(alice)  # the holder each request asks
    assert tokens.minted == 2  # renewed once, then reused while it has time left


def test_a_token_minted_with_the_wrong_secret_is_refused_readably(server, settings_for, caplog):
    wrong = "not-the-projects-jwt-secret-0123456789"
    alice = service(settings_for(supabase_jwt_secret=wrong), ALICE)
    with caplog.at_level(logging.DEBUG), pytest.raises(StoreRefused) as refused:
        alice.list(JobQuery())
    error = refused.value
    assert error.store_code == "PGRST301" and "JWT" in error.message and "OMTX_SUPABASE_JWT_SECRET" in error.hint
    for text in (str(error), error.message, error.hint, repr(error.__cause__), caplog.text):
        assert wrong not in text and server.secret not in text and server.service_key not in text


def test_a_missing_secret_says_which_setting_and_where_to_find_it(settings_for):
    with pytest.raises(ConfigurationError) as missing:
        open_stores_for(settings_for(supabase_jwt_secret=None), ALICE)
    assert "OMTX_SUPABASE_JWT_SECRET" in missing.value.hint and "Project Settings" in missing.value.hint
    with pytest.raises(ConfigurationError):  # auth.uid() is a uuid: an owner that is not one is refused at once
        open_stores_for(settings_for(), Identity("alice@lab.example"))


def test_no_secret_in_any_log_record_or_error_of_a_whole_session(server, settings, caplog, tmp_path):
    with caplog.at_level(logging.DEBUG):
        alice, bob = service(settings, ALICE), service(settings, BOB)
        job = alice.submit("protein_ligand_binding", BINDING).job
        worker_for(settings).run_once()
        alice.result_document(alice.get(job.id))
        alice.job_zip([alice.get(job.id)])
        errors = []
        for action in (bob.get, bob.cancel, bob.delete):
            with pytest.raises(JobNotFound) as hidden:
                action(job.id)
            errors.append(hidden.value)
    tokens = [alice.store.client.options.headers["Authorization"], bob.store.client.options.headers["Authorization"]]
    texts = [caplog.text, *(record.getMessage() for record in caplog.records), *map(str, errors), *map(repr, errors)]
    for secret in (server.secret, server.service_key, *(token.removeprefix("Bearer ") for token in tokens)):
        assert all(secret not in text for text in texts)
    assert "UserTokens(owner=" in repr(token_source(alice))


def test_sqlite_and_admins_share_the_process_stores(settings_for, tmp_path):
    local = settings_for(store="sqlite")
    assert open_stores_for(local, ALICE) is open_stores_for(local, BOB)  # ownership is the service's on SQLite
    team = settings_for()
    assert open_stores_for(team, ADMIN) is open_stores_for(team, ADMIN)
    assert open_stores_for(team, ADMIN)[0] is not open_stores_for(team, ALICE)[0]
    assert isinstance(open_stores_for(team, ADMIN)[0], SupabaseJobStore)


def test_on_the_fallback_store_each_users_outbox_replays_under_their_own_token(server, settings_for):
    settings = settings_for(store="fallback")
    alice, bob = service(settings, ALICE), service(settings, BOB)
    with server.unreachable():
        mine = alice.submit("protein_structure", {"protein_sequence": "MQIFVKTLTGKTITLEV"}).job
        theirs = bob.submit("protein_structure", {"protein_sequence": "MKTAYIAKQRQISFVK"}).job
        assert alice.store.degraded and [job.id for job in alice.list(JobQuery()).jobs] == [mine.id]
    assert alice.store.outbox.path != bob.store.outbox.path  # B's writes never travel with A's token
    assert alice.store.replay() >= 1 and bob.store.replay() >= 1
    assert alice.store.parked() == [] and bob.store.parked() == []
    assert [job.id for job in alice.store.primary.list(JobQuery()).jobs] == [mine.id]  # RLS, not the service
    assert [job.id for job in bob.store.primary.list(JobQuery()).jobs] == [theirs.id]
    assert {job.owner for job in service(settings, ADMIN).list(JobQuery()).jobs} == {ALICE.owner, BOB.owner}


def test_with_the_anon_key_requests_carry_it_as_apikey_and_the_users_token_as_bearer(server, settings_for):
    anon = jwt.encode({"role": "anon", "iss": "supabase"}, server.secret, algorithm="HS256")
    alice = service(settings_for(supabase_anon_key=anon), ALICE)
    sent = []
    alice.store.client.options.httpx_client.event_hooks["request"].append(lambda request: sent.append(request))
    job = alice.submit("protein_ligand_binding", BINDING).job
    assert [j.id for j in alice.list(JobQuery()).jobs] == [job.id]  # RLS saw Alice, not the anon role
    claims = jwt.decode(sent[-1].headers["Authorization"].removeprefix("Bearer "), options={"verify_signature": False})
    assert sent[-1].headers["apikey"] == anon and claims["sub"] == ALICE.owner
