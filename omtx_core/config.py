"""Settings for OMTX-Hub, read from `OMTX_*` environment variables (every field says what it does)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, ValidationError
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


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment; ConfigurationError names a bad variable."""
    try:
        return Settings()
    except ValidationError as exc:
        bad = "; ".join(f"OMTX_{'_'.join(map(str, e['loc'])).upper()}: {e['msg']}" for e in exc.errors())
        raise ConfigurationError(f"A setting is invalid: {bad}.", "Fix or unset that environment variable.") from None
