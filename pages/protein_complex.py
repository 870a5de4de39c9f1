"""Complex page: a table of chains (protein, DNA, RNA, ligand, with copies) planned as one multi-chain run."""

import streamlit as st

from omtx_core.tasks import TASKS
from omtx_core.ui import forms
from omtx_core.ui.navigation import inside_app

inside_app()

TASK = "protein_complex"
MODEL = TASKS[TASK]
# Table type → (task chain type, field the molecule column fills); ligands say how they are written.
TYPES = {
    "protein": ("protein", "sequence"),
    "DNA": ("dna", "sequence"),
    "RNA": ("rna", "sequence"),
    "ligand (SMILES)": ("ligand", "smiles"),
    "ligand (CCD code)": ("ligand", "ccd"),
}
ROWS, VERSION = forms.key(TASK, "rows"), forms.key(TASK, "editor_version")
EMPTY = [{"id": "", "type": "protein", "molecule": "", "copies": 1} for _ in range(2)]
EXAMPLE = [  # human insulin: the A and B chains, each its own Boltz chain
    {"id": "A", "type": "protein", "molecule": "GIVEQCCTSICSLYQLENYCN", "copies": 1},
    {"id": "B", "type": "protein", "molecule": "FVNQHLCGSHLVEALYLVCGERGFFYTPKT", "copies": 1},
]
COLUMNS = {
    "id": st.column_config.TextColumn(
        "Chain ID",
        help="Optional; A, B, C… are assigned. Copies: A,B — or one id, and its copies take the next free ids",
    ),
    "type": st.column_config.SelectboxColumn("Type", options=list(TYPES), required=True, default="protein"),
    "molecule": st.column_config.TextColumn("Sequence, SMILES or CCD code", width="large"),
    "copies": st.column_config.NumberColumn("Copies", min_value=1, max_value=20, step=1, default=1),
}


def load_example() -> None:
    st.session_state[ROWS] = EXAMPLE
    # A new editor key discards the edits made on top of the old rows.
    st.session_state[VERSION] = st.session_state.get(VERSION, 0) + 1


def to_chains(rows: list[dict]) -> list[dict]:
    """Editor rows to the task's chain entries; fully empty rows are skipped."""
    chains = []
    for row in rows:
        molecule, chain_id = (row.get("molecule") or "").strip(), (row.get("id") or "").strip()
        if not molecule and not chain_id:
            continue
        kind, field = TYPES.get(row.get("type") or "protein", TYPES["protein"])
        ids = [i.strip() for i in chain_id.split(",") if i.strip()]
        chain = {"type": kind, field: molecule, "copies": int(row.get("copies") or 1)}
        if ids:
            chain["id"] = ids[0] if len(ids) == 1 else ids
        chains.append(chain)
    return chains


def form_values(data: dict) -> dict:
    """A stored input as this form's widget values (clone and edit): the chain table and the job name."""
    rows = []
    for chain in data["chains"]:
        field = "sequence" if chain["type"] != "ligand" else ("smiles" if chain.get("smiles") else "ccd")
        kind = next(label for label, spec in TYPES.items() if spec == (chain["type"], field))
        ids = chain.get("id") or ""
        rows.append(
            {
                "id": ids if isinstance(ids, str) else ",".join(ids),
                "type": kind,
                "molecule": chain[field],
                "copies": chain.get("copies", 1),
            }
        )
    st.session_state[ROWS] = rows
    st.session_state[VERSION] = st.session_state.get(VERSION, 0) + 1
    return {"job_name": data["job_name"]}


forms.page_header(TASK, MODEL.title)
forms.prefill_from_job(TASK, form_values)
forms.example_button(TASK, {"job_name": "Human insulin A and B chains"}, on_click=load_example)
st.markdown("**Chains** · one row per chain; messages number the rows from 1 (Chain 1, Chain 2, …).")
rows = st.data_editor(
    st.session_state.get(ROWS, EMPTY),
    key=forms.key(TASK, f"editor.{st.session_state.get(VERSION, 0)}"),
    column_config=COLUMNS,
    column_order=list(COLUMNS),
    num_rows="dynamic",
    hide_index=True,
)
forms.error_slot(TASK, "chains")
job_name = forms.job_name_input(TASK, MODEL)
options = forms.options_form(TASK, affinity=False)

if action := forms.submit_button(TASK):
    st.divider()
    forms.plan_task(
        TASK, lambda: {"chains": to_chains(rows), "job_name": job_name, "options": options}, submit=action == "submit"
    )
