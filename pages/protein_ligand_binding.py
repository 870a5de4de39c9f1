"""Protein–ligand binding page: a protein, one ligand and an optional pocket, planned as one affinity co-fold."""

import streamlit as st

from omtx_core.tasks import TASKS
from omtx_core.ui import forms
from omtx_core.ui.navigation import inside_app

inside_app()

TASK = "protein_ligand_binding"
MODEL = TASKS[TASK]
EXAMPLE = {
    "protein_sequence": forms.EXAMPLE_KINASE,
    "ligand_smiles": forms.IMATINIB,
    "ligand_ccd": "",
    "ligand_name": "imatinib",
    "job_name": "ABL1 kinase + imatinib",
}


def form_values(data: dict) -> dict:
    """A stored input as this form's widget values (clone and edit)."""
    pocket = ", ".join(map(str, data.get("pocket_residues") or []))
    return {
        "protein_sequence": data["protein_sequence"],
        **forms.ligand_widgets(data),
        "ligand_name": data.get("ligand_name") or "",
        "predict_affinity": data["predict_affinity"],
        "pocket_residues": pocket,
        "pocket_max_distance": data["pocket_max_distance"],
        "pocket_force": data["pocket_force"],
        "job_name": data["job_name"],
    }


forms.page_header(TASK, MODEL.title)
forms.prefill_from_job(TASK, form_values)
forms.example_button(TASK, EXAMPLE)
sequence = forms.sequence_input(TASK, MODEL, "protein_sequence")
smiles, ccd = forms.ligand_inputs(TASK, MODEL, "give it as SMILES or as a CCD code, not both")
left, right = st.columns([3, 1])
ligand_name = left.text_input(
    "Ligand name (optional)", key=forms.key(TASK, "ligand_name"), help=forms.help_of(MODEL, "ligand_name")
)
affinity = right.checkbox(
    "Predict affinity",
    value=True,
    key=forms.key(TASK, "predict_affinity"),
    help=forms.help_of(MODEL, "predict_affinity"),
)

with st.expander("Pocket (optional)"):
    pocket = st.text_input(
        "Pocket residues",
        key=forms.key(TASK, "pocket_residues"),
        placeholder="e.g. 45, 46, 89",
        help=forms.help_of(MODEL, "pocket_residues"),
    )
    distance = st.number_input(
        "Pocket contact distance (Å)",
        min_value=4.0,
        max_value=20.0,
        value=6.0,
        step=0.5,
        key=forms.key(TASK, "pocket_max_distance"),
        help=forms.help_of(MODEL, "pocket_max_distance"),
    )
    force = st.checkbox(
        "Enforce the pocket", key=forms.key(TASK, "pocket_force"), help=forms.help_of(MODEL, "pocket_force")
    )
forms.error_slot(TASK, "pocket_residues")  # outside the expander, so the problem shows even when it is closed

job_name = forms.job_name_input(TASK, MODEL)
options = forms.options_form(TASK, affinity=affinity)


def build() -> dict:
    return {
        "protein_sequence": sequence,
        "ligand_smiles": smiles,
        "ligand_ccd": ccd,
        "ligand_name": forms.optional(ligand_name),
        "predict_affinity": affinity,
        "pocket_residues": forms.parse_residue_numbers(pocket),
        "pocket_max_distance": distance,
        "pocket_force": force,
        "job_name": job_name,
        "options": options,
    }


if action := forms.submit_button(TASK):
    st.divider()
    forms.plan_task(TASK, build, submit=action == "submit")
