"""Compound readers stop at the screen's 10,000-compound cap (and after too many unreadable rows) instead of
parsing a whole huge file first, and say so."""

from __future__ import annotations

import pytest
from rdkit import Chem

from omtx_core import compounds
from omtx_core.compounds import MAX_COMPOUNDS, read_compound_library
from omtx_core.tasks.drug_discovery import DrugDiscoveryInput


def carbons(n: int) -> list[str]:
    return [f"{'C' * (i % 30 + 1)}O" for i in range(n)]


def sdf(smiles: list[str]) -> str:
    """Records of the SMILES; one RDKit cannot parse becomes a record RDKit cannot read either."""
    mols = (Chem.MolFromSmiles(s) for s in smiles)
    return "".join((Chem.MolToMolBlock(m) if m else "broken\n\n\n  1  0\n") + "\n$$$$\n" for m in mols)


LAYOUTS = {
    "library.csv": lambda rows: "name,smiles\n" + "".join(f"c{i},{s}\n" for i, s in enumerate(rows)),
    "library.smi": lambda rows: "".join(f"{s} c{i}\n" for i, s in enumerate(rows)),
    "library.sdf": sdf,
}


def test_the_screen_and_the_readers_share_one_cap():
    assert DrugDiscoveryInput.model_fields["compounds"].metadata[-1].max_length == MAX_COMPOUNDS == 10_000


def test_a_library_over_the_cap_stops_reading_there():
    text = LAYOUTS["library.smi"](carbons(MAX_COMPOUNDS + 5)) + "C1CC never_parsed\n"
    library = read_compound_library(text, "library.smi")
    assert len(library.compounds) == MAX_COMPOUNDS
    (problem,) = library.problems  # the broken last row was never parsed
    assert problem.field == "file" and "10,000" in problem.message and "split" in problem.hint.lower()


@pytest.mark.parametrize("filename", LAYOUTS)
def test_every_reader_stops_at_the_cap(monkeypatch, filename):
    monkeypatch.setattr(compounds, "MAX_COMPOUNDS", 20)
    library = read_compound_library(LAYOUTS[filename](carbons(25) + ["C1CC"]), filename)
    assert len(library.compounds) == 20 and [p.field for p in library.problems] == ["file"]


@pytest.mark.parametrize("filename", ["library.csv", "library.smi"])
def test_reading_stops_after_too_many_unreadable_rows(monkeypatch, filename):
    monkeypatch.setattr(compounds, "MAX_ROW_PROBLEMS", 30)
    library = read_compound_library(LAYOUTS[filename](["C1CC"] * 100 + ["CCO"]), filename)
    assert len(library.problems) == 31 and library.compounds == []
    assert library.problems[-1].field == "file" and "30" in library.problems[-1].message
