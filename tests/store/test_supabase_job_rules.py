"""The job rules PostgreSQL itself enforces on `public.jobs` (supabase/migrations), straight in SQL as PostgREST runs a
request (`set local role` plus the JWT claims): the lifecycle for every role, the server's `updated_at`, what a user
may insert, and a claim that nothing a user could have written can stall."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import psycopg
import pytest

from omtx_core.domain.job import ALLOWED_TRANSITIONS, JobStatus, utcnow
from omtx_core.jobs.importer import IMPORT_ENGINE
from omtx_core.store import supabase
from omtx_core.store.supabase import SupabaseJobStore
from tests.store.contract import make_job
from tests.supabase_server.common import become

USER_A = str(uuid.uuid4())
INSERT = ("insert into public.jobs (id, owner, task_type, job_name, input, input_hash, status, lease_owner,"
          " lease_expires_at) values (%s, %s, 'protein_structure', 'x', '{}', 'h', %s, %s, %s)")  # fmt: skip


@contextmanager
def acting_as(conninfo: str, role: str, sub: str | None = None) -> Iterator[psycopg.Cursor]:
    """One transaction as `role` with JWT claims, the way PostgREST (and the test server) runs a request."""
    claims = {"role": role} | ({"sub": sub, "aud": "authenticated"} if sub else {})
    with psycopg.connect(conninfo) as conn, conn.transaction(), conn.cursor() as cur:
        become(cur, claims)
        yield cur


def add_job(cur: psycopg.Cursor, status: str, owner: str = USER_A, lease: str | None = None) -> str:
    job_id = uuid.uuid4().hex
    cur.execute(INSERT, [job_id, owner, status, "w" if lease else None, lease])
    return job_id


@pytest.fixture
def db(server, supabase_db) -> str:
    """The conninfo of the test database, emptied (through the `server` fixture)."""
    return supabase_db


def test_every_role_follows_the_job_lifecycle(db):
    """The service role bypasses row-level security, but not the lifecycle: completed → running is refused."""
    refused = set()
    for old, new in itertools.product(JobStatus, JobStatus):
        with acting_as(db, "service_role") as cur:
            job_id = add_job(cur, old)
            try:
                with cur.connection.transaction():
                    cur.execute("update public.jobs set status = %s where id = %s", [new, job_id])
            except psycopg.errors.CheckViolation:
                refused.add((old, new))
    allowed = {(old, new) for old, news in ALLOWED_TRANSITIONS.items() for new in news}
    assert refused == {(old, new) for old, new in itertools.product(JobStatus, JobStatus)
                       if old != new and (old, new) not in allowed}  # fmt: skip


def test_updated_at_is_the_servers_on_every_update(db):
    with acting_as(db, "service_role") as cur:
        job_id = add_job(cur, "pending")
        cur.execute("update public.jobs set updated_at = '2000-01-01', created_at = '2000-01-01' where id = %s",
                    [job_id])  # fmt: skip
        updated, created = cur.execute("select updated_at, created_at from public.jobs where id = %s",
                                       [job_id]).fetchone()  # fmt: skip
    assert abs(updated - utcnow()) < timedelta(minutes=1)
    assert created.year == 2000  # the service role may still set the creation time (the outbox replays it)


def test_a_user_cannot_insert_a_running_job_in_sql(db):
    with pytest.raises(psycopg.errors.InsufficientPrivilege), acting_as(db, "authenticated", USER_A) as cur:
        add_job(cur, "running", lease="infinity")
    with acting_as(db, "authenticated", USER_A) as cur:
        job_id = add_job(cur, "pending")
        assert cur.execute("select status, owner from public.jobs where id = %s", [job_id]).fetchone() == (
            "pending", USER_A)  # fmt: skip


def test_a_user_can_only_cancel_in_sql(db):
    with acting_as(db, "authenticated", USER_A) as cur:
        job_id = add_job(cur, "pending")
    for status in ("running", "failed"):  # both allowed by the lifecycle, but a worker's to make
        with pytest.raises(psycopg.errors.InsufficientPrivilege), acting_as(db, "authenticated", USER_A) as cur:
            cur.execute("update public.jobs set status = %s where id = %s", [status, job_id])
    with acting_as(db, "authenticated", USER_A) as cur:
        cur.execute("update public.jobs set status = 'cancelled' where id = %s", [job_id])
        assert cur.execute("select finished_at is not null from public.jobs where id = %s", [job_id]).fetchone()[0]


def test_rows_no_worker_could_have_leased_never_stall_the_claim(db, connect):
    """Rows written before these rules (a user could insert running jobs leased until 'infinity', with or without
    a lease owner, never claimed): the claim neither counts them against the cap nor lets them hold the queue."""
    with psycopg.connect(db, autocommit=True) as conn:
        for lease_owner in [None, "w"] * 5:
            conn.execute(INSERT, [uuid.uuid4().hex, USER_A, "running", lease_owner, "infinity"])
    waiting = SupabaseJobStore(connect()).create(make_job(owner=USER_A))
    claimed = SupabaseJobStore(connect()).claim_next("w", 60, max_running=10, now=utcnow())
    assert claimed is not None and claimed.id == waiting.id


def test_the_store_routes_imports_by_the_importers_engine_name():
    assert supabase.IMPORT_ENGINE == IMPORT_ENGINE
