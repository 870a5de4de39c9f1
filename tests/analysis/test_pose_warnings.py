"""Pose warnings travel with the poses: on the compound's row, in its SDF record, and for every skipped compound."""

from __future__ import annotations

import csv
import io

from rdkit import Chem
from rdkit.Chem import AllChem

from omtx_core.analysis.poses import _stereo_warning, pose_molecule, poses_to_sdf
from omtx_core.analysis.screening import compound_row, rows_to_csv
from tests.examples import ASPIRIN, CARAZOLOL

INVERTED = (
    "the predicted pose inverts the stereochemistry of the input SMILES at atom 6 (C): R in the SMILES, S in the pose."
)
ASPIRIN_SKIPPED = "pose skipped, chain L has 22 heavy atoms in the model, the SMILES has 13."


def test_an_unspecified_centre_is_not_compared(carazolol):
    mol, warning = pose_molecule(CARAZOLOL.replace("@@", ""), carazolol.best.structure_path, "L")
    assert warning is None and mol.GetNumAtoms() == 22


def test_the_inverted_centre_of_the_carazolol_pose_is_named(carazolol):
    _, warning = pose_molecule(CARAZOLOL, carazolol.best.structure_path, "L")
    assert warning == INVERTED


def test_double_bonds_are_compared_only_where_the_smiles_specifies_them():
    pose = _posed("C/C=C\\CCO")  # a Z double bond in "3D"
    assert _stereo_warning(Chem.MolFromSmiles("CC=CCCO"), pose) is None
    assert _stereo_warning(Chem.MolFromSmiles("C/C=C\\CCO"), pose) is None
    warning = _stereo_warning(Chem.MolFromSmiles("C/C=C/CCO"), pose)
    assert warning == (
        "the predicted pose inverts the stereochemistry of the input SMILES at "
        "bond 2–3 (C=C): E in the SMILES, Z in the pose."
    )


def test_ring_cis_trans_counts_as_specified_stereo():
    pose = _posed("C[C@H]1CC[C@@H](C)CC1")  # trans-1,4-dimethylcyclohexane
    assert _stereo_warning(Chem.MolFromSmiles("CC1CCC(C)CC1"), pose) is None
    assert _stereo_warning(Chem.MolFromSmiles("C[C@H]1CC[C@@H](C)CC1"), pose) is None
    assert _stereo_warning(Chem.MolFromSmiles("C[C@H]1CC[C@H](C)CC1"), pose) == (  # cis: both labels differ
        "the predicted pose inverts the stereochemistry of the input SMILES at "
        "atom 2 (C): r in the SMILES, s in the pose; atom 5 (C): r in the SMILES, s in the pose."
    )


def test_each_sdf_record_carries_its_pose_warning(carazolol):
    path = carazolol.best.structure_path
    sdf, problems = poses_to_sdf(
        [("carazolol", CARAZOLOL, path, "L"), ("racemic", CARAZOLOL.replace("@@", ""), path, "L")]
    )
    first, second = _read_sdf(sdf)
    assert first.GetProp("pose_warning") == INVERTED
    assert not second.HasProp("pose_warning")  # nothing was specified, so nothing can be contradicted
    assert problems == [f"carazolol: {INVERTED}"]


def test_a_skipped_compound_stays_in_the_sdf_as_a_record_without_atoms(carazolol):
    path = carazolol.best.structure_path
    props = {"pIC50": 10.069, "binder_probability": 0.9988}
    sdf, problems = poses_to_sdf([("aspirin", ASPIRIN, path, "L", props), ("carazolol", CARAZOLOL, path, "L")])
    skipped, posed = _read_sdf(sdf)
    assert skipped.GetProp("_Name") == "aspirin" and skipped.GetNumAtoms() == 0
    assert skipped.GetProp("pose_skipped") == ASPIRIN_SKIPPED.removeprefix("pose skipped, ")
    assert skipped.GetProp("SMILES") == ASPIRIN and skipped.GetProp("pIC50") == "10.069"
    assert posed.GetNumAtoms() == 22 and posed.GetProp("pose_warning") == INVERTED
    assert problems == [f"aspirin: {ASPIRIN_SKIPPED}", f"carazolol: {INVERTED}"]


def test_the_compound_row_carries_its_pose_warning(carazolol):
    assert compound_row("carazolol", CARAZOLOL, carazolol).pose_warning == INVERTED
    assert compound_row("racemic", CARAZOLOL.replace("@@", ""), carazolol).pose_warning is None
    # The fixture engine gives every compound carazolol's output: aspirin's 13 atoms cannot match its 22.
    assert compound_row("aspirin", ASPIRIN, carazolol).pose_warning == ASPIRIN_SKIPPED
    assert compound_row("waiting", ASPIRIN, None).pose_warning is None


def test_the_csv_carries_the_pose_warning(carazolol):
    rows = [compound_row("carazolol", CARAZOLOL, carazolol)]
    (record,) = csv.DictReader(io.StringIO(rows_to_csv(rows)))
    assert record["pose_warning"] == INVERTED


def _posed(smiles: str):
    """The molecule embedded in 3D, heavy atoms only, stereo read back from the coordinates (as a pose is)."""
    mol = Chem.AddHs(Chem.MolFromSmiles(smiles))
    assert AllChem.EmbedMolecule(mol, randomSeed=7) == 0
    mol = Chem.RemoveHs(mol)
    Chem.AssignStereochemistryFrom3D(mol)
    return mol


def _read_sdf(text: str) -> list:
    supplier = Chem.SDMolSupplier()
    supplier.SetData(text)
    return list(supplier)
