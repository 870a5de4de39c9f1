"""PostgreSQL for tests: the server on 127.0.0.1:5432, else a throwaway cluster; fresh Supabase-like databases.

A database made by `create_supabase_database` looks to the migrations like a Supabase project: the roles `anon`,
`authenticated` and `service_role` (BYPASSRLS), the `auth` schema with `auth.uid()`, `auth.role()` and `auth.jwt()`
reading `request.jwt.claims` as Supabase defines them, Supabase's default grants, and Storage's own tables and
functions (`storage.buckets`, `storage.objects` with row-level security, `storage.foldername`, `storage.filename`,
`storage.extension`, `storage.search`) as Supabase Storage's migrations make them. Then every file in
`supabase/migrations` is applied in order, unchanged.
"""

from __future__ import annotations

import contextlib
import glob
import os
import secrets
import shlex
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from psycopg import sql
from psycopg.conninfo import make_conninfo

REPO_ROOT = Path(__file__).resolve().parents[1]
MIGRATIONS = REPO_ROOT / "supabase" / "migrations"
DEFAULT_HOST, DEFAULT_PORT = "127.0.0.1", 5432
SUPABASE_ROLES = ("anon", "authenticated", "service_role")


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL answered and none could be started."""


@dataclass
class PgServer:
    """A running PostgreSQL with trust authentication for the user `postgres`."""

    host: str
    port: int
    user: str = "postgres"
    _stop: Callable[[], None] | None = field(default=None, repr=False)

    def conninfo(self, dbname: str = "postgres") -> str:
        return make_conninfo(host=self.host, port=self.port, user=self.user, dbname=dbname)

    def connect(self, dbname: str = "postgres") -> psycopg.Connection:
        return psycopg.connect(self.conninfo(dbname), autocommit=True, connect_timeout=5)

    def stop(self) -> None:
        """Stop the server if these tests started it; a server that was already running is left alone."""
        if self._stop is not None:
            self._stop()
            self._stop = None


def find_or_start_postgres() -> PgServer:
    """The server on 127.0.0.1:5432 when it answers, else a new throwaway cluster (stop it when done)."""
    server = PgServer(DEFAULT_HOST, DEFAULT_PORT)
    try:
        server.connect().close()
        return server
    except psycopg.OperationalError:
        return start_throwaway_cluster()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _bin_dir() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]), reverse=True)
    preferred = [p for p in found if "/15/" in p] + found
    if preferred:
        return Path(preferred[0]).parent
    if initdb := shutil.which("initdb"):
        return Path(initdb).parent
    raise PostgresUnavailable(
        "No PostgreSQL answered on 127.0.0.1:5432 and initdb was not found. "
        "Install it (apt-get install -y postgresql) or start a server on 127.0.0.1:5432 with trust auth."
    )


def _run(args: list[str], as_postgres: bool) -> None:
    command = ["su", "postgres", "-c", shlex.join(args)] if as_postgres else args
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        raise PostgresUnavailable(f"{args[0]} failed ({result.returncode}): {(result.stderr or result.stdout)[-800:]}")


def start_throwaway_cluster() -> PgServer:
    """initdb + pg_ctl in a temporary folder on a free port (as the `postgres` user when running as root)."""
    bin_dir = _bin_dir()
    data = Path(tempfile.mkdtemp(prefix="omtx-pg-"))
    as_postgres = os.geteuid() == 0
    if as_postgres:
        shutil.chown(data, "postgres", "postgres")
    port = _free_port()
    options = f"-p {port} -k {data} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
    pg_ctl = str(bin_dir / "pg_ctl")
    try:
        _run([str(bin_dir / "initdb"), "-D", str(data / "db"), "-A", "trust", "-U", "postgres"], as_postgres)
        _run([pg_ctl, "-D", str(data / "db"), "-o", options, "-l", str(data / "log.txt"), "-w", "start"], as_postgres)
    except (PostgresUnavailable, subprocess.TimeoutExpired, OSError) as exc:
        shutil.rmtree(data, ignore_errors=True)
        raise PostgresUnavailable(f"Could not start a throwaway PostgreSQL in {data}: {exc}") from exc

    def stop() -> None:
        try:
            _run([pg_ctl, "-D", str(data / "db"), "-m", "immediate", "-w", "stop"], as_postgres)
        finally:
            shutil.rmtree(data, ignore_errors=True)

    return PgServer(DEFAULT_HOST, port, _stop=stop)


# Supabase's own definitions (supabase/postgres), so migrations and policies run unchanged.
_AUTH_SQL = """
create schema if not exists auth;
create schema if not exists extensions;
create or replace function auth.uid() returns uuid language sql stable as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim.sub', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub')
  )::uuid
$$;
create or replace function auth.role() returns text language sql stable as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim.role', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'role')
  )::text
$$;
create or replace function auth.jwt() returns jsonb language sql stable as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim', true), ''),
    nullif(current_setting('request.jwt.claims', true), '')
  )::jsonb
$$;
grant usage on schema auth, extensions, public to anon, authenticated, service_role;
grant execute on all functions in schema auth to anon, authenticated, service_role;
alter default privileges in schema public grant all on tables to anon, authenticated, service_role;
alter default privileges in schema public grant all on functions to anon, authenticated, service_role;
alter default privileges in schema public grant all on sequences to anon, authenticated, service_role;
"""

# Supabase Storage's schema (supabase/storage, migrations/tenant), cut to the columns and functions its object API
# uses. `search` is its RLS-respecting form (search_legacy_v1): folders are derived from the rows the caller may see.
_STORAGE_SQL = """
create schema if not exists storage;
create table if not exists storage.buckets (
    id text primary key,
    name text not null,
    owner uuid,
    owner_id text,
    public boolean default false,
    file_size_limit bigint,
    allowed_mime_types text[],
    created_at timestamptz default now(),
    updated_at timestamptz default now()
);
create unique index if not exists bname on storage.buckets (name);
create table if not exists storage.objects (
    id uuid primary key default gen_random_uuid(),
    bucket_id text references storage.buckets (id),
    name text,
    owner uuid,
    owner_id text,
    created_at timestamptz default now(),
    updated_at timestamptz default now(),
    last_accessed_at timestamptz default now(),
    metadata jsonb,
    path_tokens text[] generated always as (string_to_array(name, '/')) stored,
    version text,
    user_metadata jsonb
);
create unique index if not exists bucketid_objname on storage.objects (bucket_id, name);
create index if not exists name_prefix_search on storage.objects (name text_pattern_ops);
alter table storage.buckets enable row level security;
alter table storage.objects enable row level security;

create or replace function storage.foldername(name text) returns text[] language plpgsql as $$
declare _parts text[];
begin
    select string_to_array(name, '/') into _parts;
    return _parts[1:array_length(_parts, 1) - 1];
end
$$;
create or replace function storage.filename(name text) returns text language plpgsql as $$
declare _parts text[];
begin
    select string_to_array(name, '/') into _parts;
    return _parts[array_length(_parts, 1)];
end
$$;
create or replace function storage.extension(name text) returns text language plpgsql as $$
declare _parts text[]; _filename text;
begin
    select string_to_array(name, '/') into _parts;
    select _parts[array_length(_parts, 1)] into _filename;
    return reverse(split_part(reverse(_filename), '.', 1));
end
$$;
create or replace function storage.search(prefix text, bucketname text, limits int default 100, levels int default 1,
                                          offsets int default 0, search text default '', sortcolumn text default 'name',
                                          sortorder text default 'asc')
returns table (name text, id uuid, updated_at timestamptz, created_at timestamptz, last_accessed_at timestamptz,
               metadata jsonb)
language plpgsql stable as $$
declare
    v_order_by text := case when sortcolumn in ('name', 'updated_at', 'created_at', 'last_accessed_at')
                            then sortcolumn else 'name' end;
    v_sort_order text := case when sortorder = 'desc' then 'desc' else 'asc' end;
begin
    return query execute
        'with folders as (
            select path_tokens[$1] as folder from storage.objects
            where objects.name ilike $2 || $3 || ''%'' and bucket_id = $4 and array_length(objects.path_tokens, 1) <> $1
            group by folder order by folder ' || v_sort_order || '
        )
        (select folder as "name", null::uuid as id, null::timestamptz as updated_at, null::timestamptz as created_at,
                null::timestamptz as last_accessed_at, null::jsonb as metadata from folders)
        union all
        (select path_tokens[$1] as "name", id, updated_at, created_at, last_accessed_at, metadata from storage.objects
         where objects.name ilike $2 || $3 || ''%'' and bucket_id = $4 and array_length(objects.path_tokens, 1) = $1
         order by ' || v_order_by || ' ' || v_sort_order || ')
        limit $5 offset $6' using levels, prefix, search, bucketname, limits, offsets;
end
$$;

grant usage on schema storage to anon, authenticated, service_role;
grant all on all tables in schema storage to anon, authenticated, service_role;
grant execute on all functions in schema storage to anon, authenticated, service_role;
"""


def ensure_supabase_roles(conn: psycopg.Connection) -> None:
    """Create Supabase's API roles when missing. Roles are cluster-wide: never dropped, safe to run concurrently."""
    for role in SUPABASE_ROLES:
        if conn.execute("select 1 from pg_roles where rolname = %s", [role]).fetchone() is None:
            # Another test session may create it meanwhile.
            with contextlib.suppress(psycopg.errors.DuplicateObject, psycopg.errors.UniqueViolation):
                conn.execute(sql.SQL("create role {} nologin noinherit").format(sql.Identifier(role)))
    conn.execute("alter role service_role bypassrls")


def apply_migrations(conn: psycopg.Connection, folder: Path = MIGRATIONS) -> list[str]:
    """Run every `*.sql` file in `folder` in name order, each in its own transaction; return their names."""
    names = sorted(path.name for path in folder.glob("*.sql"))
    for name in names:
        with conn.transaction():
            conn.execute((folder / name).read_text(encoding="utf-8"))
    return names


def create_supabase_database(server: PgServer, migrations: Path = MIGRATIONS) -> str:
    """A fresh database with a random name, set up like Supabase and migrated; returns its name."""
    name = f"omtx_test_{secrets.token_hex(6)}"
    with server.connect() as admin:
        ensure_supabase_roles(admin)
        admin.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    try:
        with server.connect(name) as conn:
            conn.execute(_AUTH_SQL)
            conn.execute(_STORAGE_SQL)
            apply_migrations(conn, migrations)
    except Exception:
        drop_database(server, name)
        raise
    return name


def drop_database(server: PgServer, name: str) -> None:
    with server.connect() as admin:
        admin.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))
