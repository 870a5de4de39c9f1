"""Predicted ligand poses from Boltz model CIFs as RDKit molecules and SDF, bond orders taken from the input SMILES."""

from __future__ import annotations

import io
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from omtx_core.analysis.structure import StructureSource, load_structure

# One screen compound's pose: name, input SMILES, model CIF, ligand chain, and optionally SDF properties.
PoseItem = tuple[str, str, str | Path, str] | tuple[str, str, str | Path, str, Mapping[str, Any] | None]


class PoseError(ValueError):
    """A predicted pose that cannot be matched to its input SMILES; the message is in the user's words."""


def poses_to_sdf(items: Sequence[PoseItem]) -> tuple[str, list[str]]:
    """One SDF record per compound, and the problems: each skipped pose and each stereo the pose contradicts.

    The problems travel in the file too: a matched pose carries its warning as the `pose_warning` property; a
    skipped compound stays as a record without atoms, its name, SMILES and properties, and why in `pose_skipped`.
    """
    from rdkit import Chem

    buffer = io.StringIO()
    problems: list[str] = []
    with Chem.SDWriter(buffer) as writer:
        for item in items:
            name, smiles, structure_path, chain = item[:4]
            props = dict(item[4] or {}) if len(item) > 4 else {}
            try:
                mol, warning = pose_molecule(smiles, structure_path, chain)
            except PoseError as exc:
                problems.append(f"{name}: {skipped_note(exc)}")
                mol, warning = Chem.Mol(), None
                props["pose_skipped"] = str(exc)
            if warning:
                problems.append(f"{name}: {warning}")
                props["pose_warning"] = warning
            _set_props(mol, name, smiles, props)
            writer.write(mol)
    return buffer.getvalue(), problems


def skipped_note(exc: PoseError) -> str:
    """How a compound's skipped pose is named wherever it is listed (row, page, SDF problems)."""
    return f"pose skipped, {exc}"


def pose_molecule(smiles: str, structure_path: StructureSource, chain: str) -> tuple[Any, str | None]:
    """The ligand of `chain` as posed in the CIF, with the template's bond orders and charges.

    Returns the molecule (heavy atoms, one 3D conformer, stereo from the coordinates) and a warning
    when the pose's stereochemistry differs from the SMILES (Boltz can invert a stereocentre).
    """
    from rdkit import Chem, rdBase
    from rdkit.Chem import AllChem

    template = _template(smiles)
    pose = pose_skeleton(structure_path, chain)
    if pose.GetNumAtoms() != template.GetNumAtoms():
        raise PoseError(
            f"chain {chain} has {pose.GetNumAtoms()} heavy atoms in the model, the SMILES has {template.GetNumAtoms()}."
        )
    try:
        # BlockLogs: symmetric groups (an isopropyl) make RDKit warn about several equal matches.
        with rdBase.BlockLogs():
            mol = AllChem.AssignBondOrdersFromTemplate(template, pose)
            Chem.SanitizeMol(mol)
    except (ValueError, RuntimeError) as exc:
        raise PoseError(f"the bonds in the model do not match the SMILES ({_first_line(exc)}).") from None
    Chem.AssignStereochemistryFrom3D(mol)
    return mol, _stereo_warning(template, mol)


def _template(smiles: str) -> Any:
    from rdkit import Chem

    mol = Chem.MolFromSmiles(smiles)
    if mol is None:
        raise PoseError("the SMILES cannot be read.")
    # Boltz is given the largest fragment only (omtx_core.chem.parse_smiles), so match against that.
    return max(Chem.GetMolFrags(mol, asMols=True), key=lambda m: m.GetNumHeavyAtoms())


def pose_skeleton(structure_path: StructureSource, chain: str) -> Any:
    """Heavy atoms of `chain` with coordinates and single bonds guessed from distances."""
    from rdkit import Chem
    from rdkit.Chem import rdDetermineBonds
    from rdkit.Geometry import Point3D

    atoms = ligand_atoms(structure_path, chain)
    if not atoms:
        raise PoseError(f"the model has no ligand atoms in chain {chain}.")
    editable = Chem.RWMol()
    conformer = Chem.Conformer(len(atoms))
    for index, (element, position) in enumerate(atoms):
        editable.AddAtom(Chem.Atom(element))
        conformer.SetAtomPosition(index, Point3D(*position))
    editable.AddConformer(conformer, assignId=True)
    pose = editable.GetMol()
    try:
        rdDetermineBonds.DetermineConnectivity(pose)
    except (ValueError, RuntimeError) as exc:
        raise PoseError(f"the bonds of the pose cannot be worked out ({_first_line(exc)}).") from None
    for atom in pose.GetAtoms():
        # DetermineConnectivity marks atoms as carrying no implicit hydrogens; the CIF has none, so
        # without this the template's hydrogens would come out as radicals.
        atom.SetNoImplicit(False)
    return pose


def ligand_atoms(structure_path: StructureSource, chain: str) -> list[tuple[int, tuple[float, float, float]]]:
    """(atomic number, (x, y, z)) of every heavy atom of `chain` in the first model, in file order."""
    model = load_structure(structure_path)[0]  # heavy atoms only
    if model.find_chain(chain) is None:
        return []
    return [(atom.element.atomic_number, (atom.pos.x, atom.pos.y, atom.pos.z)) for r in model[chain] for atom in r]


def _stereo_warning(template: Any, mol: Any) -> str | None:
    """Name each stereocentre or double bond the SMILES specifies that the pose has the other way; None if none.

    Only stereo the SMILES specifies is compared: a pose always has some configuration, and an unspecified
    centre (a racemate, or stereo left open) cannot be contradicted.
    """
    from rdkit import Chem
    from rdkit.Chem import rdCIPLabeler

    match = mol.GetSubstructMatch(template, useChirality=False)
    if len(match) != template.GetNumAtoms():  # cannot happen for a pose built from this template
        return None
    if Chem.MolToSmiles(template) == Chem.MolToSmiles(_specified_only(mol, template, match)):
        return None
    try:
        rdCIPLabeler.AssignCIPLabels(template)
        rdCIPLabeler.AssignCIPLabels(mol)
        changed = [*_changed_centres(template, mol, match), *_changed_bonds(template, mol, match)]
    except (ValueError, RuntimeError):  # the labeller gives up on some large symmetric molecules
        changed = []
    if not changed:  # a difference the CIP labeller gives no label to
        return (
            "the pose's stereochemistry differs from the input SMILES at a centre or double bond the SMILES specifies."
        )
    return "the predicted pose inverts the stereochemistry of the input SMILES at " + "; ".join(changed) + "."


_SPECIFIED_BONDS = ("STEREOE", "STEREOZ", "STEREOCIS", "STEREOTRANS")  # STEREOANY (wavy) says "unknown"


def _specified_only(mol: Any, template: Any, match: tuple[int, ...]) -> Any:
    """A copy of the pose keeping only the stereo the template specifies, for comparing canonical SMILES."""
    from rdkit import Chem

    centres = {match[a.GetIdx()] for a in template.GetAtoms() if a.GetChiralTag() != Chem.ChiralType.CHI_UNSPECIFIED}
    bonds = {
        frozenset((match[b.GetBeginAtomIdx()], match[b.GetEndAtomIdx()]))
        for b in template.GetBonds()
        if str(b.GetStereo()) in _SPECIFIED_BONDS
    }
    masked = Chem.Mol(mol)
    for atom in masked.GetAtoms():
        if atom.GetIdx() not in centres:
            atom.SetChiralTag(Chem.ChiralType.CHI_UNSPECIFIED)
    for bond in masked.GetBonds():
        if frozenset((bond.GetBeginAtomIdx(), bond.GetEndAtomIdx())) not in bonds:
            bond.SetStereo(Chem.BondStereo.STEREONONE)
            bond.SetBondDir(Chem.BondDir.NONE)
    return masked


def _changed_centres(template: Any, mol: Any, match: tuple[int, ...]) -> list[str]:
    return [
        f"atom {t_index + 1} ({template.GetAtomWithIdx(t_index).GetSymbol()}): "
        f"{_cip(template.GetAtomWithIdx(t_index))} in the SMILES, {_cip(mol.GetAtomWithIdx(m_index))} in the pose"
        for t_index, m_index in enumerate(match)
        if _cip(template.GetAtomWithIdx(t_index)) != "unspecified"
        and _cip(template.GetAtomWithIdx(t_index)) != _cip(mol.GetAtomWithIdx(m_index))
    ]


def _changed_bonds(template: Any, mol: Any, match: tuple[int, ...]) -> list[str]:
    changed = []
    for bond in template.GetBonds():
        begin, end = bond.GetBeginAtomIdx(), bond.GetEndAtomIdx()
        posed = mol.GetBondBetweenAtoms(match[begin], match[end])
        want, got = _cip(bond), _cip(posed)
        if want != "unspecified" and want != got:
            symbols = f"{bond.GetBeginAtom().GetSymbol()}={bond.GetEndAtom().GetSymbol()}"
            changed.append(f"bond {begin + 1}–{end + 1} ({symbols}): {want} in the SMILES, {got} in the pose")
    return changed


def _cip(item: Any) -> str:
    """The CIP label of an atom (R/S) or double bond (E/Z)."""
    return item.GetProp("_CIPCode") if item.HasProp("_CIPCode") else "unspecified"


def _set_props(mol: Any, name: str, smiles: str, props: Mapping[str, Any] | None) -> None:
    mol.SetProp("_Name", _one_line(name))
    mol.SetProp("name", _one_line(name))
    mol.SetProp("SMILES", _one_line(smiles))
    for key, value in (props or {}).items():
        if value is not None:
            mol.SetProp(_one_line(key), f"{value:.6g}" if isinstance(value, float) else _one_line(value))


def _one_line(value: object) -> str:
    """Text for an SDF title or data line: a line break or `$$$$` in a name would end the record early."""
    text = " ".join(str(value).split())
    return re.sub(r"\${4,}", "$$$", text)


def _first_line(exc: Exception) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
