"""Fixtures for store tests: a PostgreSQL server, a fresh Supabase-like database, the Supabase test server, clients.

Each is started only when a test asks for it; PostgreSQL that cannot be found or started fails the test with the
reason (never a silent skip).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import psycopg
import pytest

from omtx_core.config import Settings
from omtx_core.domain.identity import identity_for
from omtx_core.jobs.service import JobService
from omtx_core.store.supabase import SupabaseArtifactStore, SupabaseJobStore, connect_supabase
from tests.pg import PgServer, PostgresUnavailable, create_supabase_database, drop_database, find_or_start_postgres
from tests.services import job_service
from tests.supabase_server import SupabaseTestServer


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    try:
        server = find_or_start_postgres()
    except PostgresUnavailable as exc:
        pytest.fail(str(exc), pytrace=False)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def supabase_db(pg_server: PgServer) -> Iterator[str]:
    """Conninfo of a fresh database (random name) with Supabase's roles, `auth` functions and our migrations."""
    name = create_supabase_database(pg_server)
    yield pg_server.conninfo(name)
    drop_database(pg_server, name)


@pytest.fixture(scope="session")
def supabase_server(supabase_db: str) -> Iterator[SupabaseTestServer]:
    server = SupabaseTestServer(supabase_db).start()
    yield server
    server.close()


@pytest.fixture
def server(supabase_server: SupabaseTestServer, supabase_db: str) -> SupabaseTestServer:
    """The shared server with no jobs (nor deleted ones) and empty buckets."""
    with psycopg.connect(supabase_db, autocommit=True) as conn:
        conn.execute("truncate public.jobs, private.deleted_jobs")
    supabase_server.clear_storage()
    return supabase_server


@pytest.fixture
def connect(server: SupabaseTestServer) -> Iterator[Callable[..., object]]:
    """Make clients for a key (default: service role); they are closed after the test."""
    clients = []

    def make(key: str | None = None, *, url: str | None = None, timeout_s: float = 5):
        client = connect_supabase(url or server.url, key or server.service_key, timeout_s)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.options.httpx_client.close()


@pytest.fixture
def service_for(connect) -> Callable[..., JobService]:
    """The job service the app builds for a Supabase key: both stores over one client, acting as the key's user
    (or, for the service-role key, as the local owner who sees every job)."""

    def make(key: str, settings: Settings | None = None) -> JobService:
        client = connect(key)
        return job_service(SupabaseJobStore(client), SupabaseArtifactStore(client), settings=settings,
                           identity=identity_for("supabase", key))  # fmt: skip

    return make
