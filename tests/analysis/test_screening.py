"""Screen analysis on real Boltz-2 output: rows, rankings, hits, descriptors, pocket pLDDT, CSV and SDF."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import gemmi
import numpy as np
import pytest
from rdkit import Chem

from omtx_core.analysis.models import CompoundRow, ScreenSummary
from omtx_core.analysis.poses import pose_molecule
from omtx_core.analysis.screening import (
    CSV_COLUMNS,
    CSV_HEADERS,
    compound_row,
    descriptors,
    is_hit,
    poses_to_sdf,
    rank_compounds,
    rows_to_csv,
    screen_summary,
)
from omtx_core.boltz.outputs import parse_boltz_output
from omtx_core.boltz.results import BoltzPrediction
from tests.boltz_fixture_output import write_prediction

CARAZOLOL = "CC(C)[NH2+]C[C@@H](O)COc1cccc2[nH]c3ccccc3c12"
ASPIRIN = "CC(=O)Oc1ccccc1C(=O)O"
SMILES = {"strong": CARAZOLOL, "weak": "CCO", "x": "c1ccccc1O", "y": "CC(=O)Nc1ccc(O)cc1", "mid": "CCN"}


def screen(results: Path, affinities: dict[str, tuple[float, float]]) -> dict[str, BoltzPrediction]:
    """The carazolol prediction copied once per compound, its affinity JSON set to (value, probability)."""
    runs = {}
    for index, (name, (value, probability)) in enumerate(affinities.items(), start=1):
        run = f"{index:05d}_{name}"
        folder = write_prediction(results, run)
        path = folder / f"affinity_{run}.json"
        data = json.loads(path.read_text())
        # Heads 0.05 apart around the ensemble value, as Boltz's two heads usually are.
        data.update(
            affinity_pred_value=value,
            affinity_pred_value1=value - 0.05,
            affinity_pred_value2=value + 0.05,
            affinity_probability_binary=probability,
            affinity_probability_binary1=probability,
            affinity_probability_binary2=probability,
        )
        path.write_text(json.dumps(data))
        runs[run] = name
    return {runs[p.name]: p for p in parse_boltz_output(results)}


def rows_for(predictions: dict[str, BoltzPrediction]) -> list[CompoundRow]:
    return [compound_row(name, SMILES[name], prediction) for name, prediction in predictions.items()]


def names(rows: list[CompoundRow]) -> list[str]:
    return [row.name for row in rows]


# --- one compound's row -----------------------------------------------------------------------------------


def test_carazolol_row_in_lab_units(carazolol):
    row = compound_row("carazolol", CARAZOLOL, carazolol)
    assert row.status == "done" and row.failure is None
    assert row.affinity_pred_value == pytest.approx(-4.0688, abs=1e-4)
    assert row.pic50 == pytest.approx(10.069, abs=1e-3)  # 6 − (−4.069): a sub-nanomolar binder
    assert row.ic50_nm == pytest.approx(10**-4.068795 * 1000, rel=1e-3)
    assert row.delta_g_kcal_mol == pytest.approx(-10.069 * 1.364, abs=0.01)
    assert row.binder_probability == pytest.approx(0.9988, abs=1e-4)
    assert row.pic50_spread == pytest.approx(abs(-4.1061249 - -4.0314660), abs=1e-3)
    assert row.ligand_iptm == pytest.approx(0.989, abs=1e-3)
    assert 0 < row.iptm <= 1 and 0 < row.confidence_score <= 1
    assert row.heavy_atoms == 22


def test_row_is_json_able_with_plain_numbers(carazolol):
    row = compound_row("carazolol", CARAZOLOL, carazolol, run="c00001_carazolol")
    assert CompoundRow.model_validate_json(row.model_dump_json()) == row
    assert all(type(value) in (str, int, float, type(None)) for value in row.model_dump().values())
    assert row.run == "c00001_carazolol" and row.rank is None


def test_ligand_efficiency_is_kcal_per_heavy_atom(carazolol):
    row = compound_row("carazolol", CARAZOLOL, carazolol)
    assert row.ligand_efficiency == pytest.approx(1.364 * 10.0688 / 22, abs=1e-3)
    assert row.ligand_efficiency == pytest.approx(-row.delta_g_kcal_mol / row.heavy_atoms, abs=1e-3)


def test_pocket_plddt_is_the_cif_b_factor_mean_of_residues_near_the_ligand(carazolol):
    row = compound_row("carazolol", CARAZOLOL, carazolol)
    assert 0 <= row.pocket_plddt <= 100
    # Independent route: lining residues by brute-force distance, their pLDDT from the 0–1 npz array × 100.
    chain_a, chain_l = gemmi.read_structure(str(carazolol.best.structure_path))[0]
    ligand = np.array([[a.pos.x, a.pos.y, a.pos.z] for r in chain_l for a in r])
    lining = [
        index
        for index, residue in enumerate(chain_a)
        if np.min(np.linalg.norm(np.array([[a.pos.x, a.pos.y, a.pos.z] for a in residue])[:, None] - ligand, axis=2))
        <= 6.0
    ]
    assert 10 < len(lining) < 60
    expected = float(np.mean(carazolol.best.plddt[lining])) * 100
    assert row.pocket_plddt == pytest.approx(expected, abs=0.1)


def test_failed_and_pending_rows_keep_descriptors_without_prediction_values():
    failed = compound_row("broken", ASPIRIN, None, failure="Boltz ran out of GPU memory.")
    pending = compound_row("waiting", ASPIRIN, None)
    assert failed.status == "failed" and failed.failure == "Boltz ran out of GPU memory."
    assert pending.status == "pending" and pending.failure is None
    for row in (failed, pending):
        assert row.mw == pytest.approx(180.16, abs=0.01) and row.heavy_atoms == 13
        for key in ("binder_probability", "pic50", "ic50_nm", "affinity_pred_value", "pocket_plddt"):
            assert getattr(row, key) is None
        assert row.ligand_efficiency is None


def test_failure_wins_over_a_partial_prediction(carazolol):
    row = compound_row("carazolol", CARAZOLOL, carazolol, failure="Output files missing.")
    assert row.status == "failed" and row.pic50 is None


# --- descriptors -----------------------------------------------------------------------------------------


def test_aspirin_descriptors_follow_rdkit_lipinski_definitions():
    values = descriptors(ASPIRIN)
    assert values["mw"] == pytest.approx(180.16, abs=0.01)
    assert values["hbd"] == 1
    assert values["hba"] == 3  # rdkit.Chem.Lipinski.NumHAcceptors (CalcNumLipinskiHBA would give 4)
    assert values["tpsa"] == pytest.approx(63.6, abs=0.01)
    assert values["clogp"] == pytest.approx(1.31, abs=0.01)
    assert values["rotatable_bonds"] == 2
    assert values["qed"] == pytest.approx(0.55, abs=0.01)
    assert values["lipinski_violations"] == 0
    assert values["heavy_atoms"] == 13


def test_descriptors_count_rule_of_five_violations_and_survive_bad_smiles():
    assert descriptors(CARAZOLOL)["heavy_atoms"] == 22
    assert descriptors("C" * 40)["lipinski_violations"] == 2  # MW 563, cLogP 15.6
    assert set(descriptors("not a smiles").values()) == {None}
    descriptors(ASPIRIN)["mw"] = 0.0  # callers get a copy: the cache stays right
    assert descriptors(ASPIRIN)["mw"] == pytest.approx(180.16, abs=0.01)


# --- ranking and hits ------------------------------------------------------------------------------------


def test_strong_binder_ranks_first_under_both_rankings(tmp_path):
    rows = rows_for(screen(tmp_path, {"weak": (-1.0, 0.08), "strong": (-4.0, 0.97)}))
    for by in ("probability", "pic50"):
        ranked = rank_compounds(rows, by=by)
        assert names(ranked) == ["strong", "weak"]
        assert [row.rank for row in ranked] == [1, 2]


def test_pic50_ranking_is_not_raw_value_descending(tmp_path):
    rows = rows_for(screen(tmp_path, {"y": (-1.0, 0.9), "x": (-4.0, 0.6)}))
    raw_descending = sorted(rows, key=lambda row: -row.affinity_pred_value)
    assert names(raw_descending) == ["y", "x"]  # the original product's bug: weakest first
    by_pic50 = rank_compounds(rows, by="pic50")
    assert names(by_pic50) == ["x", "y"]
    assert [row.pic50 for row in by_pic50] == [pytest.approx(10.0), pytest.approx(7.0)]
    assert names(rank_compounds(rows, by="probability")) == ["y", "x"]  # hit discovery trusts probability


def test_ties_break_on_the_other_score(tmp_path):
    rows = rows_for(screen(tmp_path, {"weak": (-1.0, 0.8), "strong": (-3.0, 0.8), "mid": (-2.0, 0.9)}))
    assert names(rank_compounds(rows, by="probability")) == ["mid", "strong", "weak"]
    rows = [row.model_copy(update={"pic50": 7.0}) for row in rows]
    assert names(rank_compounds(rows, by="pic50")) == ["mid", "weak", "strong"]


def test_rows_without_scores_go_last_done_then_failed_then_pending(tmp_path, carazolol):
    done = rows_for(screen(tmp_path, {"weak": (-1.0, 0.1)}))
    no_affinity = compound_row("no_affinity", "CCC", BoltzPrediction("n", carazolol.folder, [], carazolol.models, None))
    rows = [
        compound_row("waiting", "CCCC", None),
        compound_row("broken", ASPIRIN, None, failure="MSA server unreachable."),
        no_affinity,
        *done,
    ]
    for by in ("probability", "pic50"):
        ranked = rank_compounds(rows, by=by)
        assert names(ranked) == ["weak", "no_affinity", "broken", "waiting"]
        assert [row.rank for row in ranked] == [1, 2, 3, 4]
    assert rows[0].rank is None  # the input rows are not changed


def test_rank_by_anything_else_is_refused():
    with pytest.raises(ValueError, match="probability"):
        rank_compounds([], by="affinity_pred_value")  # type: ignore[arg-type]


def test_hit_calls_and_summary_with_a_threshold(tmp_path):
    affinities = {"strong": (-4.0, 0.97), "mid": (-2.0, 0.6), "weak": (-1.0, 0.08)}
    rows = [*rows_for(screen(tmp_path, affinities)), compound_row("broken", ASPIRIN, None, failure="Out of memory.")]
    assert [is_hit(row) for row in rows] == [True, True, False, False]
    summary = screen_summary(rows)
    assert summary.model_dump() == {
        "n_compounds": 4,
        "n_done": 3,
        "n_failed": 1,
        "n_pending": 0,
        "n_hits": 2,
        "hit_rate": pytest.approx(2 / 3, abs=1e-4),
        "best_pic50": pytest.approx(10.0),
        "median_pic50": pytest.approx(8.0),
        "best_compound": "strong",
        "threshold": 0.5,
        "most_probable_compound": "strong",
        "most_probable_probability": pytest.approx(0.97),
    }
    strict = screen_summary(rows, hit_threshold=0.9)
    assert strict.n_hits == 1 and strict.hit_rate == pytest.approx(1 / 3, abs=1e-4)
    assert strict.threshold == 0.9
    assert ScreenSummary.model_validate_json(summary.model_dump_json()) == summary


def test_summary_of_a_screen_with_nothing_finished():
    summary = screen_summary([compound_row("waiting", ASPIRIN, None)])
    assert summary.n_pending == 1 and summary.n_hits == 0
    assert summary.hit_rate is None and summary.best_compound is None and summary.median_pic50 is None


# --- CSV -------------------------------------------------------------------------------------------------


def test_csv_has_every_column_in_ranked_order(tmp_path):
    rows = rows_for(screen(tmp_path, {"weak": (-1.0, 0.08), "strong": (-4.0, 0.97)}))
    rows.insert(0, compound_row("broken", ASPIRIN, None, failure="Out of memory."))
    text = rows_to_csv(rank_compounds(rows, by="pic50"))
    records = list(csv.DictReader(io.StringIO(text)))
    assert tuple(records[0].keys()) == CSV_HEADERS
    assert set(CSV_COLUMNS) == set(rows[1].model_dump()) - {"run"}  # the CSV leaves no row key out but the run
    assert [r["name"] for r in records] == ["strong", "weak", "broken"]
    assert [r["rank"] for r in records] == ["1", "2", "3"]
    strong = records[0]
    assert float(strong["pic50"]) == pytest.approx(10.0)
    assert float(strong["affinity_pred_value"]) == pytest.approx(-4.0)
    assert float(strong["ic50_nm"]) == pytest.approx(0.1)
    assert strong["smiles"] == CARAZOLOL and strong["heavy_atoms"] == "22"
    assert records[2]["status"] == "failed" and records[2]["pic50"] == "" and records[2]["failure"] == "Out of memory."


def test_csv_ranks_unranked_rows_by_probability(tmp_path):
    rows = rows_for(screen(tmp_path, {"x": (-4.0, 0.6), "y": (-1.0, 0.9)}))
    records = list(csv.DictReader(io.StringIO(rows_to_csv(rows))))
    assert [r["name"] for r in records] == ["y", "x"]


# --- SDF of predicted poses ------------------------------------------------------------------------------


def test_carazolol_pose_sdf_reads_back_with_the_template_bond_orders(carazolol):
    props = {"pIC50": 10.069, "probability": 0.9988}
    sdf, problems = poses_to_sdf([("carazolol", CARAZOLOL, carazolol.best.structure_path, "L", props)])
    (mol,) = _read_sdf(sdf)
    assert mol is not None and mol.GetNumHeavyAtoms() == 22
    template = Chem.MolFromSmiles(CARAZOLOL)
    assert Chem.MolToSmiles(mol, isomericSmiles=False) == Chem.MolToSmiles(template, isomericSmiles=False)
    assert sum(a.GetIsAromatic() for a in mol.GetAtoms()) == sum(a.GetIsAromatic() for a in template.GetAtoms()) == 13
    assert Chem.GetFormalCharge(mol) == 1  # the protonated amine survives
    assert mol.GetProp("_Name") == "carazolol" and mol.GetProp("SMILES") == CARAZOLOL
    assert float(mol.GetProp("pIC50")) == pytest.approx(10.069) and float(mol.GetProp("probability")) == 0.9988
    coords = mol.GetConformer().GetPositions()
    assert coords[0] == pytest.approx([-15.23278, 10.26696, -8.18559], abs=1e-3)  # the CIF's first LIG1 atom
    # This Boltz-2 pose puts the alcohol carbon in the opposite configuration from the input: say so.
    assert problems == [
        "carazolol: the predicted pose inverts the stereochemistry of the input SMILES at "
        "atom 6 (C): R in the SMILES, S in the pose."
    ]


def test_pose_matching_the_input_stereo_has_no_warning(carazolol):
    mol, warning = pose_molecule(CARAZOLOL.replace("@@", "@"), carazolol.best.structure_path, "L")
    assert warning is None and mol.GetNumAtoms() == 22


def test_unmatched_poses_are_skipped_and_reported(carazolol):
    path = carazolol.best.structure_path
    sdf, problems = poses_to_sdf(
        [
            ("aspirin", ASPIRIN, path, "L"),
            ("propyl", "CCC[NH2+]CC(O)COc1cccc2[nH]c3ccccc3c12", path, "L"),  # same atoms, other skeleton
            ("no_ligand", CARAZOLOL, path, "B"),
            ("carazolol", CARAZOLOL.replace("@@", "@"), path, "L"),
        ]
    )
    records = _read_sdf(sdf)  # a skipped compound stays as a record without atoms, saying why
    assert [(m.GetProp("_Name"), m.GetNumAtoms()) for m in records] == [
        ("aspirin", 0), ("propyl", 0), ("no_ligand", 0), ("carazolol", 22)
    ]  # fmt: skip
    assert records[0].GetProp("pose_skipped") == "chain L has 22 heavy atoms in the model, the SMILES has 13."
    assert problems[0] == "aspirin: pose skipped, chain L has 22 heavy atoms in the model, the SMILES has 13."
    assert problems[1].startswith("propyl: pose skipped, the bonds in the model do not match the SMILES")
    assert problems[2] == "no_ligand: pose skipped, the model has no ligand atoms in chain B."
    assert len(problems) == 3


def _read_sdf(text: str) -> list:
    supplier = Chem.SDMolSupplier()
    supplier.SetData(text)
    return list(supplier)
