"""The app's boundaries, resolved once per process: settings, identity, stores, hot cache, engine, in-app worker."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import streamlit as st

from omtx_core.cache import open_hot_cache
from omtx_core.config import ENV_PREFIX, Settings, load_settings
from omtx_core.config_check import APP_STARTS_WITH, check_configuration
from omtx_core.domain.identity import Identity, identity_for
from omtx_core.engines.base import Engine
from omtx_core.engines.factory import make_engine
from omtx_core.jobs.service import JobService
from omtx_core.jobs.worker import Worker
from omtx_core.logs import configure_logging
from omtx_core.metrics import serve_metrics_or_warn
from omtx_core.store.factory import open_stores, open_stores_for
from omtx_core.ui.auth import session_identity, sign_in_required
from omtx_core.ui.errors import show_configuration_problems, show_error
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
    configure_logging(settings)
    key = settings.supabase_key.get_secret_value() if settings.supabase_key else None
    identity = identity_for(settings.store, key)
    if sign_in_required(settings):  # the process acts for no user (pages use jobs()): it counts every user's queue
        identity = Identity(identity.owner, sees_all=identity.sees_all or settings.store == "sqlite")
    store, artifacts = open_stores(settings)
    hot = open_hot_cache(settings)
    engine = make_engine(settings)
    worker = None
    if settings.worker and (settings.store == "sqlite" or identity.sees_all):  # a user's key may not claim jobs
        worker = Worker(store, artifacts, engine, settings, hot=hot)
        threading.Thread(target=worker.run, name="omtx-app-worker", daemon=True).start()
        serve_metrics_or_warn(settings, store)  # the embedded worker's metrics, when OMTX_METRICS_PORT is set
    jobs = JobService(settings=settings, store=store, artifacts=artifacts, identity=identity, hot=hot)
    return Runtime(settings, identity, jobs, engine, worker)


def runtime_or_stop() -> Runtime:
    """The runtime, or (a damaged store, a bad setting) the reason shown once and the page stopped."""
    try:
        return runtime()
    except Exception as exc:  # a bad setting must still leave a readable page
        show_error(exc)
        st.stop()


def jobs() -> JobService:
    """The job service of the person using the app: with sign-in, the session's user (their own jobs only)."""
    rt = runtime()
    if not sign_in_required(rt.settings):
        return rt.jobs
    return _user_jobs(session_identity(rt.settings))


def identity() -> Identity:
    """Who is using the app (the signed-in user, or the process's identity without sign-in): pages that only an
    admin may see check `identity().admin`, never `runtime().identity` (that is the process's, not the user's)."""
    return jobs().identity


@st.cache_resource(show_spinner=False, max_entries=1000)
def _user_jobs(identity: Identity) -> JobService:
    """One user's job service. On SQLite it shares the process's stores (the service enforces ownership); on
    Supabase its stores act AS the user (a token minted for them, renewed by the store), so row-level security
    enforces it in PostgreSQL as well; the in-app worker keeps the process's service-key stores."""
    rt = runtime()
    if rt.settings.store == "sqlite" or identity.sees_all:  # an admin acts with the process's (service-key) stores
        store, artifacts = rt.jobs.store, rt.jobs.artifacts
    else:
        store, artifacts = open_stores_for(rt.settings, identity)
    return JobService(settings=rt.settings, store=store, artifacts=artifacts, identity=identity, hot=rt.jobs.hot)


def sidebar_status() -> None:
    """Store, engine and queue in plain words, and a banner while the shared store is unreachable.

    Without a runtime (a bad setting, a damaged job database) no page can work: say why once and stop there; every
    configuration problem is listed at once (as `python -m omtx_core config check` does), each with its fix.
    """
    try:
        auth_section = st.secrets.get("auth")
    except Exception:  # no secrets file: no [auth] section
        auth_section = None
    problems = check_configuration(secret_settings(), auth_section=auth_section).problems
    problems = [problem for problem in problems if problem.field not in APP_STARTS_WITH]
    if problems:
        show_configuration_problems(problems)
        st.stop()
    rt = runtime_or_stop()
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
