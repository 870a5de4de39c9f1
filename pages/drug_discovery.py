"""Screen page: a target protein and a compound library (pasted or uploaded), planned as one run per compound."""

import streamlit as st

from omtx_core.compounds import MAX_COMPOUNDS, MAX_LIBRARY_MB, CompoundLibrary, read_compound_library
from omtx_core.errors import InputError, OmtxError
from omtx_core.tasks import TASKS
from omtx_core.ui import forms, molecules
from omtx_core.ui.errors import show_error, show_problems
from omtx_core.ui.navigation import inside_app

inside_app()

TASK = "drug_discovery"
MODEL = TASKS[TASK]
FILE_TYPES = ["csv", "tsv", "txt", "smi", "smiles", "sdf", "sd", "mol"]
EXAMPLE = {
    "protein_sequence": forms.EXAMPLE_KINASE,
    "library_text": f"{forms.IMATINIB} imatinib\nCC(=O)Oc1ccccc1C(=O)O aspirin\n"
    "CC(C)Cc1ccc(cc1)C(C)C(=O)O ibuprofen\nCn1cnc2c1c(=O)n(C)c(=O)n2C caffeine",
    "job_name": "ABL1 kinase mini screen",
}
PREVIEW_ROWS = 1000


@st.cache_data(max_entries=8, show_spinner="Reading the compound library…")
def read_library(text: str, filename: str) -> CompoundLibrary:
    # Cached: RDKit parses every row, and the page reruns on every widget change.
    return read_compound_library(text, filename)


def library_text() -> tuple[str, str]:
    """The uploaded file's text and name, else the pasted text."""
    pasted = st.text_area(
        "Paste SMILES",
        key=forms.key(TASK, "library_text"),
        height=150,
        help="One compound per line: a SMILES, optionally followed by a space and a name.",
        placeholder="CC(=O)Oc1ccccc1C(=O)O aspirin",
    )
    upload = st.file_uploader(
        "…or upload a CSV, SMILES or SDF file (used instead of the pasted list)",
        type=FILE_TYPES,
        key=forms.key(TASK, "library_file"),
    )
    if upload is not None and upload.size > MAX_LIBRARY_MB * 2**20:  # refused unread: the page stays responsive
        show_error(OmtxError(f"{upload.name} is {upload.size / 2**20:,.1f} MB; a compound library file may be at most "
                             f"{MAX_LIBRARY_MB} MB.", f"A screen takes at most {MAX_COMPOUNDS:,} compounds: split "
                             "the file, or leave out columns and coordinates it does not need."))  # fmt: skip
        return pasted or "", ""
    if upload is not None:
        return upload.getvalue().decode("utf-8", errors="replace"), upload.name
    return pasted or "", ""


def preview(library: CompoundLibrary) -> None:
    rows = [{"#": i, "Name": c.name, "SMILES": c.smiles} for i, c in enumerate(library.compounds, 1)]
    shown = f"; showing the first {PREVIEW_ROWS:,}" if len(rows) > PREVIEW_ROWS else ""
    st.caption(f"{len(rows):,} compound(s) read{shown}{molecules.thumbnails_note(len(rows))}.")
    if rows:
        table = molecules.with_thumbnails(rows[:PREVIEW_ROWS], after="#")
        height = min(38 + molecules.THUMBNAIL_ROW_HEIGHT * len(rows), 360)
        st.dataframe(table, hide_index=True, height=height, **molecules.table_options(len(rows)))
    if library.problems:
        show_problems(library.problems, f"{len(library.problems):,} row(s) could not be read:")
    forms.show_warnings(library.warnings)


def compounds(library: CompoundLibrary | None, drop_invalid: bool) -> list[dict]:
    if library is None:
        raise InputError.single("compounds", "No compounds given.", "Paste SMILES or upload a library file.")
    if not library.compounds:
        raise OmtxError(
            "No row of the library could be read (listed above).",
            "Fix the rows, or check that the file is a CSV, a SMILES list or an SDF.",
        )
    if library.problems and not drop_invalid:
        raise OmtxError(
            f"{len(library.problems):,} row(s) of the library could not be read (listed above).",
            "Fix them, or tick “Drop invalid rows and continue” to screen the others.",
        )
    return library.as_input()


forms.page_header(TASK, MODEL.title)
forms.prefill_from_job(
    TASK,
    lambda data: {
        "protein_sequence": data["protein_sequence"],
        "job_name": data["job_name"],
        "library_text": "\n".join(f"{c['smiles']} {c['name']}" for c in data["compounds"]),
    },
)
forms.example_button(TASK, EXAMPLE)
sequence = forms.sequence_input(TASK, MODEL, "protein_sequence", label="Target protein sequence")
st.markdown("**Compound library**")
text, filename = library_text()
library = read_library(text, filename) if text.strip() else None
drop_invalid = False
if library is not None:
    preview(library)
    if library.problems and library.compounds:
        drop_invalid = st.checkbox("Drop invalid rows and continue", key=forms.key(TASK, "drop_invalid"))
forms.error_slot(TASK, "compounds")
job_name = forms.job_name_input(TASK, MODEL)
options = forms.options_form(TASK)


def build() -> dict:
    return {
        "protein_sequence": sequence,
        "compounds": compounds(library, drop_invalid),
        "job_name": job_name,
        "options": options,
    }


if action := forms.submit_button(TASK):
    st.divider()
    forms.plan_task(TASK, build, submit=action == "submit")
