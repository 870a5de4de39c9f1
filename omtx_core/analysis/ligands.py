"""Ligand SMILES recovered from Boltz's 3D output (heavy atoms only, no bonds), tolerant of distorted poses (RDKit).

Boltz writes a ligand as heavy atoms at 3D positions. The bonds follow from distances (RDKit's
`DetermineConnectivity`, with a narrower or wider cut-off when the default does not give one molecule); the bond
orders need each atom's hydrogen count, which the pose only implies:

1. Each atom gets its possible states (hydrogens, multiple bonds, N⁺), each with a cost measuring how far the pose
   is from it (analysis/ligand_geometry.py): flatness of three-neighbour atoms, bond angles, ring flatness and
   bond lengths, a terminal atom's bond against the single/double/triple lengths of its elements.
2. Combinations of states are tried cheapest first; each is closed by RDKit's `DetermineBondOrders` (an N⁺ as a
   carbon, then given back its charge and an O⁻ beside it: nitro groups, N-oxides). A distorted atom whose shape
   fits no state well is thus settled by valence, not by a fixed threshold.
3. Every structure that closes must pass sanity checks against the pose: valences and no radicals (RDKit
   sanitisation), no charged carbon, aromatic rings flat, double-bonded atoms planar, saturated carbons
   pyramidal, triple bonds straight. Among those found within a margin of the cheapest, the one whose bond lengths
   fit its bond orders best wins (enols, imidic acids and lactims only when the bonds clearly say so).

The result is the neutral form where one fits, one tautomer, with the carbon stereo centres of the predicted pose
(which may differ from what was submitted to Boltz); None when no structure explains the pose.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

from omtx_core.analysis.ligand_geometry import BOND_SIGMA_A, MAX_DEGREE, VALENCE, Geometry, State, atom_states

_TOLERANT_FLAT_A = 0.35  # the sanity checks' planarity limit, wide enough for predicted poses
_TOLERANT_PYRAMID_A = 0.12  # a saturated carbon with three heavy neighbours sits at least this far from their plane
_RARE_TAUTOMER_COST = 2.0  # misfit added per enol, imidic acid or lactim (amides, ketones, pyridones win)
_MAX_MISFIT = 2.5  # mean misfit per bond above which no structure explains the pose: the SMILES stays unknown
_MAX_COMBINATIONS = 20_000  # combinations of atom states looked at (most are refused by a cheap count)
_MAX_CLOSURES = 150  # bond-order closures tried (RDKit's takes 1–150 ms, growing with the ligand's size)
_MAX_CLOSURES_AFTER_FIRST = 40  # further closures tried once one structure closed
_MAX_EXTRA_COST = 12.0  # states this far (in tolerance units) beyond the best fit are no longer plausible
_WINDOW = 4.0  # once a structure closes, costlier states within this margin may still fit the bonds better
_PRIOR_WEIGHT = 1.0  # each atom's own fit, against the whole structure's bond-length fit
_COV_FACTORS = (1.3, 1.2, 1.4)  # RDKit's default bond cut-off first, then narrower and wider ones


@dataclass(frozen=True)
class RecoveredLigand:
    """A SMILES recovered from coordinates, and how its bond orders were found (in words, for the job's log)."""

    smiles: str
    method: str


def smiles_from_coordinates(atoms: list[tuple[str, list[float]]]) -> str | None:
    """The SMILES of `recover_smiles`, or None."""
    recovered = recover_smiles(atoms)
    return recovered.smiles if recovered else None


def recover_smiles(atoms: list[tuple[str, list[float]]]) -> RecoveredLigand | None:
    """A SMILES for heavy atoms at 3D positions (element symbol, [x, y, z]), or None when no bond orders fit.

    The steps and checks are in the module docstring; `method` says which were needed.
    """
    from rdkit import RDLogger

    RDLogger.DisableLog("rdApp.*")  # failed attempts are expected; their messages would only be noise
    try:
        return _recover(atoms)
    except Exception:  # RDKit raises many unrelated types; any of them means "could not recover"
        return None
    finally:
        RDLogger.EnableLog("rdApp.*")


def _recover(atoms: list[tuple[str, list[float]]]) -> RecoveredLigand | None:
    found = _connected(atoms)
    if found is None:
        return None
    mol, factor = found
    geometry = Geometry(mol)
    best = _best_structure(mol, geometry, [atom_states(atom, geometry) for atom in mol.GetAtoms()])
    if best is None or best.score > _MAX_MISFIT * mol.GetNumBonds():
        return None
    return RecoveredLigand(best.smiles, _method(best.flips, factor, best.charged))


@dataclass(frozen=True)
class _Found:
    score: float  # the states' cost (weighted) plus the bond-length misfit
    smiles: str
    flips: int  # atoms not in their cheapest state
    charged: bool


def _best_structure(mol, geometry: Geometry, options: list[list[State]]) -> _Found | None:
    """The best-fitting structure among those that close, searched cheapest states first (module docstring)."""
    first: float | None = None  # the cost of the first structure that closed
    best: _Found | None = None
    tried = after_first = 0
    for cost, flips, states in _cheapest_first(options):
        if tried >= _MAX_CLOSURES or after_first >= _MAX_CLOSURES_AFTER_FIRST:
            break
        if first is not None and cost > first + _WINDOW:
            break  # costlier states would no longer fit the bonds better than what was found
        if not _may_close(geometry, states):
            continue
        tried, after_first = tried + 1, after_first + (first is not None)
        closed = _with_bond_orders(mol, states, geometry)
        if closed is None:
            continue
        first = cost if first is None else first
        found = _Found(_PRIOR_WEIGHT * cost + closed[1], closed[0], flips, any(s.cation for s in states))
        best = found if best is None or found.score < best.score else best
    return best


def _method(flips: int, factor: float, charged: bool) -> str:
    words = ["bond orders perceived from the predicted geometry (bond lengths, angles, ring planarity)"]
    if flips:
        words.append(f"with tolerance: {flips} distorted atom(s) settled by valence rather than by shape")
    if factor != _COV_FACTORS[0]:
        words.append(f"bonds found with a {'wider' if factor > _COV_FACTORS[0] else 'narrower'} distance cut-off")
    if charged:
        words.append("a charge-separated N⁺/O⁻ group where no neutral structure fits")
    return "; ".join(words) + "; checked for valence, radicals, flat aromatic rings and planar double bonds"


# --- connectivity ---------------------------------------------------------------------------------------------


def _connected(atoms: list[tuple[str, list[float]]]):
    """The heavy atoms with bonds from distances, and the cut-off factor used; None when no cut-off gives one
    molecule with plausible degrees."""
    from rdkit import Chem
    from rdkit.Chem import rdDetermineBonds

    xyz = f"{len(atoms)}\n\n" + "".join(f"{e} {x:.4f} {y:.4f} {z:.4f}\n" for e, (x, y, z) in atoms)
    for factor in _COV_FACTORS:
        mol = Chem.MolFromXYZBlock(xyz)
        rdDetermineBonds.DetermineConnectivity(mol, covFactor=factor)
        degrees_ok = all(a.GetDegree() <= MAX_DEGREE.get(a.GetSymbol(), 6) for a in mol.GetAtoms())
        if degrees_ok and len(Chem.GetMolFrags(mol)) == 1:
            return mol, factor
    return None


# --- search and checks ----------------------------------------------------------------------------------------


def _cheapest_first(options: list[list[State]]) -> Iterator[tuple[float, int, list[State]]]:
    """A state for every atom, cheapest combination first, with its cost and how many atoms are in a state that
    fits their shape clearly worse (by 1.5 tolerance units) than their best; stops after
    _MAX_COMBINATIONS combinations or once they cost _MAX_EXTRA_COST more than the best."""
    start = (0,) * len(options)
    best = sum(states[0].cost for states in options)
    heap, seen = [(best, start)], {start}
    for _ in range(_MAX_COMBINATIONS):
        if not heap:
            return
        cost, choice = heapq.heappop(heap)
        if cost > best + _MAX_EXTRA_COST:
            return
        states = [options[i][k] for i, k in enumerate(choice)]
        yield cost, sum(1 for i, state in enumerate(states) if state.cost > options[i][0].cost + 1.5), states
        for i, k in enumerate(choice):
            if k + 1 < len(options[i]):
                successor = (*choice[:i], k + 1, *choice[i + 1 :])
                if successor not in seen:
                    seen.add(successor)
                    step = options[i][k + 1].cost - options[i][k].cost
                    heapq.heappush(heap, (cost + step, successor))


def _may_close(geometry: Geometry, states: list[State]) -> bool:
    """A cheap necessary condition for the bond orders to close: within each group of bonded atoms that take
    multiple bonds, those bonds pair up (an even count) and no atom needs more than its neighbours offer. Hypervalent
    S, P and Se (three or more neighbours) choose their valence, so groups holding one are not counted."""
    extra, flexible = [], []
    for index, state in enumerate(states):
        symbol, degree = geometry.symbols[index], len(geometry.neighbours[index])
        valence = 4 if state.cation else VALENCE.get(symbol, 0)
        extra.append(max(valence - degree - state.hydrogens, 0))
        flexible.append(symbol in ("S", "P", "Se") and degree >= 3)
    seen: set[int] = set()
    for start in range(len(states)):
        if start in seen or not (extra[start] or flexible[start]):
            continue
        group, stack = [], [start]
        seen.add(start)
        while stack:
            atom = stack.pop()
            group.append(atom)
            for n in geometry.neighbours[atom]:
                if n not in seen and (extra[n] or flexible[n]):
                    seen.add(n)
                    stack.append(n)
        if any(flexible[a] for a in group):
            continue
        if sum(extra[a] for a in group) % 2:
            return False
        if any(extra[a] > sum(extra[n] for n in geometry.neighbours[a]) for a in group):
            return False
    return True


def _with_bond_orders(mol, states: list[State], geometry: Geometry) -> tuple[str, float] | None:
    """The SMILES of the structure these states close to, if it passes the checks, and its bond misfit.

    RDKit closes neutral structures; an N⁺ is closed as a carbon (four bonds, as N⁺ has), then one of its terminal
    O–H becomes the O⁻ that balances it (nitro, N-oxide); a quaternary N⁺ keeps its charge.
    """
    from rdkit import Chem
    from rdkit.Chem import rdDetermineBonds

    editable = Chem.RWMol(mol)
    conformer = editable.GetConformer()
    for index, state in enumerate(states):
        if state.cation:
            editable.GetAtomWithIdx(index).SetAtomicNum(6)
        for _ in range(state.hydrogens):
            h = editable.AddAtom(Chem.Atom(1))
            editable.AddBond(index, h, Chem.BondType.SINGLE)
            conformer.SetAtomPosition(h, conformer.GetAtomPosition(index))  # only connectivity matters here
    try:
        rdDetermineBonds.DetermineBondOrders(editable, charge=0, allowChargedFragments=False, embedChiral=False)
        heavy = Chem.RemoveHs(_charged(editable, states))  # sanitises: valences are checked here
    except Exception:  # these states do not close: the caller tries the next ones
        return None
    if not _plausible(heavy, geometry):
        return None
    misfit = _bond_misfit(heavy, geometry) + _RARE_TAUTOMER_COST * _rare_tautomer_groups(heavy)
    Chem.AssignStereochemistryFrom3D(heavy)  # heavy atoms keep their coordinates: stereo as predicted
    for atom in heavy.GetAtoms():
        if atom.GetSymbol() != "C":  # a phosphate's "stereo" is an artefact of where its H was put
            atom.SetChiralTag(Chem.ChiralType.CHI_UNSPECIFIED)
    return Chem.MolToSmiles(heavy), misfit


def _charged(closed, states: list[State]):
    """The closed structure with each carbon stand-in back as N⁺ and, beside a three-neighbour N⁺, an O⁻."""
    from rdkit import Chem

    editable = Chem.RWMol(closed)
    removed = []
    for index, state in enumerate(states):
        if not state.cation:
            continue
        atom = editable.GetAtomWithIdx(index)
        atom.SetAtomicNum(7)
        atom.SetFormalCharge(1)
        if sum(1 for n in atom.GetNeighbors() if n.GetAtomicNum() > 1) == 4:
            continue  # a quaternary ammonium: no O⁻ beside it
        hydroxyl = next(n for n in atom.GetNeighbors() if n.GetSymbol() == "O" and _hydrogen(n) is not None)
        hydroxyl.SetFormalCharge(-1)
        removed.append(_hydrogen(hydroxyl))
    for h in sorted(removed, reverse=True):
        editable.RemoveAtom(h)
    return editable.GetMol()


def _hydrogen(atom) -> int | None:
    """The index of an oxygen's only hydrogen when it has one heavy neighbour."""
    heavy = [n for n in atom.GetNeighbors() if n.GetAtomicNum() > 1]
    hydrogens = [n.GetIdx() for n in atom.GetNeighbors() if n.GetAtomicNum() == 1]
    return hydrogens[0] if len(heavy) == 1 and len(hydrogens) == 1 else None


def _bond_misfit(heavy, geometry: Geometry) -> float:
    """How far the pose's bond lengths are from those typical of the structure's bond orders, in squared tolerance
    units (each bond capped at 9, so one distorted bond cannot decide alone). An aromatic bond is measured against
    both the aromatic length and its Kekulé bond, whichever fits (pyridones alternate, benzene does not)."""
    from rdkit import Chem

    kekule = Chem.Mol(heavy)
    Chem.Kekulize(kekule, clearAromaticFlags=True)
    unsaturated = [any(b.GetBondType() != Chem.BondType.SINGLE for b in a.GetBonds()) for a in kekule.GetAtoms()]
    total = 0.0
    for bond, written in zip(kekule.GetBonds(), heavy.GetBonds(), strict=True):
        i, j = bond.GetBeginAtomIdx(), bond.GetEndAtomIdx()
        single, double, triple = geometry.lengths(i, j)
        ideals = [_ideal(bond, single, double, triple, unsaturated[i] + unsaturated[j])]
        if written.GetBondType() == Chem.BondType.AROMATIC:
            ideals.append(double + 0.3 * (single - double))
        length = geometry.length(i, j)
        total += min(min(((length - ideal) / BOND_SIGMA_A) ** 2 for ideal in ideals), 9.0)
    return total


def _rare_tautomer_groups(heavy) -> int:
    """Enols, imidic acids and lactims: tautomers rarely meant, chosen only when the bonds clearly say so."""
    return sum(len(heavy.GetSubstructMatches(pattern)) for pattern in _rare_patterns())


@lru_cache(maxsize=1)
def _rare_patterns() -> list:
    from rdkit import Chem

    return [Chem.MolFromSmarts(text) for text in ("[OX2H1]-[#6,#15,#16]=[#7]", "[OX2H1]-[#6]=[#6]", "[OX2H1]-c:n")]


def _ideal(bond, single: float, double: float, triple: float | None, conjugated_ends: int) -> float:
    """The typical length of a Kekulé bond: conjugated single bonds are shorter, and a bond to a charged end atom
    (nitro, carboxylate O⁻) lies between single and double, as it resonates."""
    from rdkit import Chem

    kind = bond.GetBondType()
    if any(a.GetFormalCharge() and a.GetDegree() == 1 for a in (bond.GetBeginAtom(), bond.GetEndAtom())):
        return double + 0.3 * (single - double)
    if kind == Chem.BondType.SINGLE:
        donor = any(a.GetSymbol() in ("N", "O") for a in (bond.GetBeginAtom(), bond.GetEndAtom()))
        return single - (0.08 if donor and conjugated_ends else 0.04 * conjugated_ends)  # phenol, aniline, amide
    return triple if kind == Chem.BondType.TRIPLE and triple is not None else double


def _height_fits(multiple: bool, symbol: str, height: float) -> bool:
    """A double-bonded three-neighbour atom is flat; a saturated carbon is pyramidal (N may be either)."""
    if multiple:
        return height <= _TOLERANT_FLAT_A
    return symbol != "C" or height >= _TOLERANT_PYRAMID_A


def _angle_fits(orders: list, angle: float) -> bool:
    """A triple bond or two double bonds make a straight atom; one double or aromatic bond, a bent one."""
    from rdkit import Chem

    if Chem.BondType.TRIPLE in orders or orders.count(Chem.BondType.DOUBLE) == 2:
        return angle >= 150.0
    return angle <= 160.0


def _plausible(heavy, geometry: Geometry) -> bool:
    """Sanity checks of a closed structure against the pose: no radicals, flat aromatic rings, planar double-bonded
    atoms, straight triple bonds."""
    from rdkit import Chem

    if any(atom.GetNumRadicalElectrons() for atom in heavy.GetAtoms()):
        return False
    if any(atom.GetFormalCharge() and atom.GetSymbol() == "C" for atom in heavy.GetAtoms()):
        return False  # carbanions and carbocations: what a wrong hydrogen count leaves behind
    for ring in heavy.GetRingInfo().AtomRings():
        aromatic = all(heavy.GetAtomWithIdx(i).GetIsAromatic() for i in ring)
        if aromatic and len(ring) <= 7 and geometry.deviation(list(ring)) > _TOLERANT_FLAT_A:
            return False
    for atom in heavy.GetAtoms():
        orders = [bond.GetBondType() for bond in atom.GetBonds()]
        multiple = any(o in (Chem.BondType.DOUBLE, Chem.BondType.AROMATIC) for o in orders)
        index = atom.GetIdx()
        if atom.GetSymbol() not in ("C", "N"):
            continue
        if atom.GetDegree() == 3 and not _height_fits(multiple, atom.GetSymbol(), geometry.height(index)):
            return False
        if atom.GetDegree() == 2 and not _angle_fits(orders, geometry.angle(index) or 0.0):
            return False
    return True
