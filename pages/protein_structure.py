"""Protein structure page: one protein sequence checked and planned as a Boltz-2 monomer prediction."""

import streamlit as st

from omtx_core.tasks import TASKS
from omtx_core.ui import forms
from omtx_core.ui.navigation import inside_app

inside_app()

TASK = "protein_structure"
MODEL = TASKS[TASK]
EXAMPLE = {"protein_sequence": forms.EXAMPLE_UBIQUITIN, "job_name": "Human ubiquitin"}

forms.page_header(TASK, MODEL.title)
forms.prefill_from_job(TASK, lambda data: {"protein_sequence": data["protein_sequence"], "job_name": data["job_name"]})
forms.example_button(TASK, EXAMPLE)
sequence = forms.sequence_input(TASK, MODEL, "protein_sequence")
job_name = forms.job_name_input(TASK, MODEL)
options = forms.options_form(TASK, affinity=False)

if action := forms.submit_button(TASK):
    st.divider()
    forms.plan_task(
        TASK,
        lambda: {"protein_sequence": sequence, "job_name": job_name, "options": options},
        submit=action == "submit",
    )
