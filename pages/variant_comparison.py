"""Variants page: a wild type and 1–20 variants (one per line), planned with one run per distinct sequence."""

import streamlit as st

from omtx_core.tasks import TASKS
from omtx_core.ui import forms
from omtx_core.ui.navigation import inside_app

inside_app()

TASK = "variant_comparison"
MODEL = TASKS[TASK]
EXAMPLE = {
    "wildtype_sequence": forms.EXAMPLE_UBIQUITIN,
    "variants": "I44A\nK48R\nhydrophobic patch: L8A/I44A/V70A",
    "ligand_smiles": "",
    "ligand_ccd": "",
    "job_name": "Ubiquitin surface mutants",
}
VARIANTS_HELP = (
    "One variant per line: point mutations (`K2A`, or `K2A/L5P` for several), optionally named "
    "(`patch: K2A/L5P`), or a name and a full sequence of the wild type's length (`design 3: MKT…`). "
    "Positions count from 1 in the wild type."
)


def parse_variants(text: str) -> list[dict]:
    """Lines to variant dicts: a value of letters only is a full sequence, anything else mutations."""
    variants = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, _, value = line.rpartition(":")
        value = value.strip()
        # Mutations always carry a position number; a sequence never does.
        field = "sequence" if value.replace(" ", "").isalpha() else "mutations"
        variants.append({"name": forms.optional(name), field: value})
    return variants


def form_values(data: dict) -> dict:
    """A stored input as this form's widget values (clone and edit)."""
    lines = [f"{v['name']}: {v.get('mutations') or v.get('sequence')}" for v in data["variants"]]
    return {
        "wildtype_sequence": data["wildtype_sequence"],
        "variants": "\n".join(lines),
        **forms.ligand_widgets(data),
        "job_name": data["job_name"],
    }


forms.page_header(TASK, MODEL.title)
forms.prefill_from_job(TASK, form_values)
forms.example_button(TASK, EXAMPLE)
wildtype = forms.sequence_input(TASK, MODEL, "wildtype_sequence")
variants = st.text_area(
    "Variants",
    key=forms.key(TASK, "variants"),
    help=VARIANTS_HELP,
    height=130,
    placeholder="I44A\nK48R\npatch: L8A/I44A/V70A",
)
forms.error_slot(TASK, "variants")
smiles, ccd = forms.ligand_inputs(TASK, MODEL, "optional; scored against every variant for Δ affinity")
job_name = forms.job_name_input(TASK, MODEL)
options = forms.options_form(TASK, affinity=bool(smiles or ccd))


def build() -> dict:
    return {
        "wildtype_sequence": wildtype,
        "variants": parse_variants(variants),
        "ligand_smiles": smiles,
        "ligand_ccd": ccd,
        "job_name": job_name,
        "options": options,
    }


if action := forms.submit_button(TASK):
    st.divider()
    forms.plan_task(TASK, build, submit=action == "submit")
