"""A PostgREST- and Storage-compatible test server over a real PostgreSQL, for the real `supabase` client.

Each request carries an HS256 JWT (`Authorization: Bearer`, else `apikey`) signed with the server's secret; its
`role` (anon, authenticated, service_role) and claims decide what it may do. Every request, REST or Storage, runs
in one transaction that begins with `SET LOCAL ROLE <role>` and `set_config('request.jwt.claims', <claims>, true)`,
so PostgreSQL itself enforces grants and row-level security, as on Supabase: on `public` tables for REST
(`rest.py`), on `storage.objects` for Storage (`storage.py`). `SupabaseTestServer.unreachable()` stops the HTTP
listener and starts it again on the same port, to simulate an outage.
"""

from tests.supabase_server.common import ApiError, StorageError, free_port, make_token
from tests.supabase_server.server import SupabaseTestServer

__all__ = ["ApiError", "StorageError", "SupabaseTestServer", "free_port", "make_token"]
