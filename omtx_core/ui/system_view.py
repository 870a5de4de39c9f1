"""The System page's sections for admins: store, engine, workers, queue, recent failures, configuration, metrics."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import streamlit as st

from omtx_core.config_check import effective_settings
from omtx_core.domain.job import Job, JobQuery, JobStatus, utcnow
from omtx_core.ui.errors import show_error
from omtx_core.ui.resources import secret_settings
from omtx_core.ui.text import plain

if TYPE_CHECKING:
    from omtx_core.config import Settings
    from omtx_core.jobs.service import JobService
    from omtx_core.ui.resources import Runtime

RECENT = timedelta(hours=24)
FAILURES_READ = 500  # the newest failed jobs looked at for the last day's summary: a page of the list, not a scan
RUNNING_SHOWN = 100


def render_system(rt: Runtime, service: JobService) -> None:
    """Every section; a section whose source fails shows why, and the others still render."""
    for title, section in (("Job store", _store), ("Engine", _engine), ("Workers and running jobs", _running),
                           ("Failures in the last 24 hours", _failures), ("Metrics", _metrics),
                           ("Configuration", _configuration)):  # fmt: skip
        st.subheader(title)
        try:
            section(rt, service)
        except Exception as exc:  # an unreachable store: say so here, keep the other sections
            show_error(exc)


def _store(rt: Runtime, service: JobService) -> None:
    queued = service.list(JobQuery(status=JobStatus.PENDING, limit=1)).total
    running = service.list(JobQuery(status=JobStatus.RUNNING, limit=1)).total
    columns = st.columns(3)
    columns[0].metric("Store", rt.store_name)
    columns[1].metric("Queued jobs", f"{queued:,}")
    columns[2].metric("Running jobs", f"{running:,}")
    if rt.degraded:
        st.warning("The shared job store is unreachable: new jobs wait in this server's outbox.")
    outbox = getattr(service.store, "outbox", None)
    if outbox is not None:
        st.caption(f"Outbox: {len(outbox):,} change(s) waiting, {len(outbox.parked()):,} refused for good (parked).")


def _engine(rt: Runtime, service: JobService) -> None:
    problem = rt.engine_problem
    if problem:
        st.error(f"Not available: {plain(problem)}")
    else:
        st.success(f"{plain(rt.engine.name)} is configured.")
    if rt.worker is None:
        st.caption("This app runs no worker: separate `python -m omtx_core worker` processes take the jobs.")
    else:
        st.caption(f"This app runs a worker ({plain(rt.worker.worker_id)}).")


def _running(rt: Runtime, service: JobService) -> None:
    page = service.list(JobQuery(status=JobStatus.RUNNING, limit=RUNNING_SHOWN))
    if not page.jobs:
        st.caption("No job is running.")
        return
    st.dataframe([_running_row(job) for job in page.jobs], hide_index=True, width="stretch")
    if page.total > len(page.jobs):
        st.caption(f"The {len(page.jobs):,} newest of {page.total:,} running jobs.")


def _running_row(job: Job) -> dict[str, Any]:
    now = utcnow()
    expires = job.lease_expires_at
    left = (expires - now).total_seconds() if expires else None
    return {
        "Worker": job.lease_owner or "—",
        "Job": job.job_name,
        "Id": job.id,
        "Task": job.task_type,
        "Owner": job.owner,
        "Progress": f"{job.progress_done}/{job.progress_total}",
        "Last heartbeat": f"{(now - job.updated_at).total_seconds():.0f} s ago",
        "Lease": "—" if left is None else (f"expires in {left:.0f} s" if left >= 0 else f"expired {-left:.0f} s ago"),
    }


def failures_by_kind(jobs: list[Job], since) -> list[dict[str, Any]]:
    """Failed jobs finished since `since`, one row per error kind: how many, and the newest one's message."""
    groups: dict[str, list[Job]] = defaultdict(list)
    for job in jobs:
        if job.finished_at and job.finished_at >= since:
            groups[getattr(job.error, "kind", None) or "other"].append(job)
    rows = []
    for kind, group in groups.items():
        newest = max(group, key=lambda job: job.finished_at)
        rows.append({"Kind": kind, "Jobs": len(group), "Latest": newest.error.message if newest.error else ""})
    return sorted(rows, key=lambda row: (-row["Jobs"], row["Kind"]))


def _failures(rt: Runtime, service: JobService) -> None:
    page = service.list(JobQuery(status=JobStatus.FAILED, limit=FAILURES_READ))
    rows = failures_by_kind(page.jobs, utcnow() - RECENT)
    if not rows:
        st.caption("No job failed in the last 24 hours.")
        return
    st.dataframe(rows, hide_index=True, width="stretch")


def _metrics(rt: Runtime, service: JobService) -> None:
    port = rt.settings.metrics_port
    if port is None:
        st.caption("Metrics are off: set OMTX_METRICS_PORT to serve them to Prometheus from each worker.")
    elif rt.worker is not None:
        url = f"http://localhost:{port}/metrics"
        st.markdown(f"This app's worker serves Prometheus metrics at [{url}]({url}) (on this server).")
    else:
        st.caption(f"Workers serve Prometheus metrics on port {port} at /metrics.")


def effective_configuration(settings: Settings, overrides: dict[str, Any] | None = None) -> list[dict[str, str]]:
    """Every setting as `python -m omtx_core config check` shows it: secrets only say whether they are set."""
    return [{"Setting": row.variable, "Value": row.value, "Source": row.source}
            for row in effective_settings(settings, overrides)]  # fmt: skip


def _configuration(rt: Runtime, service: JobService) -> None:
    # Problems in it are shown on every page by the sidebar, which stops the app before this page runs.
    rows = effective_configuration(rt.settings, secret_settings())
    st.dataframe(rows, hide_index=True, width="stretch", height=35 * (len(rows) + 1) + 3)
