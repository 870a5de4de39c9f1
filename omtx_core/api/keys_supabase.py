"""API keys on Supabase: the `api_keys` table, which only the service key reaches (row-level security, no policy)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from omtx_core.api.keys import _COLUMNS, TABLE, ApiKey, key_from_row


class SupabaseKeyStore:
    """Keys in `public.api_keys` through a client holding the service key; users' tokens see no row of it."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def _table(self) -> Any:
        return self.client.table(TABLE)

    def add(self, key: ApiKey, token_hash: str) -> None:
        from omtx_core.store.supabase import _calling

        row = {
            "id": key.id,
            "token_hash": token_hash,
            "owner": key.owner,
            "email": key.email,
            "label": key.label,
            "admin": key.admin,
            "created_at": key.created_at.isoformat(),
        }
        with _calling("create an API key"):
            self._table().insert(row).execute()

    def find(self, key_id: str) -> tuple[ApiKey, str] | None:
        from omtx_core.store.supabase import _calling

        with _calling("check an API key"):
            rows = self._table().select(f"{_COLUMNS}, token_hash").eq("id", key_id).limit(1).execute().data
        return (key_from_row(rows[0]), rows[0]["token_hash"]) if rows else None

    def list_keys(self) -> list[ApiKey]:
        from omtx_core.store.supabase import _calling

        with _calling("list API keys"):
            rows = self._table().select(_COLUMNS).order("created_at").order("id").execute().data
        return [key_from_row(row) for row in rows]

    def revoke(self, key_id: str, at: datetime) -> ApiKey | None:
        from omtx_core.store.supabase import _calling

        with _calling("revoke an API key"):
            self._table().update({"revoked_at": at.isoformat()}).eq("id", key_id).is_("revoked_at", "null").execute()
            rows = self._table().select(_COLUMNS).eq("id", key_id).limit(1).execute().data
        return key_from_row(rows[0]) if rows else None

    def touch(self, key_id: str, at: datetime) -> None:
        from omtx_core.store.supabase import _calling

        with _calling("note an API key's use"):
            self._table().update({"last_used_at": at.isoformat()}).eq("id", key_id).execute()
