"""Settings for OMTX-Hub: one `Settings`, built once per process by its entry point and passed down.

Where values come from, strongest first:
1. values passed in: the app passes the root-level keys of `.streamlit/secrets.toml` named like the variables
   (`OMTX_SUPABASE_KEY = "..."`), read from `st.secrets` by `omtx_core.ui.resources` (Streamlit also copies
   them into the environment, so both routes agree);
2. `OMTX_*` environment variables (no `.env` file is read);
3. the defaults below.
Entry points: the app (`omtx_core.ui.resources.runtime`), the CLI (`omtx_core.cli.main`), and the Modal app at
deploy time (`omtx_core/engines/modal_app.py` reads the `modal_*` fields). Nothing below them reads the environment.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

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
    max_attempts: int = Field(
        default=3,
        ge=1,
        le=10,
        description="Tries per job: retries after transient engine errors, and claims after its worker stopped "
        "(a job whose worker stopped this many times fails).",
    )
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

    # Modal: the deployed app (omtx_core/engines/modal_app.py) and how a batch is spread over its calls.
    modal_app_name: str = Field(default="omtx-boltz", description="Name of the deployed Modal app (modal_app.py).")
    modal_function_name: str = Field(
        default="predict_batch", description="The Modal function that runs `boltz predict`."
    )
    modal_gpu: str = Field(default="A100-80GB", description="Modal GPU type, read when modal_app.py is deployed.")
    modal_timeout_s: int = Field(
        default=1800, ge=60, description="Time limit of one Modal call in seconds, read when modal_app.py is deployed."
    )
    modal_chunk_size: int = Field(
        default=25, ge=1, description="Boltz runs per Modal call (one model load serves the whole chunk)."
    )
    modal_max_calls: int = Field(
        default=10, ge=1, description="Most Modal calls a worker runs at once, over all its jobs; more chunks wait."
    )

    # A team deployment: sign-in, limits, logs and metrics.
    auth: Literal["none", "oidc"] = Field(
        default="none",
        description="Sign-in: none (one local user, the embedded default) or oidc (Streamlit's OpenID Connect "
        "login; the provider goes in .streamlit/secrets.toml under [auth]).",
    )
    allowed_emails: str = Field(default="", description="With sign-in: comma-separated e-mail addresses admitted.")
    allowed_domains: str = Field(
        default="", description="With sign-in: comma-separated e-mail domains whose users are admitted (lab.example)."
    )
    admin_emails: str = Field(
        default="", description="With sign-in: comma-separated e-mail addresses of admins (they see every job)."
    )
    supabase_jwt_secret: SecretStr | None = Field(
        default=None,
        description="The Supabase project's JWT secret: with sign-in the app signs a short-lived token per user "
        "with it, so row-level security acts for that user.",
    )
    supabase_anon_key: SecretStr | None = Field(
        default=None,
        description="The Supabase project's anon (publishable) key: sent as `apikey` beside a signed-in user's token, "
        "as Supabase's API gateway requires.",
    )
    user_token_ttl_s: int = Field(
        default=3600, ge=60, le=86400, description="Lifetime of a signed-in user's Supabase token in seconds."
    )
    rate_limit_per_min: int = Field(default=100, ge=1, description="Most submissions per user in any minute.")
    max_active_jobs_per_user: int = Field(
        default=200, ge=1, description="Most queued and running jobs one user may have at once."
    )
    max_active_jobs: int = Field(default=2000, ge=1, description="Most queued and running jobs of all users together.")
    log_format: Literal["text", "json"] = Field(
        default="text", description="Log lines as readable text or as one JSON object per line."
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(default="INFO", description="Lowest level logged.")
    api_open: bool = Field(
        default=False,
        description="Serve the REST API without keys, as the local user: for a single-user machine only.",
    )
    metrics_port: int | None = Field(
        default=None, ge=1, le=65535, description="Port of the Prometheus metrics endpoint of a worker (unset: off)."
    )

    @property
    def database_path(self) -> Path:
        return self.data_dir / "jobs.sqlite3"

    @property
    def artifacts_dir(self) -> Path:
        return self.data_dir / "artifacts"


ENV_PREFIX = "OMTX_"


def csv_items(value: str) -> list[str]:
    """A comma-separated setting (`settings.allowed_emails`) as its stripped, lower-cased, non-empty items."""
    return [item.strip().lower() for item in value.split(",") if item.strip()]


def load_settings(overrides: Mapping[str, Any] | None = None) -> Settings:
    """Settings from `overrides` (variable names, e.g. from Streamlit secrets), then the environment, then defaults.

    Call it once per process, in an entry point; ConfigurationError names a bad variable without its value.
    """
    values = {
        name.removeprefix(ENV_PREFIX).lower(): value
        for name, value in (overrides or {}).items()
        if name.startswith(ENV_PREFIX) and name.removeprefix(ENV_PREFIX).lower() in Settings.model_fields
    }
    try:
        return Settings(**values)
    except ValidationError as exc:
        bad = "; ".join(f"{ENV_PREFIX}{'_'.join(map(str, e['loc'])).upper()}: {e['msg']}" for e in exc.errors())
        raise ConfigurationError(f"A setting is invalid: {bad}.", "Fix or unset that variable.") from None
