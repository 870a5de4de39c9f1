"""Job results page (`?job=<id>`): live status while it runs, then every result tab and the task's own views."""

import streamlit as st

from omtx_core.domain.job import JobQuery, JobStatus
from omtx_core.ui import job_view, result_tabs, task_views
from omtx_core.ui.errors import show_error
from omtx_core.ui.navigation import inside_app
from omtx_core.ui.resources import jobs, runtime_or_stop

inside_app()
runtime_or_stop()

job_id = st.query_params.get("job")
if not job_id:
    recent = jobs().list(JobQuery(limit=50)).jobs
    if not recent:
        st.info("No jobs yet. Pick a task in the sidebar and submit one.")
        st.stop()
    chosen = st.selectbox("Job", recent, format_func=lambda j: f"{j.job_name} · {j.status.value}")
    st.query_params["job"] = job_id = chosen.id

try:
    job = jobs().get(job_id)
except Exception as exc:
    show_error(exc)
    st.stop()

job_view.header(job)
job_view.actions(job)
job_view.edit_and_rerun(job)
if not job.status.is_terminal:
    job_view.live_status(job.id)
job_view.failure_notice(job)

if job.status != JobStatus.COMPLETED:
    parameters, logs = st.tabs(["Parameters", "Logs"])
    with parameters:
        result_tabs.parameters(job)
    with logs:
        result_tabs.logs(job)
    st.stop()

try:
    document, predictions = job_view.load_results(job)
except Exception as exc:
    show_error(exc)
    st.stop()

views = task_views.views_for(job, document, predictions)
names = [
    "Overview",
    *(["Affinity"] if any(p.affinity for p in predictions.values()) else []),
    "Confidence",
    "Structure",
    *views,
    "Parameters",
    "Logs",
]
tabs = dict(zip(names, st.tabs(names), strict=True))
with tabs["Overview"]:
    run, label = task_views.featured(document, predictions)
    result_tabs.overview(job, document, predictions.get(run), label)
if "Affinity" in tabs:
    with tabs["Affinity"]:
        if chosen := result_tabs.run_picker({k: p for k, p in predictions.items() if p.affinity}, "affinity.run"):
            result_tabs.affinity(chosen)
with tabs["Confidence"]:
    if chosen := result_tabs.run_picker(predictions, "confidence.run"):
        result_tabs.confidence(chosen, "confidence")
with tabs["Structure"]:
    if chosen := result_tabs.run_picker(predictions, "structure.run"):
        result_tabs.structure(chosen, "structure")
for name, render in views.items():
    with tabs[name]:
        render()
with tabs["Parameters"]:
    result_tabs.parameters(job)
with tabs["Logs"]:
    result_tabs.logs(job)
