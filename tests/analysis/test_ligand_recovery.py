"""Ligand SMILES from heavy-atom coordinates: exact on good poses, tolerant of distorted ones, never a wrong guess."""

from __future__ import annotations

import gemmi
import numpy as np
import pytest
from rdkit import Chem
from rdkit.Chem import AllChem

from omtx_core.analysis.ligands import recover_smiles, smiles_from_coordinates
from tests.boltz_fixture_output import AFFINITY_CASE, AFFINITY_NAME

# Neutral carazolol with the stereo centre of the predicted pose (the submitted SMILES was the protonated R form).
CARAZOLOL_AS_PREDICTED = "CC(C)NC[C@H](O)COc1cccc2[nH]c3ccccc3c12"
STRUCTURE = AFFINITY_CASE / "predictions" / AFFINITY_NAME / f"{AFFINITY_NAME}_model_0.cif"


def pose(smiles: str, sigma: float = 0.0, seed: int = 0) -> list[tuple[str, list[float]]]:
    """Heavy atoms of an MMFF conformer (bond lengths as in real structures, which Boltz learned from), each moved
    by Gaussian noise of `sigma` Å per coordinate, as a predicted pose is distorted."""
    mol = Chem.AddHs(Chem.MolFromSmiles(smiles))
    AllChem.EmbedMolecule(mol, randomSeed=7)
    AllChem.MMFFOptimizeMolecule(mol)
    positions = mol.GetConformer().GetPositions()
    noise = np.random.default_rng(seed)
    heavy = [atom for atom in mol.GetAtoms() if atom.GetAtomicNum() > 1]
    return [(a.GetSymbol(), list(positions[a.GetIdx()] + noise.normal(0.0, sigma, 3))) for a in heavy]


def flat(smiles: str) -> str:
    """Canonical SMILES without stereo: a pose decides stereo centres the test SMILES leaves open."""
    mol = Chem.MolFromSmiles(smiles)
    Chem.RemoveStereochemistry(mol)
    return Chem.MolToSmiles(mol)


def fixture_ligand(sigma: float = 0.0, seed: int = 0) -> list[tuple[str, list[float]]]:
    residue = gemmi.read_structure(str(STRUCTURE))[0]["L"][0]
    noise = np.random.default_rng(seed)
    return [(a.element.name, list(np.array(a.pos.tolist()) + noise.normal(0.0, sigma, 3))) for a in residue]


@pytest.mark.parametrize(
    "smiles",
    ["CC(=O)Oc1ccccc1C(=O)O", "O=[N+]([O-])c1ccccc1", "O=c1cccc[nH]1", "Cc1cc(NS(=O)(=O)c2ccc(N)cc2)no1"],
)
def test_smiles_from_heavy_atom_coordinates(smiles):
    assert smiles_from_coordinates(pose(smiles)) == Chem.MolToSmiles(Chem.MolFromSmiles(smiles))


def test_the_carazolol_pose_gives_carazolol_and_says_how():
    recovered = recover_smiles(fixture_ligand())
    assert recovered.smiles == CARAZOLOL_AS_PREDICTED
    assert recovered.method.startswith("bond orders perceived from the predicted geometry")
    assert "tolerance" not in recovered.method  # a pose as good as this one needs none


@pytest.mark.parametrize(
    ("smiles", "sigma", "seed"),
    [
        ("CC1=C(C(=O)OC)C(c2ccccc2[N+](=O)[O-])C(C(=O)OC)=C(C)N1", 0.0, 0),  # before: None (nitro in a big ligand)
        ("Nc1nc(N)c2nc[nH]c2n1", 0.0, 0),  # before: Nc1nc2ncnc-2c(N)[nH]1, a wrong tautomer
        ("O=[N+]([O-])c1ccccc1", 0.03, 0),  # before: None
        ("CC(C)Cc1ccc(cc1)C(C)C(=O)O", 0.03, 2),  # before: a gem-diol, C(O)O
        ("N#Cc1ccccc1", 0.03, 1),  # before: N=Cc1ccccc1
        ("CC(=O)C=C", 0.03, 0),  # before: CCC(C)O
        ("O=C(Nc1ccccc1)c1ccccc1", 0.03, 2),  # before: the imidic acid O/C(=N/c1ccccc1)c1ccccc1
        ("Cn1cnc2c1c(=O)n(C)c(=O)n2C", 0.03, 0),  # before: CN1[CH-]Nc2c1c(O)n(C)c(=O)[n+]2C
    ],
)
def test_bond_orders_survive_the_distortion_of_predicted_poses(smiles, sigma, seed):
    recovered = recover_smiles(pose(smiles, sigma, seed))
    assert recovered is not None and flat(recovered.smiles) == flat(smiles)


@pytest.mark.parametrize("seed", range(4))
def test_the_carazolol_pose_distorted_still_gives_carazolol(seed):
    assert smiles_from_coordinates(fixture_ligand(0.05, seed)) == CARAZOLOL_AS_PREDICTED


@pytest.mark.parametrize(
    ("smiles", "seed"),
    [
        ("CC(=O)Oc1ccccc1C(=O)O", 2),  # before: CC(=O)OC1=CCCC[C@H]1C(=O)O, a ring made saturated
        ("CC(C)NCC(O)COc1cccc2[nH]c3ccccc3c12", 2),  # before: CC(C)=NC..., an imine
        ("c1ccoc1", 0),  # before: c1c2oc=2c#1
    ],
)
def test_a_pose_too_distorted_for_any_structure_gives_none_rather_than_a_wrong_molecule(smiles, seed):
    assert recover_smiles(pose(smiles, 0.1, seed)) is None


def test_a_distorted_pose_says_it_needed_tolerance():
    nifedipine = "CC1=C(C(=O)OC)C(c2ccccc2[N+](=O)[O-])C(C(=O)OC)=C(C)N1"
    recovered = recover_smiles(pose(nifedipine, 0.03, 0))
    assert flat(recovered.smiles) == flat(nifedipine)
    assert "with tolerance: 1 distorted atom(s)" in recovered.method and "N⁺/O⁻" in recovered.method


def test_smiles_from_impossible_coordinates_gives_up():
    around = [(1.5, 0, 0), (-1.5, 0, 0), (0, 1.5, 0), (0, -1.5, 0), (0, 0, 1.5), (0, 0, -1.5)]
    assert smiles_from_coordinates([("C", [0, 0, 0]), *(("C", list(p)) for p in around)]) is None
