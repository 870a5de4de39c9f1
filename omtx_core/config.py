"""Settings for OMTX-Hub, read from `OMTX_*` environment variables (every field says what it does)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from omtx_core.errors import ConfigurationError


class Settings(BaseSettings):
    """Every setting OMTX-Hub reads; the README's configuration table lists them all."""

    model_config = SettingsConfigDict(env_prefix="OMTX_", extra="ignore")

    data_dir: Path = Field(
        default=Path.home() / ".omtx-hub",
        description="Folder for the embedded job database and result files.",
    )
    max_tokens: int = Field(
        default=2500,
        ge=10,
        le=20000,
        description=(
            "Largest Boltz run accepted, in tokens (residues + ligand heavy atoms, counting copies). "
            "About 2,500 fits an 80 GB GPU; lower it for smaller GPUs."
        ),
    )

    store: Literal["sqlite", "supabase", "fallback"] = Field(
        default="sqlite",
        description="Job store: sqlite (embedded, one user), supabase (shared team store), or fallback "
        "(Supabase, with a local SQLite outbox while Supabase is unreachable).",
    )
    supabase_url: str | None = Field(default=None, description="Supabase project URL (https://<project>.supabase.co).")
    supabase_key: SecretStr | None = Field(
        default=None, description="Supabase key: a user's JWT for the app, the service-role key for workers. Secret."
    )
    redis_url: str | None = Field(
        default=None,
        description="Optional Redis URL for hot result reads shared by app replicas (redis://host:6379/0).",
    )
    cache_ttl_s: int = Field(default=3600, ge=1, description="Seconds a result stays in the Redis hot cache.")
    run_timeout_s: int = Field(
        default=1800, ge=60, description="Time allowed per Boltz run; a job gets this times its number of runs."
    )
    max_concurrent: int = Field(
        default=10, ge=1, le=1000, description="Most jobs running at once across all workers of one store."
    )
    lease_s: int = Field(
        default=60,
        ge=5,
        description="Seconds a worker's claim on a job lasts without a heartbeat before the job "
        "is handed to another worker.",
    )
    max_attempts: int = Field(default=3, ge=1, le=10, description="Tries per job for transient engine errors.")
    engine: Literal["auto", "local", "modal"] = Field(
        default="auto", description="Compute engine: modal when Modal is configured, else the local boltz command."
    )
    boltz_command: str = Field(
        default="boltz", description="The boltz executable (and any leading arguments) the local engine runs."
    )
    boltz_cache: str | None = Field(
        default=None, description="Folder for Boltz's weights and CCD data (absolute); Boltz's own default if unset."
    )
    boltz_accelerator: Literal["auto", "gpu", "cpu"] = Field(
        default="auto", description="Where the local engine runs Boltz: auto uses the GPU when nvidia-smi finds one."
    )
    import_max_mb: int = Field(
        default=2048, ge=1, description="Largest Boltz output (expanded, in MB) the app accepts for import."
    )
    worker_poll_s: float = Field(
        default=2.0, ge=0.05, le=60, description="Seconds between a worker's looks at its engine and the queue."
    )
    worker: bool = Field(default=True, description="Run a worker thread inside the app process (the embedded default).")

    @property
    def database_path(self) -> Path:
        return self.data_dir / "jobs.sqlite3"

    @property
    def artifacts_dir(self) -> Path:
        return self.data_dir / "artifacts"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment; ConfigurationError names a bad variable."""
    try:
        return Settings()
    except ValidationError as exc:
        bad = "; ".join(f"OMTX_{'_'.join(map(str, e['loc'])).upper()}: {e['msg']}" for e in exc.errors())
        raise ConfigurationError(f"A setting is invalid: {bad}.", "Fix or unset that environment variable.") from None
