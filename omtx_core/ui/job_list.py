"""The job history table and what can be done with the selected jobs."""

from __future__ import annotations

import streamlit as st

from omtx_core.domain.job import Job, JobStatus
from omtx_core.domain.results import JobSummary
from omtx_core.tasks import TASKS
from omtx_core.ui.errors import show_error
from omtx_core.ui.job_view import STATUS_BADGES, task_title
from omtx_core.ui.resources import jobs

HIT_THRESHOLD = 0.5  # the screen's default binder-probability threshold for a hit


def key_metric(job: Job) -> str:
    """The one number a scientist scans a list for: the best predicted binder's pIC50 (or that there is none),
    else the best confidence, else the failure."""
    if job.error is not None:
        return job.error.message[:80]
    summary = JobSummary.read(job.result)
    if summary is None:
        return ""
    if (affinity := _affinity_headline(summary)) is not None:
        return affinity
    confidence = summary.best_confidence()
    return "" if confidence is None else f"confidence {confidence:.3f}"


def _affinity_headline(summary: JobSummary) -> str | None:
    """Best pIC50 among predicted binders: Boltz-2's affinity value compares binders, so a decoy never headlines."""
    scored = {name: run for name, run in summary.runs.items() if run.pic50 is not None}
    if not scored:
        return None
    probable = {name: run for name, run in scored.items() if run.binder_probability is not None}
    if not probable:  # no probability to call hits by: the value is all there is
        return f"best pIC50 {max(run.pic50 or 0.0 for run in scored.values()):.2f}"
    hits = [run.pic50 or 0.0 for run in probable.values() if (run.binder_probability or 0.0) >= HIT_THRESHOLD]
    if hits:
        return f"best pIC50 {max(hits):.2f}"
    name, run = max(probable.items(), key=lambda item: item[1].binder_probability or 0.0)
    if len(probable) == 1:
        return f"no predicted binder (probability {run.binder_probability:.2f})"
    return f"no predicted binder; most probable {name} ({run.binder_probability:.2f})"


def _row(job: Job) -> dict:
    label = STATUS_BADGES[job.status][0]
    duration = job.duration_s
    return {
        "Name": job.job_name,
        "Task": task_title(job),
        "Status": label + (" (cached)" if job.cache_hit else ""),
        "Created": job.created_at.strftime("%Y-%m-%d %H:%M"),
        "Duration": _duration(duration),
        "Progress": f"{job.progress_done}/{job.progress_total}",
        "Key result": key_metric(job),
    }


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return ""
    return f"{seconds:.0f} s" if seconds < 60 else f"{seconds / 60:.1f} min"


def table(jobs: list[Job]) -> list[Job]:
    """Show the jobs; return the ones the user selected."""
    event = st.dataframe(
        [_row(job) for job in jobs],
        hide_index=True,
        width="stretch",
        on_select="rerun",
        selection_mode="multi-row",
        key="jobs.table",
    )
    return [jobs[i] for i in event.selection.rows]


def compare_problem(selected: list[Job]) -> str | None:
    """Why the selected jobs cannot be compared, or None: two or more completed jobs of tasks with a protein chain."""
    from omtx_core.analysis.comparison import MAX_COMPARED

    completed = [job for job in selected if job.status == JobStatus.COMPLETED]
    if len(completed) < len(selected):
        return "Compare needs completed jobs only: deselect the queued, running, failed or cancelled ones."
    if len(completed) < 2:
        return "Select two or more completed jobs to compare them."
    if len(completed) > MAX_COMPARED:
        return f"At most {MAX_COMPARED} jobs are compared at once: deselect {len(completed) - MAX_COMPARED}."
    unknown = sorted({job.task_type for job in completed if job.task_type not in TASKS})
    if unknown:  # every task of TASKS predicts a protein chain to superpose on; another kind is not known to
        return f"Jobs of kind {', '.join(unknown)} cannot be compared."
    return None


def actions(selected: list[Job]) -> None:
    if not selected:
        st.caption("Select rows to open, compare, cancel, re-run, delete or download jobs.")
        return
    service = jobs()
    open_col, compare_col, cancel_col, rerun_col, delete_col, zip_col = st.columns(6)
    try:
        if len(selected) == 1 and open_col.button("Open", type="primary", key="jobs.open"):
            st.switch_page("pages/job.py", query_params={"job": selected[0].id})
        _compare_button(compare_col, selected)
        if cancel_col.button("Cancel", key="jobs.cancel"):
            for job in selected:
                service.cancel(job.id)
            st.rerun()
        if rerun_col.button("Re-run", key="jobs.rerun"):
            for job in selected:
                service.rerun(job.id)
            st.rerun()
        if delete_col.button("Delete", key="jobs.delete"):
            for job in selected:
                service.delete(job.id)
            st.rerun()
        zip_col.download_button(
            "ZIP",
            data=lambda: service.job_zip(selected),
            file_name="omtx-jobs.zip",
            mime="application/zip",
            key="jobs.zip",
            on_click="ignore",
        )
    except Exception as exc:
        show_error(exc)


def _compare_button(column, selected: list[Job]) -> None:
    """Compare opens the compare page with the selected jobs; disabled until they fit, the reason said below the
    row of buttons (the columns are already placed, so the caption lands under them)."""
    problem = compare_problem(selected)
    if problem is not None:
        st.caption(problem)
    if column.button("Compare", key="jobs.compare", disabled=problem is not None, help=problem):
        st.switch_page("pages/compare.py", query_params={"jobs": ",".join(job.id for job in selected)})
