"""The app's boundaries, resolved once per process: settings, job and artifact stores, engine, in-app worker."""

from __future__ import annotations

import threading
from dataclasses import dataclass

import streamlit as st

from omtx_core.config import Settings, get_settings
from omtx_core.engines.factory import make_engine
from omtx_core.jobs.models import JobQuery, JobStatus
from omtx_core.jobs.worker import Worker
from omtx_core.store.base import ArtifactStore, JobStore
from omtx_core.store.factory import open_stores


@dataclass
class Runtime:
    """Everything a page needs to submit and read jobs."""

    settings: Settings
    store: JobStore
    artifacts: ArtifactStore
    engine: object
    worker: Worker | None

    @property
    def engine_problem(self) -> str | None:
        return self.engine.unavailable_reason()

    @property
    def degraded(self) -> bool:
        return bool(getattr(self.store, "degraded", False))

    def queue_length(self) -> int:
        return self.store.list(JobQuery(status=JobStatus.PENDING, limit=1)).total


@st.cache_resource(show_spinner=False)
def runtime() -> Runtime:
    """Open the stores and engine from settings and, for the embedded default, start one worker thread."""
    settings = get_settings()
    store, artifacts = open_stores(settings)
    engine = make_engine(settings)
    worker = None
    if settings.worker:
        worker = Worker(store, artifacts, engine, settings)
        threading.Thread(target=worker.run, name="omtx-app-worker", daemon=True).start()
    return Runtime(settings, store, artifacts, engine, worker)


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
        f"**Job store:** {rt.store.name}  \n**Engine:** {rt.engine.name if not engine else 'not available'}  \n"
        f"**Queued jobs:** {rt.queue_length():,}"
    )
    if engine:
        st.sidebar.caption(engine)
    st.sidebar.caption(f"Largest run accepted: {rt.settings.max_tokens:,} tokens (OMTX_MAX_TOKENS).")
