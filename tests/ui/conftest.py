"""Every UI test runs on its own embedded store in a temporary folder, with no worker thread and no engine."""

from __future__ import annotations

import pytest
import streamlit as st


@pytest.fixture(autouse=True)
def app_data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("OMTX_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("OMTX_WORKER", "false")
    monkeypatch.setenv("OMTX_BOLTZ_COMMAND", str(tmp_path / "no-boltz-installed"))
    monkeypatch.setenv("MODAL_CONFIG_PATH", str(tmp_path / "no-modal.toml"))
    for name in ("OMTX_STORE", "OMTX_SUPABASE_URL", "OMTX_SUPABASE_KEY", "OMTX_ENGINE", "MODAL_TOKEN_ID",
                 "MODAL_TOKEN_SECRET"):  # fmt: skip
        monkeypatch.delenv(name, raising=False)
    st.cache_resource.clear()
    yield tmp_path / "data"
    st.cache_resource.clear()


@pytest.fixture(autouse=True)
def pages_run_as_switched(monkeypatch):
    """AppTest puts Streamlit back in its `pages/` folder mode before every run (a server does so once, at start),
    so `inside_app()` would rerun every page run and drop the button clicks AppTest sends. Here it does nothing;
    what it fixes is tested on a freshly started server in the browser (tests/e2e/test_first_request_browser.py)."""
    from omtx_core.ui import navigation

    monkeypatch.setattr(navigation, "inside_app", lambda: None)
