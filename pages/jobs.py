"""Jobs page: history with search, filters and paging; select jobs to open, cancel, re-run, delete or download."""

import streamlit as st

from omtx_core.domain.job import JobQuery, JobStatus
from omtx_core.tasks import TASKS
from omtx_core.ui import job_list
from omtx_core.ui.errors import show_error
from omtx_core.ui.navigation import inside_app
from omtx_core.ui.resources import jobs

inside_app()

PAGE_SIZE = 50

st.title("Jobs")
status_col, task_col, search_col, page_col = st.columns([1, 1, 2, 1])
status = status_col.selectbox("Status", ["all", *[s.value for s in JobStatus]])
task = task_col.selectbox("Task", ["all", *TASKS], format_func=lambda t: TASKS[t].title if t in TASKS else "All")
search = search_col.text_input("Name contains", max_chars=200)  # job names are at most 200 characters
page_number = page_col.number_input("Page", min_value=1, value=1, step=1)

try:
    query = JobQuery(
        status=None if status == "all" else status,
        task_type=None if task == "all" else task,
        search=search or None,
        limit=PAGE_SIZE,
        offset=(page_number - 1) * PAGE_SIZE,
    )
    page = jobs().list(query)
except Exception as exc:
    show_error(exc)
    st.stop()

pages = max(1, -(-page.total // PAGE_SIZE))
st.caption(f"{page.total:,} job(s) match · page {page_number} of {pages:,}.")
if not page.jobs:
    st.info("No jobs here yet. Pick a task in the sidebar, fill in the form and press Submit job.")
    st.stop()
selected = job_list.table(page.jobs)
job_list.actions(selected)
