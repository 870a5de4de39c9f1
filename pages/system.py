"""System page (admins only): store, engine, worker heartbeats, queue, recent failures, configuration, metrics."""

import streamlit as st

from omtx_core.ui.navigation import inside_app
from omtx_core.ui.resources import jobs, runtime, runtime_or_stop
from omtx_core.ui.system_view import render_system

inside_app()

st.title("System")
runtime_or_stop()
service = jobs()
if not service.identity.admin:
    st.info("Only administrators can see this page.")
    st.stop()
st.caption("The state of this deployment, read from the job store now. Reload the page to refresh.")
render_system(runtime(), service)
