"""Compare jobs page (`compare?jobs=<id>,<id>,...`): metrics side by side, pLDDT overlaid, structures superposed."""

import streamlit as st

from omtx_core.ui import compare_view
from omtx_core.ui.navigation import inside_app

inside_app()

st.title("Compare jobs")
st.page_link("pages/jobs.py", label="Back to Jobs", icon=":material/arrow_back:")
st.caption(
    "Each job's best model: a variant job's wild type, a screen's best hit. At most 6 jobs are compared at once."
)
compare_view.show(compare_view.requested_ids(st.query_params.get("jobs", "")))
