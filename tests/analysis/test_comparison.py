"""Comparing predictions: superposition recovers a rigid motion, metric rows and best marks, CSV, unrelated chains."""

from __future__ import annotations

import csv
import io
import math
import shutil
from pathlib import Path

import gemmi
import numpy as np
import pytest

from omtx_core.analysis.comparison import (
    Entry,
    chain_plddt,
    comparison_csv,
    metric_rows,
    superpose,
    unique_names,
)
from omtx_core.boltz.outputs import parse_boltz_output, summarize_prediction
from tests.boltz_fixture_output import AFFINITY_CASE, AFFINITY_NAME, FIXTURES

PMHC = FIXTURES / "BOLTZ1_multichain_pmhc_4chain" / "boltz_results_input_folder"
ANGLE = math.radians(70.0)
SHIFT = (12.5, -30.0, 7.25)


def rotated_copy(target: Path) -> Path:
    """The carazolol output folder copied to `target`, its model moved rigidly (70° about a skew axis, shifted)."""
    shutil.copytree(AFFINITY_CASE, target)
    cif = target / "predictions" / AFFINITY_NAME / f"{AFFINITY_NAME}_model_0.cif"
    structure = gemmi.read_structure(str(cif))
    axis = np.array([1.0, 2.0, 3.0]) / math.sqrt(14.0)
    k = np.array([[0, -axis[2], axis[1]], [axis[2], 0, -axis[0]], [-axis[1], axis[0], 0]])
    rotation = np.eye(3) + math.sin(ANGLE) * k + (1 - math.cos(ANGLE)) * k @ k  # Rodrigues
    structure[0].transform_pos_and_adp(gemmi.Transform(gemmi.Mat33(rotation.tolist()), gemmi.Vec3(*SHIFT)))
    structure.make_mmcif_document().write_file(str(cif))
    return target


def entry(folder: Path, name: str, details=()) -> Entry:
    prediction = parse_boltz_output(folder)[0]
    chain = next(c.id for c in prediction.chains if c.type == "protein")
    return Entry(name, summarize_prediction(prediction), prediction, chain, tuple(details))


def ca_coords(structure: gemmi.Structure, chain: str) -> np.ndarray:
    return np.array([r["CA"][0].pos.tolist() for r in structure[0][chain] if r.find_atom("CA", "*")])


@pytest.fixture(scope="module")
def carazolol() -> Entry:
    return entry(AFFINITY_CASE, "b2AR carazolol", [("Task", "Binding")])


@pytest.fixture(scope="module")
def pmhc() -> Entry:
    return entry(PMHC, "pMHC", [("Task", "Complex")])


def test_a_rigidly_moved_copy_is_superposed_back_exactly(carazolol, tmp_path):
    moved = entry(rotated_copy(tmp_path / "moved"), "moved copy")
    original = ca_coords(gemmi.read_structure(str(carazolol.prediction.best.structure_path)), "A")
    before = ca_coords(gemmi.read_structure(str(moved.prediction.best.structure_path)), "A")
    assert np.abs(before - original).max() > 10.0  # the copy really is elsewhere

    [result] = superpose([carazolol, moved])
    assert result.structure is not None and not result.note
    assert result.rmsd is not None and result.rmsd < 0.01
    assert result.tm_score == pytest.approx(1.0, abs=1e-3)
    assert result.identity == 1.0 and result.aligned == len(original)
    back = gemmi.make_structure_from_block(gemmi.cif.read_string(result.structure).sole_block())
    assert np.abs(ca_coords(back, "A") - original).max() < 0.01  # every atom, not only the score, is back
    ligand = [a.pos for r in back[0]["L"] for a in r]
    reference = [a.pos for r in gemmi.read_structure(str(carazolol.prediction.best.structure_path))[0]["L"] for a in r]
    assert max(p.dist(q) for p, q in zip(ligand, reference, strict=True)) < 0.01  # the ligand moves with it


def test_unrelated_proteins_are_compared_but_not_superposed(carazolol, pmhc):
    [result] = superpose([carazolol, pmhc])
    assert result.structure is None and result.rmsd is None
    assert result.identity is not None and result.identity < 0.3
    assert "pMHC is not superposed" in result.note and "b2AR carazolol" in result.note
    assert "different protein" in result.note


def test_metric_rows_put_values_side_by_side_and_mark_the_best(carazolol, pmhc):
    rows = {row.label: row for row in metric_rows([carazolol, pmhc])}
    pic50 = rows["pIC50"]
    assert pic50.shown(0) == "10.07" and pic50.values[1] is None and pic50.best is None  # one value: no best
    assert rows["IC50 (nM)"].shown(0) == "0.0854"
    assert rows["ΔG (kcal/mol)"].shown(0) == "-13.73"
    assert rows["Mean pLDDT (0–100)"].shown(0) == "78.9" and rows["Mean pLDDT (0–100)"].shown(1) == "95.4"
    assert rows["Confidence score (0–1)"].best == 1 and rows["ipTM (0–1)"].best == 0
    assert rows["Binder probability (0–1)"].shown(0) == "0.999"
    # Lower is better for IC50 and ΔG: compared against a weaker copy, the fixture is best.
    weaker = carazolol.run.model_copy(
        update={"affinity": carazolol.run.affinity.model_copy(update={"ic50_nm": 5.0, "delta_g_kcal_mol": -9.0})}
    )
    rows = {r.label: r for r in metric_rows([Entry("weak", weaker, carazolol.prediction, "A"), carazolol])}
    assert rows["IC50 (nM)"].best == 1 and rows["ΔG (kcal/mol)"].best == 1


def test_structure_only_comparisons_have_no_affinity_rows(pmhc):
    labels = [row.label for row in metric_rows([pmhc, pmhc])]
    assert labels == ["Confidence score (0–1)", "pTM (0–1)", "ipTM (0–1)", "Mean pLDDT (0–100)"]
    assert all(row.best is None for row in metric_rows([pmhc, pmhc]))  # equal values: nothing is best


def test_csv_has_one_column_per_entry_and_neutralises_formulas(carazolol, pmhc):
    hostile = Entry("=HYPERLINK(1)", pmhc.run, pmhc.prediction, pmhc.chain, (("Task", "+Complex"),))
    text = comparison_csv([carazolol, hostile], metric_rows([carazolol, hostile]))
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["Metric", "b2AR carazolol", "'=HYPERLINK(1)", "Best"]
    by_label = {row[0]: row[1:] for row in rows[1:]}
    assert by_label["Task"] == ["Binding", "'+Complex", ""]
    assert by_label["pIC50"][0].startswith("10.068") and by_label["pIC50"][1:] == ["", ""]
    assert by_label["ΔG (kcal/mol)"][0].startswith("-13.73")  # numbers stay numbers, minus sign and all
    assert by_label["Confidence score (0–1)"][2] == "'=HYPERLINK(1)"  # the best entry, named safely
    assert text.count("\r\n") == len(rows)


def test_names_repeat_as_distinct_columns_and_plddt_tracks_are_per_residue(carazolol, pmhc):
    assert unique_names(["a", "b", "a", "a"]) == ["a", "b", "a (2)", "a (3)"]
    track = chain_plddt(carazolol.prediction, "A")
    assert len(track) == 413 and track.min() >= 0 and track.max() <= 100 and track.mean() > 1.0  # 0–100
    assert len(chain_plddt(pmhc.prediction, "A")) == 144
