"""Session fixtures for store tests: a PostgreSQL server, a fresh Supabase-like database, the Supabase test server.

Each is started only when a test asks for it; PostgreSQL that cannot be found or started fails the test with the
reason (never a silent skip).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import psycopg
import pytest

from omtx_core.store.supabase import connect_supabase
from tests.pg import PgServer, PostgresUnavailable, create_supabase_database, drop_database, find_or_start_postgres
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
    """The shared server with an empty jobs table and empty buckets."""
    with psycopg.connect(supabase_db, autocommit=True) as conn:
        conn.execute("truncate public.jobs")
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
