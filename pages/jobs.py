"""Jobs page: the newest jobs with status, progress and errors, filtered by status, task and name."""

import streamlit as st

from omtx_core.jobs.models import JobQuery, JobStatus
from omtx_core.tasks import TASKS
from omtx_core.ui.errors import show_error
from omtx_core.ui.resources import runtime

PAGE_SIZE = 50

st.title("Jobs")
status_col, task_col, search_col = st.columns([1, 1, 2])
status = status_col.selectbox("Status", ["all", *[s.value for s in JobStatus]])
task = task_col.selectbox("Task", ["all", *TASKS], format_func=lambda t: TASKS[t].title if t in TASKS else "All")
search = search_col.text_input("Name contains")
page_number = st.number_input("Page", min_value=1, value=1, step=1)

try:
    query = JobQuery(
        status=None if status == "all" else status,
        task_type=None if task == "all" else task,
        search=search or None,
        limit=PAGE_SIZE,
        offset=(page_number - 1) * PAGE_SIZE,
    )
    page = runtime().store.list(query)
except Exception as exc:
    show_error(exc)
    st.stop()

st.caption(f"{page.total:,} job(s) match.")
rows = [
    {
        "Name": job.job_name,
        "Task": TASKS[job.task_type].title if job.task_type in TASKS else job.task_type,
        "Status": job.status.value + (" (cached)" if job.cache_hit else ""),
        "Progress": f"{job.progress_done}/{job.progress_total}",
        "Created": job.created_at.strftime("%Y-%m-%d %H:%M"),
        "Problem": job.error.message if job.error else "",
        "Id": job.id,
    }
    for job in page.jobs
]
if rows:
    st.dataframe(rows, hide_index=True, width="stretch")
else:
    st.info("No jobs yet. Pick a task in the sidebar, fill in the form and press Submit job.")
