"""The app's boundaries, resolved once per process: settings, identity, stores, hot cache, engine, in-app worker."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import streamlit as st

from omtx_core.cache import open_hot_cache
from omtx_core.config import ENV_PREFIX, Settings, load_settings
from omtx_core.domain.identity import Identity, identity_for
from omtx_core.engines.base import Engine
from omtx_core.engines.factory import make_engine
from omtx_core.jobs.service import JobService
from omtx_core.jobs.worker import Worker
from omtx_core.store.factory import open_stores


@dataclass
class Runtime:
    """Everything a page needs: the settings, who is using the app, their job service, and the engine."""

    settings: Settings
    identity: Identity
    jobs: JobService
    engine: Engine
    worker: Worker | None

    @property
    def engine_problem(self) -> str | None:
        return self.engine.unavailable_reason()

    @property
    def store_name(self) -> str:
        return self.jobs.store.name

    @property
    def degraded(self) -> bool:
        return bool(getattr(self.jobs.store, "degraded", False))


def secret_settings() -> dict[str, Any]:
    """Root-level `OMTX_*` keys of `.streamlit/secrets.toml` (none when there is no secrets file)."""
    try:
        return {name: value for name, value in st.secrets.items() if name.startswith(ENV_PREFIX)}
    except Exception:  # Streamlit raises when no secrets file exists: the environment alone decides
        return {}


@st.cache_resource(show_spinner=False)
def runtime() -> Runtime:
    """Build everything once per process from the settings and, for the embedded default, start a worker thread."""
    settings = load_settings(secret_settings())
    key = settings.supabase_key.get_secret_value() if settings.supabase_key else None
    identity = identity_for(settings.store, key)
    store, artifacts = open_stores(settings)
    hot = open_hot_cache(settings)
    engine = make_engine(settings)
    worker = None
    if settings.worker and (settings.store == "sqlite" or identity.sees_all):  # a user's key may not claim jobs
        worker = Worker(store, artifacts, engine, settings, hot=hot)
        threading.Thread(target=worker.run, name="omtx-app-worker", daemon=True).start()
    jobs = JobService(settings=settings, store=store, artifacts=artifacts, identity=identity, hot=hot)
    return Runtime(settings, identity, jobs, engine, worker)


def jobs() -> JobService:
    """The job service of the person using the app."""
    return runtime().jobs


def sidebar_status() -> None:
    """Store, engine and queue in plain words, and a banner while the shared store is unreachable."""
    try:
        rt = runtime()
    except Exception as exc:  # a bad setting must still leave a readable page
        from omtx_core.ui.errors import show_error

        show_error(exc)
        return
    if rt.degraded:
        st.warning(
            "The shared job store is unreachable. New jobs are kept on this server and sent to it as soon as it "
            "is back; until then the job list shows only those."
        )
    engine = rt.engine_problem
    st.sidebar.caption(
        f"**Job store:** {rt.store_name}  \n**Engine:** {rt.engine.name if not engine else 'not available'}  \n"
        f"**Queued jobs:** {rt.jobs.queue_length():,}"
    )
    if engine:
        st.sidebar.caption(engine)
    st.sidebar.caption(f"Largest run accepted: {rt.settings.max_tokens:,} tokens (OMTX_MAX_TOKENS).")
