"""Home page: what OMTX-Hub does and a tile per task."""

import streamlit as st

from omtx_core.tasks import TASKS
from omtx_core.ui.forms import TASK_BLURBS

st.title("OMTX-Hub")
st.markdown(
    "Run **Boltz-2** structure, complex and binding-affinity predictions from your browser, without code.  \n"
    "Pick a task, paste sequences and molecules, and check the exact Boltz-2 runs before anything starts."
)

columns = st.columns(3)
for index, (task_id, model) in enumerate(TASKS.items()):
    with columns[index % 3], st.container(border=True):
        st.page_link(f"pages/{task_id}.py", label=f"**{model.title}**")
        st.caption(TASK_BLURBS[task_id])
