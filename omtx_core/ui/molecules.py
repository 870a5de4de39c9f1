"""Molecules drawn where they are typed: the depiction under a ligand field, table thumbnails, a compound's drawing."""

from __future__ import annotations

from typing import Any

import streamlit as st

from omtx_core.depict import FORM, depict_ccd, depict_smiles, thumbnail_uri
from omtx_core.ui.text import plain

STRUCTURE = "Structure"
MAX_THUMBNAILS = 200  # rows drawn per table: beyond, each thumbnail costs a few kB on every rerun, for rows far down
THUMBNAIL_ROW_HEIGHT = 80  # px: a thumbnail is scaled to the row; at Streamlit's default 35 a drug is a smudge
THUMBNAIL_COLUMN_WIDTH = 140  # px: the 150×90 thumbnail at that row height, uncut


def ligand_depiction(container: Any, smiles: str | None, ccd: str | None) -> None:
    """Under the ligand fields: the molecule the job will use (SMILES first, else the CCD entry) with its formula."""
    smiles, ccd = (smiles or "").strip(), (ccd or "").strip()
    if not smiles and not ccd:
        return
    with container:
        if smiles:
            depiction = depict_smiles(smiles, FORM)
            if depiction is None:
                st.caption("Not a valid SMILES yet.")  # the reason appears under the field on Check or Submit
                return
        else:
            depiction = depict_ccd(ccd, FORM)
            if depiction is None:  # unknown, or an entry that cannot be built: validation speaks on submit
                return
        st.image(depiction.data_uri, width=FORM[0])
        what = "as the job will use it" if smiles else "from the Chemical Component Dictionary"
        formula = f"{plain(depiction.formula)} · {depiction.heavy_atoms} heavy atoms"
        removed = f" (left out: {plain(', '.join(depiction.removed))})" if depiction.removed else ""
        st.caption(f"{formula} · {what}: {plain(depiction.label)}{removed}")


def with_thumbnails(rows: list[dict[str, Any]], after: str | None = None) -> list[dict[str, Any]]:
    """The rows with a Structure column drawn from their SMILES column (placed after `after`, else first).

    Only the first MAX_THUMBNAILS rows are drawn; the rest keep an empty cell.
    """
    out = []
    for index, row in enumerate(rows):
        picture = thumbnail_uri(row["SMILES"]) if index < MAX_THUMBNAILS and row.get("SMILES") else None
        items = list(row.items())
        at = next((i + 1 for i, (name, _) in enumerate(items) if name == after), 0)
        out.append(dict([*items[:at], (STRUCTURE, picture), *items[at:]]))
    return out


def thumbnails_note(rows: int) -> str:
    """A caption tail (", structures drawn for the first 200") when a table has rows beyond the drawn ones."""
    return f", structures drawn for the first {MAX_THUMBNAILS}" if rows > MAX_THUMBNAILS else ""


def table_options(rows: int) -> dict[str, Any]:
    """st.dataframe arguments for a table with a Structure column: the image column and rows tall enough to see it."""
    drawn = f" Drawn for the first {MAX_THUMBNAILS} rows." if rows > MAX_THUMBNAILS else ""
    return {
        "column_config": {
            STRUCTURE: st.column_config.ImageColumn(
                STRUCTURE, help=f"2D structure.{drawn}", width=THUMBNAIL_COLUMN_WIDTH
            )
        },
        "row_height": THUMBNAIL_ROW_HEIGHT,
    }


def compound_depiction(smiles: str) -> None:
    """A compound drawn at form size with its formula, e.g. beside its predicted pose."""
    depiction = depict_smiles(smiles, FORM)
    if depiction is None:
        st.caption("This SMILES cannot be drawn.")
        return
    st.image(depiction.data_uri, width=FORM[0])
    st.caption(f"{plain(depiction.formula)} · {depiction.heavy_atoms} heavy atoms")
