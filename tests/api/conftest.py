"""Fixtures for API tests: the PostgreSQL and Supabase test server fixtures of tests/store, shared here."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from omtx_core.config import Settings
from tests.store.conftest import connect, pg_server, server, supabase_db, supabase_server

__all__ = ["connect", "pg_server", "server", "supabase_db", "supabase_server"]


# --- the API over a test's own SQLite data folder (tests/api/test_api_*.py) ----------------------------------
@pytest.fixture
def api_settings(tmp_path) -> Settings:
    """An open API (the local user, no key) over a fresh SQLite data folder; no engine, so jobs stay queued."""
    return Settings(data_dir=tmp_path / "data", api_open=True, boltz_command=str(tmp_path / "no-boltz"))


@pytest.fixture
def api(api_settings):
    """A TestClient over create_app(api_settings); `api.app.state.service_for(identity)` acts as anyone."""
    from omtx_core.api.app import create_app

    with TestClient(create_app(api_settings), raise_server_exceptions=False) as client:
        yield client
