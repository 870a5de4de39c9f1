"""OMTX-Hub entry point: page config, navigation over Home and the six task pages, sidebar status."""

import streamlit as st

from omtx_core.config import get_settings
from omtx_core.tasks import TASKS

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
page = st.navigation({"OMTX-Hub": [home], "Tasks": tasks})

# No job store or compute engine exists yet; say so rather than pretend jobs can run.
st.sidebar.caption(
    "**Job store:** not configured yet, so jobs cannot be saved.  \n"
    "**Compute engine:** not configured yet, so predictions cannot run.  \n"
    "You can still check inputs and see the exact Boltz-2 runs they would start."
)
st.sidebar.caption(f"Largest run accepted: {get_settings().max_tokens:,} tokens (set by OMTX_MAX_TOKENS).")
page.run()
