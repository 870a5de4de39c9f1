"""Open the job store and artifact store the settings ask for (`OMTX_STORE`)."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from datetime import datetime

from omtx_core.config import Settings
from omtx_core.domain.identity import Identity
from omtx_core.domain.job import utcnow
from omtx_core.errors import ConfigurationError
from omtx_core.store.base import ArtifactStore, JobStore

_opened: dict[tuple[int, str], tuple[Settings, tuple[JobStore, ArtifactStore]]] = {}
_opening = threading.Lock()


def open_stores(settings: Settings) -> tuple[JobStore, ArtifactStore]:
    """(job store, artifact store) for `settings.store`: sqlite, supabase, or fallback (Supabase + SQLite outbox)."""
    if settings.store == "sqlite":
        return _local(settings)
    primary = _supabase(settings)
    if settings.store == "supabase":
        return primary
    from omtx_core.store.fallback import FallbackArtifactStore, FallbackJobStore, Outbox

    local_jobs, local_artifacts = _local(settings)
    outbox = Outbox(settings.data_dir / "outbox.sqlite3")
    jobs = FallbackJobStore(primary[0], local_jobs, outbox)
    return jobs, FallbackArtifactStore(primary[1], local_artifacts, outbox, jobs)


def open_stores_for(
    settings: Settings, identity: Identity, *, clock: Callable[[], datetime] = utcnow
) -> tuple[JobStore, ArtifactStore]:
    """The stores acting as `identity`, opened once per process for each settings and user.

    On SQLite, and for an admin or the key's own identity, the process's stores (the configured key: the service
    key sees every job). On Supabase for a signed-in user, a client that sends a token minted for that user and
    renewed before it runs out, so row-level security decides what they see; the service key never enters it.
    """
    user = settings.store != "sqlite" and not identity.sees_all and not identity.admin
    slot = (id(settings), f"user:{identity.owner}:{identity.email}" if user else "process")
    with _opening:
        if (entry := _opened.get(slot)) is not None and entry[0] is settings:
            return entry[1]
        stores = _for_user(settings, identity, clock) if user else open_stores(settings)
        _opened[slot] = (settings, stores)  # holding the settings keeps its id from being reused
        return stores


def _for_user(settings: Settings, identity: Identity, clock: Callable[[], datetime]) -> tuple[JobStore, ArtifactStore]:
    if not settings.supabase_url:
        raise ConfigurationError(
            f"OMTX_STORE={settings.store} needs a Supabase project.", "Set OMTX_SUPABASE_URL, or use OMTX_STORE=sqlite."
        )
    try:
        uuid.UUID(identity.owner)
    except ValueError as exc:  # Supabase's auth.uid() casts the token's subject to uuid
        raise ConfigurationError(
            "A signed-in user's id must be a UUID to act on the Supabase store.",
            "Build it with omtx_core.domain.identity.owner_id(issuer, subject).",
        ) from exc
    from omtx_core.store.supabase import SupabaseArtifactStore, SupabaseJobStore, connect_supabase
    from omtx_core.store.user_tokens import UserTokens

    tokens = UserTokens(settings, identity, clock)
    anon = settings.supabase_anon_key.get_secret_value() if settings.supabase_anon_key else None
    client = connect_supabase(settings.supabase_url, tokens(), token=tokens, api_key=anon)  # minting fails early
    primary = SupabaseJobStore(client), SupabaseArtifactStore(client)
    if settings.store == "supabase":
        return primary
    from omtx_core.store.fallback import FallbackArtifactStore, FallbackJobStore, Outbox

    # Each user's outbox replays under that user's token: a shared one would send B's writes with A's token.
    local_jobs, local_artifacts = _local(settings)
    outbox = Outbox(settings.data_dir / "outboxes" / f"{identity.owner}.sqlite3")
    jobs = FallbackJobStore(primary[0], local_jobs, outbox)
    return jobs, FallbackArtifactStore(primary[1], local_artifacts, outbox, jobs)


def _local(settings: Settings) -> tuple[JobStore, ArtifactStore]:
    from omtx_core.store.local_artifacts import LocalArtifactStore
    from omtx_core.store.sqlite import SqliteJobStore

    return SqliteJobStore(settings.database_path), LocalArtifactStore(settings.artifacts_dir)


def _supabase(settings: Settings) -> tuple[JobStore, ArtifactStore]:
    if not settings.supabase_url or settings.supabase_key is None:
        raise ConfigurationError(
            f"OMTX_STORE={settings.store} needs a Supabase project.",
            "Set OMTX_SUPABASE_URL and OMTX_SUPABASE_KEY, or use OMTX_STORE=sqlite.",
        )
    from omtx_core.store.supabase import SupabaseArtifactStore, SupabaseJobStore, connect_supabase

    client = connect_supabase(settings.supabase_url, settings.supabase_key.get_secret_value())
    return SupabaseJobStore(client), SupabaseArtifactStore(client)
