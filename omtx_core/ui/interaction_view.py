"""The Contacts tab's 2D interaction diagram: drawn on the page and offered as an SVG download."""

from __future__ import annotations

import streamlit as st

from omtx_core.analysis.models import Contact
from omtx_core.boltz.results import BoltzPrediction
from omtx_core.errors import OmtxError
from omtx_core.ui.text import plain

LINES_NOTE = (
    "Lines from each residue to the ligand atom it interacts with: H-bond dashed green, possible H-bond dashed pale "
    "green, salt bridge dashed magenta, hydrophobic dotted olive (to the nearest ligand carbon), π-stacking dashed "
    "violet (to the ring centre), clash solid red. Residues in a dashed grey box lie within 4 Å with no specific "
    "interaction. Box colours: acidic red, basic blue, polar teal, hydrophobic green."
)
DOWNLOAD_LABEL = "Interaction diagram (SVG)"


def interaction_diagram(
    rows: list[Contact], prediction: BoltzPrediction, smiles: str | None, ccd: str | None = None
) -> None:
    """The diagram of the best model's contacts; the ligand's SMILES (or CCD code) gives its bond orders."""
    if not rows:
        return
    try:
        keys = tuple(c.model_dump_json() for c in rows)
        svg, notes = _diagram(keys, str(prediction.best.structure_path), _chain(prediction), smiles, ccd)
    except (OmtxError, ValueError, RuntimeError, KeyError) as exc:  # PoseError is a ValueError; RDKit raises both
        st.info(f"No interaction diagram for this pose: {plain(exc)}")
        return
    # As an image (an SVG data URI): st.html's sanitiser keeps HTML only and would drop the SVG, and an image runs
    # nothing whatever its text says.
    st.image(svg, width="content")
    for note in notes:
        st.caption(plain(note))
    st.caption(LINES_NOTE)
    st.download_button(
        DOWNLOAD_LABEL, svg, file_name="interaction_diagram.svg", mime="image/svg+xml", key="contacts.diagram.svg"
    )


def _chain(prediction: BoltzPrediction) -> str:
    from omtx_core.analysis.structure import first_chain

    return first_chain(prediction, "ligand")


@st.cache_data(max_entries=32, show_spinner="Drawing the interaction diagram…")
def _diagram(
    rows: tuple[str, ...], structure_path: str, chain: str, smiles: str | None, ccd: str | None
) -> tuple[str, list[str]]:
    """Cached: every tab renders on each rerun, and the layout takes a second."""
    from omtx_core.analysis.contact_roles import ccd_smiles
    from omtx_core.analysis.interaction_diagram_svg import interaction_diagram as draw

    template = smiles or (ccd_smiles(ccd) if ccd else None)
    diagram = draw([Contact.model_validate_json(row) for row in rows], structure_path, chain, template)
    return diagram.svg, diagram.notes
