"""Import page: Boltz output made elsewhere (a ZIP, or a folder on this server) becomes a job with every tab."""

from pathlib import Path

import streamlit as st

from omtx_core.ui.errors import show_error
from omtx_core.ui.navigation import inside_app
from omtx_core.ui.resources import jobs, runtime_or_stop

inside_app()
settings = runtime_or_stop().settings

st.title("Import Boltz results")
st.markdown(
    "Bring in a `boltz_results_<name>` folder from a run made elsewhere (your cluster, a colleague's laptop) and "
    "view it with every result tab. Archives with absolute paths, `..`, links, or more than "
    f"{settings.import_max_mb:,} MB once expanded are refused."
)
upload = st.file_uploader("ZIP of a Boltz output folder", type=["zip"], key="import.zip")
folder = ""
if settings.store == "sqlite":  # a server path only makes sense when the app runs on your machine
    folder = st.text_input("…or a folder on this machine", placeholder="/data/runs/boltz_results_my_complex")
job_name = st.text_input("Job name (optional)")

if st.button("Import", type="primary", disabled=not (upload or folder), key="import.go"):
    try:
        source = upload.getvalue() if upload else Path(folder).expanduser()
        job = jobs().import_results(source, job_name=job_name or None)
    except Exception as exc:
        show_error(exc)
    else:
        st.switch_page("pages/job.py", query_params={"job": job.id})
