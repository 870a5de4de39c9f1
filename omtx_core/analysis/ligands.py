"""Ligand SMILES recovered from Boltz's 3D output, which has heavy atoms only and no bonds (RDKit)."""

from __future__ import annotations

import itertools

import numpy as np

_VALENCE = {"C": 4, "N": 3, "O": 2, "S": 2, "P": 3, "B": 3, "F": 1, "Cl": 1, "Br": 1, "I": 1}
_RADIUS = {"C": 0.76, "N": 0.71, "O": 0.66, "S": 1.05, "P": 1.07, "B": 0.84}  # single-bond covalent radii, Å
_SINGLE_BOND = {frozenset("NO"): 1.43}  # where the radii sum is too short for the real single bond


def smiles_from_coordinates(atoms: list[tuple[str, list[float]]]) -> str | None:
    """A SMILES for heavy atoms at 3D positions, or None when RDKit cannot settle the bond orders.

    Boltz writes no hydrogens and no bonds, and rdDetermineBonds needs the hydrogens: so each atom gets the
    hydrogens its geometry implies (planar 5/6-rings are aromatic; short bonds are double or triple), and an
    NH on aromatic ring nitrogens is tried where the bond orders do not close otherwise. The result is the
    neutral form (formal charges only where none fits, as in nitro groups), one tautomer, with the carbon
    stereo centres of the predicted pose, which may differ from what was submitted to Boltz.
    """
    from rdkit import Chem, RDLogger
    from rdkit.Chem import rdDetermineBonds

    RDLogger.DisableLog("rdApp.*")  # failed attempts are expected; their messages would only be noise
    try:
        xyz = f"{len(atoms)}\n\n" + "".join(f"{e} {x:.4f} {y:.4f} {z:.4f}\n" for e, (x, y, z) in atoms)
        mol = Chem.MolFromXYZBlock(xyz)
        rdDetermineBonds.DetermineConnectivity(mol)
        hydrogens, ring_nitrogens = _implied_hydrogens(mol)
        extras = list(itertools.chain.from_iterable(itertools.combinations(ring_nitrogens, k) for k in range(3)))
        # Neutral bonding first; formal charges (nitro, N-oxides) only when no neutral structure closes.
        for charged, extra in itertools.product((False, True), extras):
            found = _with_bond_orders(mol, [h + (i in extra) for i, h in enumerate(hydrogens)], charged)
            if found:
                return found
    except Exception:  # RDKit raises many unrelated types; any of them means "could not recover"
        return None
    finally:
        RDLogger.EnableLog("rdApp.*")
    return None


def _implied_hydrogens(mol) -> tuple[list[int], list[int]]:
    from rdkit import Chem

    pos = mol.GetConformer().GetPositions()
    flat: set[int] = set()
    for ring in map(list, Chem.GetSymmSSSR(mol)):
        if len(ring) not in (5, 6) or any(mol.GetAtomWithIdx(i).GetDegree() > 3 for i in ring):
            continue
        centred = pos[ring] - pos[ring].mean(axis=0)
        if np.abs(centred @ np.linalg.svd(centred)[2][2]).max() < 0.15:  # every atom within 0.15 Å of the plane
            flat.update(ring)

    def unsaturation(atom) -> int:
        if atom.GetDegree() >= 4:
            return 0
        if atom.GetIdx() in flat:
            return 1
        return max((_bond_unsaturation(bond, pos) for bond in atom.GetBonds()), default=0)

    hydrogens = [max(0, _VALENCE.get(a.GetSymbol(), 0) - a.GetDegree() - unsaturation(a)) for a in mol.GetAtoms()]
    # An aromatic N with two ring neighbours may carry an H (pyrrole, pyridone) or not (pyridine).
    ring_nitrogens = [i for i in sorted(flat) if mol.GetAtomWithIdx(i).GetSymbol() == "N"
                      and mol.GetAtomWithIdx(i).GetDegree() == 2]  # fmt: skip
    return hydrogens, ring_nitrogens[:6]


def _bond_unsaturation(bond, pos) -> int:
    """0, 1 or 2 extra bonds, from how much shorter the bond is than a single bond of the two elements."""

    a, b = bond.GetBeginAtom(), bond.GetEndAtom()
    pair = frozenset((a.GetSymbol(), b.GetSymbol()))
    single = _SINGLE_BOND.get(pair, _RADIUS.get(a.GetSymbol(), 0.8) + _RADIUS.get(b.GetSymbol(), 0.8))
    shorter = single - float(np.linalg.norm(pos[a.GetIdx()] - pos[b.GetIdx()]))
    return 2 if shorter > 0.27 else 1 if shorter > 0.15 else 0


def _with_bond_orders(mol, hydrogens: list[int], charged: bool) -> str | None:
    from rdkit import Chem
    from rdkit.Chem import rdDetermineBonds

    editable = Chem.RWMol(mol)
    conformer = editable.GetConformer()
    for index, count in enumerate(hydrogens):
        for _ in range(count):
            h = editable.AddAtom(Chem.Atom(1))
            editable.AddBond(index, h, Chem.BondType.SINGLE)
            conformer.SetAtomPosition(h, conformer.GetAtomPosition(index))  # only connectivity matters here
    full = editable.GetMol()
    try:
        rdDetermineBonds.DetermineBondOrders(full, charge=0, allowChargedFragments=charged, embedChiral=False)
        heavy = Chem.RemoveHs(full)
    except Exception:  # this hydrogen guess does not close: the caller tries the next one
        return None
    if any(atom.GetNumRadicalElectrons() for atom in heavy.GetAtoms()):
        return None
    Chem.AssignStereochemistryFrom3D(heavy)  # heavy atoms keep their coordinates: stereo as predicted
    for atom in heavy.GetAtoms():
        if atom.GetSymbol() != "C":  # a phosphate's "stereo" is an artefact of where its H was put
            atom.SetChiralTag(Chem.ChiralType.CHI_UNSPECIFIED)
    return Chem.MolToSmiles(heavy)


# --- small helpers ---------------------------------------------------------------------------------------
