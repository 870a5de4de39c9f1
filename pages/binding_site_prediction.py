"""Binding sites page: a protein and an optional ligand, planned as a monomer or co-fold for pocket detection."""

import streamlit as st

from omtx_core.tasks import TASKS
from omtx_core.ui import forms
from omtx_core.ui.navigation import inside_app

inside_app()

TASK = "binding_site_prediction"
MODEL = TASKS[TASK]
EXAMPLE = {
    "protein_sequence": forms.EXAMPLE_KINASE,
    "ligand_smiles": "",
    "ligand_ccd": "ATP",
    "job_name": "ABL1 kinase pockets with ATP",
}

forms.page_header(TASK, MODEL.title)
forms.prefill_from_job(
    TASK,
    lambda data: {
        "protein_sequence": data["protein_sequence"],
        **forms.ligand_widgets(data),
        "job_name": data["job_name"],
    },
)
forms.example_button(TASK, EXAMPLE)
sequence = forms.sequence_input(TASK, MODEL, "protein_sequence")
smiles, ccd = forms.ligand_inputs(TASK, MODEL, "optional; with a ligand the protein is co-folded with it")
job_name = forms.job_name_input(TASK, MODEL)
options = forms.options_form(TASK, affinity=False)


def build() -> dict:
    return {
        "protein_sequence": sequence,
        "ligand_smiles": smiles,
        "ligand_ccd": ccd,
        "job_name": job_name,
        "options": options,
    }


if action := forms.submit_button(TASK):
    st.divider()
    forms.plan_task(TASK, build, submit=action == "submit")
