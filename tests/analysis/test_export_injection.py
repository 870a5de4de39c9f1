"""Screen exports open safely: no CSV cell runs as a spreadsheet formula, no SDF name splits a record."""

from __future__ import annotations

import csv
import io

import pytest
from rdkit import Chem

from omtx_core.analysis.models import CompoundRow
from omtx_core.analysis.poses import poses_to_sdf
from omtx_core.analysis.screening import rows_to_csv
from tests.examples import ASPIRIN

CARAZOLOL = "CC(C)[NH2+]C[C@@H](O)COc1cccc2[nH]c3ccccc3c12"
# Text a spreadsheet would run as a formula (OWASP's list: = + - @ tab carriage return), and a record separator.
FORMULAS = ['=HYPERLINK("http://x")', "+1", "-2+3", "@SUM(1)", "\tx", "\rx"]
SEPARATOR = "a\n$$$$\nb"


def row(name: str, rank: int, failure: str | None = None) -> CompoundRow:
    return CompoundRow(
        name=name, smiles=ASPIRIN, status="done", rank=rank, failure=failure, pic50=10.07, binder_probability=0.99,
        affinity_pred_value=-4.07, delta_g_kcal_mol=-13.73, clogp=-0.5,
    )  # fmt: skip


def test_ranked_csv_quotes_formula_text_but_keeps_negative_numbers():
    names = [*FORMULAS, SEPARATOR]
    rows = [row(name, rank, failure="=cmd|' /C calc'!A0") for rank, name in enumerate(names, 1)]
    records = list(csv.DictReader(io.StringIO(rows_to_csv(rows), newline="")))
    assert [r["name"] for r in records] == [f"'{name}" for name in FORMULAS] + [SEPARATOR]
    assert {r["failure"] for r in records} == {"'=cmd|' /C calc'!A0"}
    for record in records:  # numbers are never quoted: -4.07 must stay a number for the scientist
        assert (record["affinity_pred_value"], record["delta_g_kcal_mol"], record["clogp"]) == (
            "-4.07",
            "-13.73",
            "-0.5",
        )
        assert float(record["pic50"]) == pytest.approx(10.07)


def test_sdf_names_and_properties_cannot_split_a_record(carazolol):
    path = carazolol.best.structure_path
    props = {"pIC50": 10.07, "note": "x\r\n$$$$\n> <evil>\ny"}
    sdf, problems = poses_to_sdf([(SEPARATOR, CARAZOLOL, path, "L", props), ("second", CARAZOLOL, path, "L")])
    assert [line for line in sdf.splitlines() if line.startswith("$$$$")] == ["$$$$", "$$$$"]
    supplier = Chem.SDMolSupplier()
    supplier.SetData(sdf)
    first, second = list(supplier)
    assert first.GetProp("_Name") == first.GetProp("name") == "a $$$ b"
    assert first.GetProp("note") == "x $$$ > <evil> y" and float(first.GetProp("pIC50")) == pytest.approx(10.07)
    assert second.GetProp("_Name") == "second" and not second.HasProp("evil")
