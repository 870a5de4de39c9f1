"""Heavy-atom roles behind protein–ligand contacts: H-bond donor and acceptor (certain or possible) and charge.

Predicted structures carry no hydrogens, so roles come from chemistry, not from the file:

- Protein atoms by residue and atom name: backbone N donor (not Pro), backbone O and OXT acceptors; Ser OG, Thr OG1,
  Tyr OH both; Asn OD1/Gln OE1 acceptors, Asn ND2/Gln NE2 donors; Lys NZ, Arg NE/NH1/NH2, Trp NE1 donors; Asp and
  Glu carboxylate O acceptors; Met SD acceptor; His ND1/NE2 either, as tautomer and protonation decide, and Cys SG
  a weak donor and acceptor: both only possible. Charged: Lys NZ, Arg NE/NH1/NH2, His ND1/NE2 (possibly
  protonated) positive; Asp OD1/OD2, Glu OE1/OE2 negative.
- Ligand atoms, when its chemistry is known (the input SMILES or CCD entry matched onto the pose, bond orders and
  charges included): RDKit's BaseFeatures.fdef Donor and Acceptor families, then what protonation decides made
  possible: a basic nitrogen given neutral (PosIonizable) accepts only while unprotonated and, without a hydrogen
  of its own, donates only once protonated; the oxygens of an acid (NegIonizable, phosphate, phosphonate) accept and
  donate only while protonated (a carboxylate at physiological pH); an unsubstituted imidazole N is either, as His.
  Charged: PosIonizable or positively charged N positive; acid oxygens and negatively charged atoms negative.
- Ligand atoms without known chemistry: every N and O a possible donor and acceptor (an O with two heavy neighbours,
  an ether or ester, only a possible acceptor; an N with four, none); charges from geometry (contacts.py).
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

NONE, POSSIBLE, CERTAIN = 0, 1, 2  # how sure a role is; an H-bond is as sure as the weaker of its two roles

_DON, _ACC, _BOTH, _EITHER = (CERTAIN, NONE), (NONE, CERTAIN), (CERTAIN, CERTAIN), (POSSIBLE, POSSIBLE)
_BACKBONE = {"N": _DON, "O": _ACC, "OXT": _ACC}
_SIDE_CHAIN = {
    "SER": {"OG": _BOTH},
    "THR": {"OG1": _BOTH},
    "TYR": {"OH": _BOTH},
    "ASN": {"OD1": _ACC, "ND2": _DON},
    "GLN": {"OE1": _ACC, "NE2": _DON},
    "HIS": {"ND1": _EITHER, "NE2": _EITHER},
    "LYS": {"NZ": _DON},
    "ARG": {"NE": _DON, "NH1": _DON, "NH2": _DON},
    "ASP": {"OD1": _ACC, "OD2": _ACC},
    "GLU": {"OE1": _ACC, "OE2": _ACC},
    "TRP": {"NE1": _DON},
    "CYS": {"SG": _EITHER},
    "MET": {"SD": _ACC},
}
POSITIVE = {"LYS": {"NZ"}, "ARG": {"NE", "NH1", "NH2"}, "HIS": {"ND1", "NE2"}}
NEGATIVE = {"ASP": {"OD1", "OD2"}, "GLU": {"OE1", "OE2"}}


@dataclass(frozen=True)
class Roles:
    """Per atom: donor and acceptor (NONE, POSSIBLE or CERTAIN), positive and negative charge."""

    donor: np.ndarray
    acceptor: np.ndarray
    positive: np.ndarray
    negative: np.ndarray


def hbond_certainty(protein: Roles, ligand: Roles) -> np.ndarray:
    """[n_protein, n_ligand]: how sure each pair is to be donor–acceptor (either way round), NONE to CERTAIN."""
    forward = np.minimum(protein.donor[:, None], ligand.acceptor[None, :])
    backward = np.minimum(protein.acceptor[:, None], ligand.donor[None, :])
    return np.maximum(forward, backward)


def protein_roles(residue_name: str, atom_names: list[str]) -> Roles:
    """Roles of one residue's atoms, by residue and atom name (module docstring)."""
    side_chain = _SIDE_CHAIN.get(residue_name, {})
    pairs = [
        (NONE, NONE)
        if residue_name == "PRO" and name == "N"
        else side_chain.get(name, _BACKBONE.get(name, (NONE, NONE)))
        for name in atom_names
    ]
    return Roles(
        donor=np.array([pair[0] for pair in pairs], dtype=int),
        acceptor=np.array([pair[1] for pair in pairs], dtype=int),
        positive=np.array([name in POSITIVE.get(residue_name, ()) for name in atom_names], dtype=bool),
        negative=np.array([name in NEGATIVE.get(residue_name, ()) for name in atom_names], dtype=bool),
    )


def element_roles(elements: list[str], neighbours: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
    """(donor, acceptor) of ligand atoms whose chemistry is unknown: only possible, from elements and bond counts."""
    donor, acceptor = np.zeros(len(elements), dtype=int), np.zeros(len(elements), dtype=int)
    for index, element in enumerate(elements):
        heavy = len(neighbours[index])
        if element == "O":
            acceptor[index] = POSSIBLE
            donor[index] = POSSIBLE if heavy <= 1 else NONE
        elif element == "N" and heavy < 4:
            donor[index] = acceptor[index] = POSSIBLE
    return donor, acceptor


def ligand_roles(structure: Any, chain: str, coords: np.ndarray, smiles: str | None) -> Roles | None:
    """Roles of the ligand atoms at `coords` (in that order) from its SMILES matched onto the pose in `structure`;
    None without a SMILES, or when it does not match the pose (another molecule, bonds that do not fit)."""
    from omtx_core.analysis.poses import pose_molecule

    if not smiles:
        return None
    try:
        mol, _ = pose_molecule(smiles, structure, chain)
    except ValueError:  # PoseError
        return None
    positions = mol.GetConformer().GetPositions()
    if len(positions) != len(coords):
        return None
    gaps = np.linalg.norm(positions[:, None, :] - coords[None, :, :], axis=2)
    index = gaps.argmin(axis=1)  # the pose molecule's atom i is the ligand's atom index[i]
    if len(set(index.tolist())) != len(index) or gaps.min(axis=1).max() > 1e-3:
        return None
    found = template_roles(mol)
    fields = {}
    for name in ("donor", "acceptor", "positive", "negative"):
        values = getattr(found, name)
        fields[name] = np.zeros_like(values)
        fields[name][index] = values
    return Roles(**fields)


def template_roles(mol: Any) -> Roles:
    """Roles of a posed ligand with bond orders and charges (RDKit molecule, heavy atoms; module docstring)."""
    n = mol.GetNumAtoms()
    donor, acceptor = np.zeros(n, dtype=int), np.zeros(n, dtype=int)
    basic, acidic = set(), set()
    for feature in _feature_factory().GetFeaturesForMol(mol):
        family, ids = feature.GetFamily(), list(feature.GetAtomIds())
        if family == "Donor":
            donor[ids] = CERTAIN
        elif family == "Acceptor":
            acceptor[ids] = CERTAIN
        elif family == "PosIonizable":
            basic.update(i for i in ids if mol.GetAtomWithIdx(i).GetSymbol() == "N")
        elif family == "NegIonizable":
            acidic.update(_acid_oxygens(mol.GetAtomWithIdx(ids[0])))
    acidic.update(oxygen for atom in mol.GetAtoms() if atom.GetSymbol() == "P" for oxygen in _acid_oxygens(atom))
    positive, negative = np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
    for atom in mol.GetAtoms():
        index, charge = atom.GetIdx(), atom.GetFormalCharge()
        opposite = any(other.GetFormalCharge() * charge < 0 for other in atom.GetNeighbors())  # nitro, N-oxide
        positive[index] = index in basic or (charge > 0 and atom.GetSymbol() == "N" and not opposite)
        negative[index] = index in acidic or (charge < 0 and not opposite)
    _protonation(mol, basic, acidic, donor, acceptor)
    return Roles(donor, acceptor, positive, negative)


def _protonation(mol: Any, basic: set[int], acidic: set[int], donor: np.ndarray, acceptor: np.ndarray) -> None:
    """Make possible the roles that depend on a protonation state the SMILES cannot pin down."""
    for index in acidic:
        # The oxygens of an acid are equivalent (resonance), and which one the pose's bond orders name is arbitrary.
        acceptor[index], donor[index] = CERTAIN, POSSIBLE
    for index in basic:
        atom = mol.GetAtomWithIdx(index)
        if atom.GetFormalCharge() != 0:
            continue
        if atom.GetIsAromatic():
            if atom.GetDegree() == 2:  # an imidazole N: which one carries the hydrogen is the tautomer's choice
                donor[index] = acceptor[index] = POSSIBLE
            continue
        acceptor[index] = POSSIBLE
        donor[index] = CERTAIN if atom.GetTotalNumHs() else POSSIBLE


def _acid_oxygens(centre: Any) -> list[int]:
    """The terminal oxygens of an acid group around its C, S or P atom (a phosphate or phosphonate: 3 or more O)."""
    terminal = [atom for atom in centre.GetNeighbors() if atom.GetSymbol() == "O" and atom.GetDegree() == 1]
    if centre.GetSymbol() == "P":
        oxygens = [atom for atom in centre.GetNeighbors() if atom.GetSymbol() == "O"]
        acid = any(atom.GetTotalNumHs() or atom.GetFormalCharge() < 0 for atom in terminal)
        if len(oxygens) < 3 or not acid:  # a phosphine oxide or a phosphate triester is no acid
            return []
    return [atom.GetIdx() for atom in terminal]


@lru_cache(maxsize=1)
def _feature_factory() -> Any:
    from rdkit import RDConfig
    from rdkit.Chem import ChemicalFeatures

    return ChemicalFeatures.BuildFeatureFactory(os.path.join(RDConfig.RDDataDir, "BaseFeatures.fdef"))


@lru_cache(maxsize=256)
def ccd_smiles(code: str) -> str | None:
    """SMILES of a Chemical Component Dictionary entry (biotite's bundled CCD), None when it cannot be built."""
    try:
        from biotite.interface.rdkit import to_mol
        from biotite.structure.info import residue
        from rdkit import Chem

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # biotite's notes on entries without ideal coordinates
            mol = Chem.RemoveHs(to_mol(residue(code)))
        return Chem.MolToSmiles(mol)
    except Exception:  # an unknown code or an entry RDKit cannot sanitise: the contacts fall back to elements
        return None
