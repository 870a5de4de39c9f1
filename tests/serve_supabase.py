"""Run a command against a fresh Supabase-like store: `python -m tests.serve_supabase -- COMMAND [ARGS...]`.

Creates a database with a random name on the local PostgreSQL (tests.pg: the server on 127.0.0.1:5432, else a
throwaway cluster), migrated like a Supabase project, serves it through the PostgREST/Storage test server, runs
COMMAND with OMTX_STORE=supabase, OMTX_SUPABASE_URL and OMTX_SUPABASE_KEY (the service-role key) set, then stops
the server and drops the database. Exits with COMMAND's status. Example, the result-load benchmark on Supabase:

    .venv/bin/python -m tests.serve_supabase -- .venv/bin/python -m bench.bench_result_load
"""

from __future__ import annotations

import os
import subprocess
import sys

from tests.pg import PostgresUnavailable, create_supabase_database, drop_database, find_or_start_postgres
from tests.supabase_server import SupabaseTestServer

USAGE = "usage: python -m tests.serve_supabase -- COMMAND [ARGS...]"


def main(argv: list[str]) -> int:
    command = argv[1:] if argv[:1] == ["--"] else argv
    if not command:
        print(USAGE, file=sys.stderr)
        return 2
    try:
        postgres = find_or_start_postgres()
    except PostgresUnavailable as exc:
        print(f"serve_supabase: {exc}", file=sys.stderr)
        return 2
    try:
        database = create_supabase_database(postgres)
        try:
            with SupabaseTestServer(postgres.conninfo(database)) as api:
                env = os.environ | {"OMTX_STORE": "supabase", "OMTX_SUPABASE_URL": api.url,
                                    "OMTX_SUPABASE_KEY": api.service_key}  # fmt: skip
                print(f"serve_supabase: {api.url} over database {database}", file=sys.stderr, flush=True)
                try:
                    return subprocess.run(command, env=env).returncode
                except KeyboardInterrupt:  # the command got the same Ctrl-C; clean up behind it
                    return 130
                except OSError as exc:
                    print(f"serve_supabase: cannot run {command[0]}: {exc}", file=sys.stderr)
                    return 127
        finally:
            drop_database(postgres, database)
    finally:
        postgres.stop()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
