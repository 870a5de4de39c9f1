"""The job page around the results: header, live status while it runs, failure and cancel notices, actions."""

from __future__ import annotations

import streamlit as st

from omtx_core.domain.job import Job, JobStatus
from omtx_core.domain.results import ResultDocument, read_analysis
from omtx_core.engines.failures import HINTS, LABELS
from omtx_core.errors import JobNotFound
from omtx_core.tasks import TASKS, task_analysis_model
from omtx_core.tasks.drug_discovery import ScreenAnalysis
from omtx_core.ui.errors import show_error
from omtx_core.ui.resources import jobs, runtime
from omtx_core.ui.text import plain

STATUS_BADGES = {
    JobStatus.PENDING: ("Queued", "gray"),
    JobStatus.RUNNING: ("Running", "blue"),
    JobStatus.COMPLETED: ("Completed", "green"),
    JobStatus.FAILED: ("Failed", "red"),
    JobStatus.CANCELLED: ("Cancelled", "orange"),
}
REFRESH_S = 2.0


def task_title(job: Job) -> str:
    return TASKS[job.task_type].title if job.task_type in TASKS else job.task_type


def header(job: Job) -> None:
    label, colour = STATUS_BADGES[job.status]
    st.title(plain(job.job_name))  # a name is the user's text: never a link, image or icon on the page
    cached = " · :violet-badge[Cached result]" if job.cache_hit else ""
    st.markdown(f":{colour}-badge[{label}] · {plain(task_title(job))} · job `{job.id}`{cached}")


def live_status(job_id: str) -> None:
    """Progress of a queued or running job, refreshed in place; the page reruns when the job ends."""

    @st.fragment(run_every=REFRESH_S)
    def _progress() -> None:
        try:
            job = jobs().get(job_id)
        except JobNotFound:  # deleted meanwhile: the page says so when it reruns
            st.rerun()
        if job.status.is_terminal:
            st.rerun()
        total = max(job.progress_total, 1)
        text = f"{job.progress_done} of {job.progress_total} Boltz run(s) finished"
        st.progress(job.progress_done / total, text=text if job.status == JobStatus.RUNNING else "Waiting in the queue")
        if job.status == JobStatus.PENDING and (problem := runtime().engine_problem):
            st.warning(problem)
        _partial_table(job)
        log = _log_tail(job)
        if log:
            with st.expander("Engine log (live)", expanded=job.status == JobStatus.RUNNING):
                st.code(log, language="text")

    _progress()


def _partial_table(job: Job, shown: int = 25) -> None:
    """A screen's ranked table as compounds finish (from the worker's live preview)."""
    import json

    data = jobs().partial_results(job)
    if data is None:
        return
    try:
        analysis = read_analysis(json.loads(data), task_analysis_model(job.task_type))
    except ValueError:  # a preview written by another version (pydantic's ValidationError is a ValueError)
        return
    if not isinstance(analysis, ScreenAnalysis) or analysis.rows is None:
        return  # only a screen publishes a live table
    rows = [r for r in analysis.rows if r.status == "done"]
    summary = analysis.summary
    total = summary.n_compounds if summary else "?"
    hits, threshold = (summary.n_hits, summary.threshold) if summary else (0, 0.5)
    st.markdown(
        f"**Ranked so far** · {len(rows)} of {total} compounds scored, "
        f"{hits} hit(s) at binder probability ≥ {threshold}"
    )
    st.dataframe(
        [
            {
                "Rank": i,
                "Name": r.name,
                "Binder probability": r.binder_probability,
                "pIC50": r.pic50,
                "Ligand ipTM": r.ligand_iptm,
            }
            for i, r in enumerate(rows[:shown], 1)
        ],
        hide_index=True,
    )


def _log_tail(job: Job, lines: int = 40) -> str:
    return "\n".join((jobs().engine_log(job) or "").splitlines()[-lines:])


def failure_notice(job: Job) -> None:
    if job.status == JobStatus.FAILED and job.error is not None:
        st.error(f"**This job failed.** {plain(job.error.message)}")
        st.caption(plain(f"Failure kind: {LABELS[job.error.kind]} ({job.error.kind}). {HINTS[job.error.kind]}"))
        if job.error.details:
            with st.expander("Details"):
                st.code(job.error.details, language="text")
    elif job.status == JobStatus.CANCELLED:
        when = f" at {job.finished_at:%Y-%m-%d %H:%M} UTC" if job.finished_at else ""
        st.info(f"This job was cancelled{when}. Re-run it to start again.")


def actions(job: Job) -> None:
    """Cancel (while it can run), re-run, delete, and the whole job as a ZIP, side by side."""
    service = jobs()
    try:
        with st.container(horizontal=True):
            if not job.status.is_terminal and st.button("Cancel job", key="job.cancel"):
                service.cancel(job.id)
                st.rerun()
            if st.button(
                "Re-run", key="job.rerun", help="A new job with the same input (the result cache is skipped)."
            ):
                st.switch_page("pages/job.py", query_params={"job": service.rerun(job.id).job.id})
            if job.task_type in TASKS and st.button(
                "Edit and re-run", key="job.edit_form", help="Open the task's form filled with this job's input."
            ):
                st.switch_page(f"pages/{job.task_type}.py", query_params={"from": job.id})
            if st.button("Delete", key="job.delete", help="Removes the job and its files."):
                service.delete(job.id)
                st.switch_page("pages/jobs.py")
            with st.popover("Share link", icon=":material/link:"):
                share_link(job)
            if job.status.is_terminal:
                st.download_button(
                    "Job ZIP",
                    data=lambda: service.job_zip([job]),
                    file_name=f"{job.id}.zip",
                    mime="application/zip",
                    key="job.zip",
                    on_click="ignore",
                )
    except Exception as exc:
        show_error(exc)


def job_link(job: Job) -> str:
    """This job's page as a URL to send a colleague: the address the browser uses for the app, or a relative one."""
    page = st.context.url  # the page's own URL without its query string; None outside a browser session
    return f"{page}?job={job.id}" if page else f"job?job={job.id}"


def share_link(job: Job) -> None:
    st.code(job_link(job), language=None, wrap_lines=True)
    st.caption(
        "Copy it with the button at its right. It opens this job's page for anyone who can open this app and is "
        "allowed to see the job; a job that was deleted, or that belongs to someone else on a team's store, says "
        "it was not found."
    )


def edit_and_rerun(job: Job) -> None:
    """Clone and edit: change any field of the job's normalised input and submit it as a new job."""
    import json

    with st.expander("Edit the input as JSON and re-run"):
        st.caption(
            "Every field of this job's input; change what you need (e.g. a mutation, a SMILES, the number "
            "of samples) and submit it as a new job. The original job is kept."
        )
        text = st.text_area("Input (JSON)", json.dumps(job.input, indent=2), height=260, key="job.edit")
        if st.button("Submit as a new job", key="job.edit.submit"):
            try:
                changes = json.loads(text)
                if not isinstance(changes, dict):
                    raise ValueError("the input must be a JSON object")
                new = jobs().rerun(job.id, changes).job
            except ValueError as exc:  # json.JSONDecodeError is a ValueError
                st.error(f"The edited input is not valid JSON: {plain(exc)}. Fix the text and submit again.")
                return
            except Exception as exc:
                show_error(exc)
                return
            st.switch_page("pages/job.py", query_params={"job": new.id})


@st.cache_resource(max_entries=16, show_spinner="Loading results…")
def _predictions(results_job_id: str, _job: Job) -> dict:
    """Parsed predictions of a job's results (downloaded once per process into the cache folder)."""
    from omtx_core.boltz.outputs import parse_boltz_output

    folder = jobs().boltz_output(_job, runtime().settings.data_dir / "cache")
    return {p.name: p for p in parse_boltz_output(folder)}


def load_results(job: Job) -> tuple[ResultDocument, dict]:
    """(result document, predictions by run name) of a completed job; a cache hit reads its source's."""
    document = jobs().result_document(job)
    return document, _predictions(job.results_job_id, job)
