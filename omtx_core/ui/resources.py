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
from omtx_core.ui.errors import show_error
from omtx_core.ui.text import plain


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
    """Store, engine and queue in plain words, and a banner while the shared store is unreachable.

    Without a runtime (a bad setting, a damaged job database) no page can work: say why once and stop there.
    """
    try:
        rt = runtime()
    except Exception as exc:  # a bad setting must still leave a readable page
        show_error(exc)
        st.stop()
    if rt.degraded:
        st.warning(
            "The shared job store is unreachable. New jobs are kept on this server and sent to it as soon as it "
            "is back; until then the job list shows only those."
        )
    _parked_notice(rt)
    engine = rt.engine_problem
    st.sidebar.caption(
        f"**Job store:** {rt.store_name}  \n**Engine:** {rt.engine.name if not engine else 'not available'}  \n"
        f"**Queued jobs:** {_queue_length(rt)}"
    )
    if engine:
        st.sidebar.caption(engine)
    st.sidebar.caption(f"Largest run accepted: {rt.settings.max_tokens:,} tokens (OMTX_MAX_TOKENS).")


def _queue_length(rt: Runtime) -> str:
    """The number of queued jobs, or "unknown" with the reason shown once when the store cannot say."""
    try:
        return f"{rt.jobs.queue_length():,}"
    except Exception as exc:  # an unreachable or damaged store: the page itself may still work (forms, plans)
        show_error(exc)
        return "unknown"


def _parked_notice(rt: Runtime, shown: int = 5) -> None:
    """Jobs the shared store refused for good while replaying the outbox: kept on this server only, and why."""
    parked = getattr(rt.jobs.store, "parked", None)  # only the fallback store has an outbox
    entries = [entry for entry in (parked() if parked else []) if entry.job_id]
    if not entries:
        return
    lines = [f"- {plain(_job_label(rt, entry.job_id))}: {plain(entry.reason)}" for entry in entries[:shown]]
    more = [f"- and {len(entries) - shown:,} more"] if len(entries) > shown else []
    st.warning(
        f"{len(entries):,} job(s) could not be copied to the shared job store and are kept on this server only. "
        "Delete such a job, or submit it again corrected, to clear this.\n\n" + "\n".join(lines + more)
    )


def _job_label(rt: Runtime, job_id: str) -> str:
    try:
        return rt.jobs.get(job_id).job_name
    except Exception:  # deleted meanwhile, or not the caller's: the id still says which one
        return f"job {job_id}"
