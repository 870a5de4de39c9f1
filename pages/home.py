"""Home page: what OMTX-Hub does, a tile per task, recent jobs and where to import results."""

import streamlit as st

from omtx_core.domain.job import JobQuery
from omtx_core.tasks import TASKS
from omtx_core.ui.forms import TASK_BLURBS
from omtx_core.ui.job_list import key_metric
from omtx_core.ui.job_view import STATUS_BADGES
from omtx_core.ui.navigation import inside_app
from omtx_core.ui.resources import jobs
from omtx_core.ui.text import plain

inside_app()

st.title("OMTX-Hub")
st.markdown(
    "Run **Boltz-2** structure, complex and binding-affinity predictions from your browser, without code.  \n"
    "Pick a task, paste sequences and molecules, check the exact Boltz-2 runs, and follow your jobs to the results."
)

columns = st.columns(3)
for index, (task_id, model) in enumerate(TASKS.items()):
    with columns[index % 3], st.container(border=True):
        st.page_link(f"pages/{task_id}.py", label=f"**{model.title}**")
        st.caption(TASK_BLURBS[task_id])

st.subheader("Recent jobs")
try:
    recent = jobs().list(JobQuery(limit=5)).jobs
except Exception:  # the sidebar already explains a store problem
    recent = []
if not recent:
    st.caption("No jobs yet.")
for job in recent:
    label, colour = STATUS_BADGES[job.status]
    with st.container(horizontal=True, vertical_alignment="center"):
        st.page_link(
            "pages/job.py", label=plain(job.job_name), query_params={"job": job.id}, icon=":material/analytics:"
        )
        st.markdown(f":{colour}-badge[{label}] {plain(key_metric(job))}")
st.page_link("pages/jobs.py", label="All jobs", icon=":material/list_alt:")
st.page_link("pages/import_results.py", label="Import Boltz results made elsewhere", icon=":material/upload_file:")
