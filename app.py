"""OMTX-Hub entry point: page config, sign-in, navigation over Home and the six task pages, sidebar status."""

import streamlit as st

from omtx_core.tasks import TASKS
from omtx_core.ui.auth import gate
from omtx_core.ui.resources import sidebar_status

st.set_page_config(page_title="OMTX-Hub", layout="wide")

ICONS = {
    "protein_ligand_binding": ":material/join_inner:",
    "protein_structure": ":material/genetics:",
    "protein_complex": ":material/hub:",
    "binding_site_prediction": ":material/my_location:",
    "variant_comparison": ":material/compare_arrows:",
    "drug_discovery": ":material/science:",
}

home = st.Page("pages/home.py", title="Home", icon=":material/home:", default=True)
tasks = [st.Page(f"pages/{task_id}.py", title=model.title, icon=ICONS[task_id]) for task_id, model in TASKS.items()]
jobs = st.Page("pages/jobs.py", title="Jobs", icon=":material/list_alt:")
compare = st.Page("pages/compare.py", title="Compare jobs", icon=":material/compare:")
job = st.Page("pages/job.py", title="Job results", icon=":material/analytics:")
importer = st.Page("pages/import_results.py", title="Import results", icon=":material/upload_file:")
system = st.Page("pages/system.py", title="System", icon=":material/monitor_heart:")
sections = {"OMTX-Hub": [home, jobs, compare, job, importer, system], "Tasks": tasks}
gate(sections)  # with sign-in on: no page of the app until an admitted user has signed in
page = st.navigation(sections)
sidebar_status()
page.run()
