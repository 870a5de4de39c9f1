"""Variant vs wild type on real Boltz fixtures and on built structures with a known displacement."""

from __future__ import annotations

import dataclasses
import math
import shutil
from pathlib import Path

import gemmi
import numpy as np
import pytest

from omtx_core.analysis.models import VariantComparison
from omtx_core.analysis.variants import SINGLE_SAMPLE_NOTE, compare_structures, compare_to_wildtype
from omtx_core.boltz.outputs import parse_boltz_output
from omtx_core.boltz.results import BoltzPrediction
from omtx_core.errors import InputError

PMHC = "BOLTZ1_multichain_pmhc_4chain"
CARAZOLOL = "protein_ligand_affinity_b2ar_carazolol"
HLA_RANGE = slice(144, 420)  # chain B's tokens: after the 144-residue binder


def _best_first(prediction: BoltzPrediction, rank: int) -> BoltzPrediction:
    """The same prediction with sample `rank` moved to the front, as if it were the best one."""
    models = [prediction.models[rank], *(m for m in prediction.models if m.rank != rank)]
    return dataclasses.replace(prediction, models=models)


def _trace(n: int) -> np.ndarray:
    """A winding Cα trace with 3.8 Å steps; not periodic, so TM-align has only one right alignment."""
    # (An ideal helix repeats every 18 residues, so a shifted alignment would score as well.)
    rng = np.random.default_rng(7)
    direction = np.array([1.0, 0.0, 0.0])
    points = [np.zeros(3)]
    for _ in range(n - 1):
        direction = direction + rng.normal(scale=0.6, size=3)
        direction /= np.linalg.norm(direction)
        points.append(points[-1] + 3.8 * direction)
    return np.array(points)


def _write_ca_chain(path: Path, coords: np.ndarray, names: list[str]) -> Path:
    structure = gemmi.Structure()
    model = gemmi.Model("1")
    chain = gemmi.Chain("A")
    for number, (xyz, name) in enumerate(zip(coords, names, strict=True), start=1):
        residue = gemmi.Residue()
        residue.name = name
        residue.seqid = gemmi.SeqId(number, " ")
        atom = gemmi.Atom()
        atom.name, atom.element, atom.pos = "CA", gemmi.Element("C"), gemmi.Position(*xyz)
        residue.add_atom(atom)
        chain.add_residue(residue)
    model.add_chain(chain)
    structure.add_model(model)
    structure.setup_entities()
    structure.write_pdb(str(path))
    return path


def _rigid_move(coords: np.ndarray) -> np.ndarray:
    """Rotate 40° about z and shift, so that the comparison must superpose to find the change."""
    angle = np.radians(40.0)
    rotation = np.array([[np.cos(angle), -np.sin(angle), 0], [np.sin(angle), np.cos(angle), 0], [0, 0, 1]])
    return coords @ rotation.T + np.array([12.0, -3.0, 7.5])


# --- a prediction against itself -----------------------------------------------------------------


def test_carazolol_against_itself_shows_no_change(carazolol: BoltzPrediction) -> None:
    result = compare_to_wildtype(carazolol, carazolol, [(2, "G", "G")], chain="A")
    assert result.tm_score == pytest.approx(1.0, abs=1e-3)
    assert result.rmsd_A == pytest.approx(0.0, abs=1e-3)
    assert len(result.per_residue_deviation_A) == len(result.per_residue_plddt_change) == 413
    assert result.residue_numbers == list(range(1, 414))
    assert all(value == pytest.approx(0.0, abs=1e-3) for value in result.per_residue_deviation_A)
    assert all(value == 0.0 for value in result.per_residue_plddt_change)
    (site,) = result.site_deviation
    assert site.mutation == "G2G" and 2 in site.residues
    assert site.mean_A == pytest.approx(0.0, abs=1e-3) and site.max_A == pytest.approx(0.0, abs=1e-3)
    assert result.delta_binder_probability == 0.0 and result.delta_pic50 == 0.0
    assert result.noise is None and result.below_noise is None
    assert SINGLE_SAMPLE_NOTE in result.note
    assert VariantComparison.model_validate_json(result.model_dump_json()) == result


def test_affinity_change_is_variant_minus_wildtype_in_pic50(carazolol: BoltzPrediction) -> None:
    weaker = dataclasses.replace(
        carazolol.affinity,
        affinity_pred_value=carazolol.affinity.affinity_pred_value + 1.0,  # ten times the IC50
        affinity_probability_binary=carazolol.affinity.affinity_probability_binary - 0.25,
    )
    result = compare_to_wildtype(carazolol, dataclasses.replace(carazolol, affinity=weaker), [], chain="A")
    assert result.delta_pic50 == pytest.approx(-1.0, abs=1e-3)
    assert result.delta_binder_probability == pytest.approx(-0.25, abs=1e-3)
    no_ligand = compare_to_wildtype(carazolol, dataclasses.replace(carazolol, affinity=None), [], chain="A")
    assert no_ligand.delta_pic50 is None and no_ligand.delta_binder_probability is None


def test_a_mutation_that_does_not_match_the_structures_is_refused(carazolol: BoltzPrediction) -> None:
    with pytest.raises(InputError) as caught:
        compare_to_wildtype(carazolol, carazolol, [(2, "K", "A")], chain="A")
    assert "position 2 of chain A is G in the wild type prediction, not K" in caught.value.problems[0].message
    with pytest.raises(InputError, match="no position 900"):
        compare_to_wildtype(carazolol, carazolol, [(900, "G", "A")], chain="A")


# --- two diffusion samples of the 4-chain complex ------------------------------------------------


def test_two_samples_differ_a_little(pmhc: BoltzPrediction) -> None:
    result = compare_structures(pmhc.models[0].structure_path, pmhc.models[1].structure_path, "B")
    assert 0.9 < result.tm_score < 1.0
    assert result.rmsd_A > 0
    deviations = result.per_residue_deviation_A
    assert len(deviations) == 276 and all(math.isfinite(value) and value >= 0 for value in deviations)
    assert max(deviations) > 0


def test_plddt_change_uses_the_chain_tokens_times_100(pmhc: BoltzPrediction) -> None:
    result = compare_to_wildtype(pmhc, _best_first(pmhc, 1), [], chain="B")
    expected = (pmhc.models[1].plddt[HLA_RANGE] - pmhc.models[0].plddt[HLA_RANGE]) * 100.0
    assert result.per_residue_plddt_change == pytest.approx(expected.tolist(), abs=1e-3)
    assert any(value != 0 for value in result.per_residue_plddt_change)


def test_a_change_between_samples_is_judged_below_noise(pmhc: BoltzPrediction) -> None:
    # Sample 1 as the "variant": its difference from sample 0 is one of the wild type's sample pairs.
    result = compare_to_wildtype(pmhc, _best_first(pmhc, 1), [(7, "Y", "Y")], chain="B")
    noise = result.noise
    assert noise.samples == {"wildtype": 3, "variant": 3}
    assert noise.sample_pairs == 4  # the wild type's 3 pairs and the variant's samples 0 and 2 (not 1, compared)
    assert 0 < noise.rmsd_mean_A <= noise.rmsd_max_A
    assert result.rmsd_A <= noise.rmsd_max_A
    assert len(noise.per_residue_spread_A) == 276
    assert result.below_noise is True
    assert "within the spread between diffusion samples" in result.note
    assert "no detectable structural effect" in result.note


def test_a_large_local_change_is_judged_above_noise(tmp_path: Path, fixtures_dir: Path, pmhc: BoltzPrediction) -> None:
    copy = parse_boltz_output(shutil.copytree(fixtures_dir / PMHC, tmp_path / PMHC))[0]
    structure = gemmi.read_structure(str(copy.best.structure_path))
    for atom in structure[0]["B"][49]:  # residue 50 of the heavy chain, moved 6 Å as a whole
        atom.pos = gemmi.Position(atom.pos.x + 6.0, atom.pos.y, atom.pos.z)
    structure.make_mmcif_document().write_file(str(copy.best.structure_path))
    name = structure[0]["B"][49].name
    letter = gemmi.find_tabulated_residue(name).one_letter_code.upper()
    variant = dataclasses.replace(copy, models=[copy.best])  # one sample: the noise comes from the wild type

    result = compare_to_wildtype(pmhc, variant, [(50, letter, letter)], chain="B")
    assert result.noise.samples == {"wildtype": 3, "variant": 1}
    assert result.noise.sample_pairs == 3
    assert result.per_residue_deviation_A[49] == pytest.approx(6.0, abs=0.3)
    assert result.site_deviation[0].max_A == pytest.approx(6.0, abs=0.3)
    assert result.below_noise is False
    assert "exceeds the spread between diffusion samples" in result.note


# --- built structures with a known displacement --------------------------------------------------


def test_one_displaced_residue_shows_at_its_position(tmp_path: Path) -> None:
    coords = _trace(40)
    names = ["ALA"] * 40
    wildtype = _write_ca_chain(tmp_path / "wt.pdb", coords, names)
    moved = coords.copy()
    moved[14] += np.array([0.0, 0.0, 3.0])  # residue 15 pushed 3 Å
    variant = _write_ca_chain(tmp_path / "var.pdb", _rigid_move(moved), names[:14] + ["GLY"] + names[15:])

    result = compare_structures(wildtype, variant, "A", [(15, "A", "G"), (35, "A", "A")])
    deviations = np.array(result.per_residue_deviation_A)
    assert int(np.argmax(deviations)) == 14
    assert deviations[14] == pytest.approx(3.0, abs=0.1)
    assert np.delete(deviations, 14).max() < 0.1

    near, far = result.site_deviation
    assert near.mutation == "A15G" and near.position == 15
    within = np.flatnonzero(np.linalg.norm(coords - coords[14], axis=1) <= 8.0) + 1
    assert near.residues == within.tolist() and 15 in near.residues
    assert near.max_A == pytest.approx(3.0, abs=0.1)
    assert near.mean_A == pytest.approx(3.0 / len(near.residues), abs=0.1)
    assert 15 not in far.residues and far.max_A < 0.1  # residue 35 is more than 8 Å from residue 15


def test_chains_of_different_length_pair_up_by_the_alignment(tmp_path: Path) -> None:
    coords = _trace(40)
    wildtype = _write_ca_chain(tmp_path / "wt.pdb", coords, ["ALA"] * 40)
    shorter = _write_ca_chain(tmp_path / "short.pdb", _rigid_move(coords[:36]), ["ALA"] * 36)
    result = compare_structures(wildtype, shorter, "A")
    deviations = result.per_residue_deviation_A
    assert len(deviations) == 40
    assert all(value is not None and value < 0.1 for value in deviations[:36])
    assert deviations[36:] == [None] * 4
    assert result.tm_score < 1.0  # normalised by the 40 wild-type residues


# --- the noise band leaves out the model being compared ----------------------------------------------------


def _with_residue_moved(tmp_path: Path, fixtures_dir: Path, index: int, shift: float) -> tuple[BoltzPrediction, str]:
    """A copy of the complex whose best model has residue `index + 1` of chain B moved `shift` Å along x."""
    copy = parse_boltz_output(shutil.copytree(fixtures_dir / PMHC, tmp_path / PMHC))[0]
    structure = gemmi.read_structure(str(copy.best.structure_path))
    for atom in structure[0]["B"][index]:
        atom.pos = gemmi.Position(atom.pos.x + shift, atom.pos.y, atom.pos.z)
    structure.make_mmcif_document().write_file(str(copy.best.structure_path))
    return copy, gemmi.find_tabulated_residue(structure[0]["B"][index].name).one_letter_code.upper()


def test_the_compared_model_is_left_out_of_the_variants_noise(tmp_path: Path, fixtures_dir: Path, pmhc) -> None:
    # The variant's best model carries a 6 Å change at residue 50; its other two samples are ordinary. Were the best
    # model one of the variant's sample pairs, its own change would set the band it is judged against (6.10 Å here,
    # so the 6 Å change was called noise).
    variant, letter = _with_residue_moved(tmp_path, fixtures_dir, 49, -6.0)
    assert len(variant.models) == 3

    result = compare_to_wildtype(pmhc, variant, [(50, letter, letter)], chain="B")
    noise = result.noise
    assert noise.samples == {"wildtype": 3, "variant": 3}
    assert noise.sample_pairs == 4  # the wild type's 3 pairs and the variant's samples 2 and 3; never its best
    assert noise.compared_model_excluded is True
    assert result.site_deviation[0].max_A == pytest.approx(6.0, abs=0.3)
    assert noise.per_residue_spread_A[49] < 2.0  # the ordinary spread, not the 6 Å change itself
    assert result.below_noise is False
    assert "exceeds the spread between diffusion samples" in result.note
    assert "variant's 2 other samples" in result.note


def test_two_variant_samples_and_one_wildtype_sample_give_no_noise_band(pmhc) -> None:
    # The variant's only other sample makes no pair; its best model, the one compared, may not make one.
    wildtype = dataclasses.replace(pmhc, models=[pmhc.models[0]])
    variant = dataclasses.replace(pmhc, models=list(pmhc.models[1:]))

    result = compare_to_wildtype(wildtype, variant, [], chain="B")
    assert result.noise is None and result.below_noise is None
    assert SINGLE_SAMPLE_NOTE in result.note
