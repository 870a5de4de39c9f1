"""Open the job store and artifact store the settings ask for (`OMTX_STORE`)."""

from __future__ import annotations

from omtx_core.config import Settings
from omtx_core.errors import ConfigurationError
from omtx_core.store.base import ArtifactStore, JobStore


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
