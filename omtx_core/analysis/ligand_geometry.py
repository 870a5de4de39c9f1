"""The geometry of a ligand's heavy atoms read as chemistry: bond lengths, angles and flatness, and the states
(hydrogens, multiple bonds, charge) each atom may be in, with how well the pose fits each (see analysis/ligands.py).

Costs are in tolerance units: 0 is a perfect fit, 1 about one typical deviation of a predicted pose.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

BOND_SIGMA_A = 0.07  # how far a predicted bond length may stray from the typical one (one tolerance unit)
CATION_COST = 1.0  # a charge-separated N⁺/O⁻ structure must fit that much better than a neutral one
VALENCE = {"C": 4, "N": 3, "O": 2, "S": 2, "P": 3, "B": 3, "Si": 4, "Se": 2, "F": 1, "Cl": 1, "Br": 1, "I": 1}
MAX_DEGREE = {"C": 4, "N": 4, "O": 2, "B": 4, "Si": 4, "F": 1, "Cl": 1, "Br": 1, "I": 1}
# Typical single / double / triple bond lengths (Å) of terminal bonds, from the CSD averages (Allen et al. 1987).
_LENGTHS = {
    frozenset("CC"): (1.53, 1.33, 1.20),
    frozenset("CN"): (1.47, 1.28, 1.15),
    frozenset("CO"): (1.43, 1.22, None),
    frozenset(("C", "S")): (1.82, 1.67, None),
    frozenset("NO"): (1.43, 1.22, None),
    frozenset("NN"): (1.45, 1.25, 1.10),
    frozenset(("S", "O")): (1.57, 1.44, None),
    frozenset(("P", "O")): (1.60, 1.49, None),
    frozenset(("P", "S")): (2.10, 1.95, None),
    frozenset(("S", "N")): (1.65, 1.53, None),
    frozenset(("C", "F")): (1.35, 1.15, None),  # halogens bond singly: their "double" only scales fractions
    frozenset(("C", "Cl")): (1.75, 1.55, None),
    frozenset(("C", "Br")): (1.91, 1.71, None),
    frozenset(("C", "I")): (2.11, 1.91, None),
}
_CONJUGATION_A = {"C": 0.05, "N": 0.10, "O": 0.08}  # how much shorter a single bond to an sp2 atom is
_RADIUS = {"C": 0.76, "N": 0.71, "O": 0.66, "S": 1.05, "P": 1.07, "B": 0.84, "Si": 1.11, "Se": 1.20}


class State(NamedTuple):
    """One state of an atom: its cost, its hydrogens, and whether it is a cation (N⁺, closed as a carbon)."""

    cost: float
    hydrogens: int
    cation: bool = False


class Geometry:
    """Positions, neighbours, bond lengths, angles, flatness, and how sp2-like each non-terminal atom looks."""

    def __init__(self, mol) -> None:
        from rdkit import Chem

        self.pos = mol.GetConformer().GetPositions()
        self.symbols = [atom.GetSymbol() for atom in mol.GetAtoms()]
        self.neighbours = [[n.GetIdx() for n in atom.GetNeighbors()] for atom in mol.GetAtoms()]
        self.rings = [list(ring) for ring in Chem.GetSymmSSSR(mol)]
        self.sp2_evidence = {i: self._sp2_evidence(i) for i, n in enumerate(self.neighbours) if len(n) in (2, 3)}

    def _sp2_evidence(self, index: int) -> float:
        """How strongly the pose says sp2 (> 0) or sp3 (< 0), in tolerance units: flatness of a three-neighbour
        atom, flatness and short bonds of its flattest 5/6-ring, else its bond angle, and its shortest bond."""
        neighbours = self.neighbours[index]
        shortest = max(self.double_fraction(index, n) for n in neighbours)
        evidence = (shortest - 0.5) / 0.4
        if len(neighbours) == 3:
            evidence += (0.26 - self.height(index)) / 0.08
        rings = [ring for ring in self.rings if index in ring and len(ring) in (5, 6)]
        if rings:
            ring = min(rings, key=self.deviation)
            bonds = [self.double_fraction(ring[k], ring[k - 1]) for k in range(len(ring))]
            evidence += (0.15 - self.deviation(ring)) / 0.08 + (float(np.mean(bonds)) - 0.3) / 0.12
        elif len(neighbours) == 2:
            evidence += (self.angle(index) - 114.5) / 3.0
        return evidence

    def lengths(self, i: int, j: int) -> tuple[float, float, float | None]:
        """Typical single, double and triple bond lengths between the elements of atoms i and j, Å."""
        a, b = self.symbols[i], self.symbols[j]
        if known := _LENGTHS.get(frozenset((a, b))):
            return known
        single = _RADIUS.get(a, 0.8) + _RADIUS.get(b, 0.8)
        return single, single - 0.18, single - 0.3

    def double_fraction(self, i: int, j: int) -> float:
        """Where the bond's length lies from single (0) to double (1); aromatic bonds about 0.6."""
        single, double, _ = self.lengths(i, j)
        return (single - self.length(i, j)) / (single - double)

    def in_ring(self, index: int) -> bool:
        return any(index in ring for ring in self.rings)

    def deviation(self, ring: list[int]) -> float:
        """The largest distance of a ring atom from the ring's best-fit plane, Å."""
        centred = self.pos[ring] - self.pos[ring].mean(axis=0)
        return float(np.abs(centred @ np.linalg.svd(centred)[2][2]).max())

    def height(self, index: int) -> float:
        """Distance of a three-neighbour atom from the plane of its neighbours, Å (0 for sp2, ~0.5 for sp3)."""
        a, b, c = self.pos[self.neighbours[index]]
        normal = np.cross(b - a, c - a)
        return float(abs((self.pos[index] - a) @ normal) / max(np.linalg.norm(normal), 1e-9))

    def angle(self, index: int) -> float | None:
        """The bond angle at a two-neighbour atom, degrees (None for other atoms)."""
        if len(self.neighbours[index]) != 2:
            return None
        first, second = (self.pos[n] - self.pos[index] for n in self.neighbours[index])
        cosine = first @ second / max(np.linalg.norm(first) * np.linalg.norm(second), 1e-9)
        return float(np.degrees(np.arccos(np.clip(cosine, -1.0, 1.0))))

    def length(self, i: int, j: int) -> float:
        return float(np.linalg.norm(self.pos[i] - self.pos[j]))


# --- each atom's states -------------------------------------------------------------------------------------


def atom_states(atom, geometry: Geometry) -> list[State]:
    """Each state the atom may be in, cheapest first."""
    symbol, degree, index = atom.GetSymbol(), atom.GetDegree(), atom.GetIdx()
    if symbol == "N" and degree >= 3:  # an amine or amide N, or N⁺ with a double bond (nitro, N-oxide, pyridinium)
        return [State(0.0, 0), State(CATION_COST, 0, True)] if degree == 3 else [State(0.0, 0, True)]
    free = VALENCE.get(symbol, 0) - degree  # valence left for hydrogens and multiple bonds
    if free <= 0 or degree == 0 or (degree == 2 and symbol in ("O", "S", "Se")):
        return [State(0.0, max(free, 0))]  # saturated, an ether, or hypervalent S/P (their valence: RDKit's choice)
    if degree == 1:
        costs = _terminal_costs(symbol, index, geometry)
    else:
        costs = _unsaturation_costs(symbol, degree, geometry, index)
    return sorted(State(cost, free - extra) for extra, cost in costs.items() if extra <= free)


def _unsaturation_costs(symbol: str, degree: int, geometry: Geometry, index: int) -> dict[int, float]:
    """Cost of 0, 1 (or 2) multiple bonds at a non-terminal atom, from its sp2 evidence (tolerance units)."""
    evidence, angle = geometry.sp2_evidence[index], geometry.angle(index)
    costs = {1: max(0.0, -evidence), 0: max(0.0, evidence)}
    if symbol == "N" and geometry.in_ring(index):  # pyridine- or pyrrole-like: valence decides more than shape
        return {1: min(costs[1], 2.0), 0: min(costs[0], 1.0) + 0.25}
    if symbol == "N":  # an amide, sulfonamide or amine NH (conjugated, so sp2-shaped) unless C=N is clearly short
        shortest = max(geometry.double_fraction(index, n) for n in geometry.neighbours[index])
        return {1: max(0.0, (0.9 - shortest) / 0.15), 0: max(0.0, (shortest - 0.75) / 0.15)}
    if degree == 2 and angle is not None:  # sp: straight
        costs[2] = max(0.0, (165.0 - angle) / 5.0)
        costs[1] += max(0.0, (angle - 155.0) / 3.0)
    return costs


def _terminal_costs(symbol: str, index: int, geometry: Geometry) -> dict[int, float]:
    """From the bond's length against the single, double and triple bond lengths of its two elements (a single
    bond to a conjugated atom is shorter)."""
    (neighbour,) = geometry.neighbours[index]
    single, double, triple = geometry.lengths(index, neighbour)
    if geometry.sp2_evidence.get(neighbour, -1.0) > 0:
        single -= _CONJUGATION_A.get(symbol, 0.04)
    length = geometry.length(index, neighbour)
    costs = {0: abs(length - single) / BOND_SIGMA_A, 1: abs(length - double) / BOND_SIGMA_A}
    if triple is not None and symbol in ("C", "N"):
        costs[2] = abs(length - triple) / BOND_SIGMA_A
    return costs
