"""Protein–ligand contacts of a predicted structure: distances, interaction kinds, clashes, pocket membership.

Predicted structures carry no hydrogens, so interaction kinds follow criteria on heavy atoms (as in PLIP) with the
H-bond roles and charges of contact_roles.py, checked for each residue with a heavy atom within `cutoff` (4 Å) of
the ligand:

- clash: a protein–ligand heavy-atom pair closer than 0.75 × the sum of their van der Waals radii (RDKit's
  periodic table), PoseBusters' minimum-distance-to-protein check (Buttenschoen et al., Chem. Sci. 2024): 2.55 Å
  for C–C, 2.36 Å for N–O, 2.33 Å for O–O. A pair the file records as covalently bonded (struct_conn) is no clash.
  A clashing pair is listed as a clash and counts as no interaction: the pose there is not physical.
- hydrogen_bond: a donor and an acceptor (either way round) within 3.5 Å, both roles certain.
  possible_hydrogen_bond: the same with a role that protonation or a tautomer decides (His, amines, acids, Cys),
  or with a ligand whose chemistry is unknown (no SMILES, or one that does not match the pose). Without
  hydrogens the D–H···A angle cannot be checked.
- salt_bridge: a charged atom within 4.0 Å of a ligand atom of opposite charge (contact_roles.py; His counted as
  possibly protonated). Without the ligand's chemistry, its charges come from geometry: positive, an amine N
  (bonded only to carbons, every bond ≥ 1.43 Å, so not amide, aniline or aromatic N) or an amidine/guanidine N (its
  carbon, not aromatic and not bonded to O, carries ≥ 2 N); negative, a terminal O of a carboxylate/carboxylic acid
  (C with two terminal O), or of a phosphate, phosphonate, sulfate or sulfonate (P or S with ≥ 3 O).
- hydrophobic: a ligand carbon bonded to no N/O within 4.0 Å of a side-chain carbon (not C or CA) of
  Ala, Val, Leu, Ile, Met, Phe, Trp, Pro or Tyr.
- pi_stacking: ring centroids of a Phe/Tyr/Trp/His side chain and a ligand aromatic ring within 5.5 Å, with the
  ring normals parallel (< 30°) or T-shaped (> 60°) and the centroid offset ≤ 2.0 Å. Ligand rings are
  5- and 6-membered cycles of bonds inferred from distances (≤ sum of covalent radii + 0.4 Å) that are planar
  (every atom ≤ 0.12 Å from the ring plane) with a mean bond length ≤ 1.44 Å (aromatic, not saturated).

Documents stored before roles and clashes were checked hold kinds from distances alone: any N/O pair within
3.5 Å was a hydrogen_bond, and a clashing pair counted as a contact.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import gemmi
import numpy as np

from omtx_core.analysis.contact_roles import (
    CERTAIN,
    POSSIBLE,
    Roles,
    ccd_smiles,
    element_roles,
    hbond_certainty,
    ligand_roles,
    protein_roles,
)
from omtx_core.analysis.models import Contact, ContactPair, Pocket, PocketResidueCheck
from omtx_core.analysis.structure import (
    ResidueRecord,
    StructureSource,
    chain_records,
    load_structure,
    residue_records,
)

HYDROGEN_BOND_MAX_A = 3.5
SALT_BRIDGE_MAX_A = 4.0
HYDROPHOBIC_MAX_A = 4.0
PI_STACKING_MAX_A = 5.5
PI_OFFSET_MAX_A = 2.0
POCKET_CENTER_MAX_A = 8.0
CLASH_VDW_FRACTION = 0.75  # PoseBusters: a pair closer than 0.75 × the sum of van der Waals radii clashes
KINDS = ("hydrogen_bond", "possible_hydrogen_bond", "salt_bridge", "hydrophobic", "pi_stacking", "clash")

_HYDROPHOBIC_RESIDUES = {"ALA", "VAL", "LEU", "ILE", "MET", "PHE", "TRP", "PRO", "TYR"}
_BENZENE = ("CG", "CD1", "CD2", "CE1", "CE2", "CZ")
_RINGS = {
    "PHE": (_BENZENE,),
    "TYR": (_BENZENE,),
    "TRP": (("CG", "CD1", "NE1", "CE2", "CD2"), ("CD2", "CE2", "CZ2", "CH2", "CZ3", "CE3")),
    "HIS": (("CG", "ND1", "CE1", "NE2", "CD2"),),
}
_POLAR = {"N", "O"}


@dataclass(frozen=True)
class _Ring:
    centroid: np.ndarray
    normal: np.ndarray


def ligand_contacts(
    structure_path: StructureSource,
    ligand_chain: str,
    *,
    cutoff: float = 4.0,
    smiles: str | None = None,
    ccd: str | None = None,
) -> list[Contact]:
    """Residues of other chains with a heavy atom within `cutoff` Å of the ligand, closest first.

    Each: residue "A:113:ASP", chain "A", number 113, name "ASP", distance_A 2.55, kinds ["hydrogen_bond",
    "salt_bridge"] (in the order of KINDS; criteria in the module docstring) and the atom pairs behind its H-bonds,
    salt bridges and clashes. The ligand's SMILES (or CCD code) as given to Boltz tells its donors, acceptors and
    charges; without it, or when it does not match the pose, H-bonds are only possible.
    """
    structure = load_structure(structure_path)
    records = residue_records(structure)
    ligand = _Ligand(chain_records(records, ligand_chain))
    template = smiles or (ccd_smiles(ccd) if ccd else None)
    ligand.roles = ligand_roles(structure, ligand_chain, ligand.coords, template) or Roles(
        *element_roles(ligand.elements, ligand.neighbours), ligand.positive, ligand.negative
    )
    bonded = _covalent_pairs(structure, ligand_chain)
    contacts = []
    for residue in records:
        if residue.chain == ligand_chain or residue.is_ligand:
            continue
        distances = _distances(residue.coords, ligand.coords)
        if distances.min() <= cutoff:
            contacts.append(_contact(residue, distances, ligand, bonded))
    contacts.sort(key=lambda contact: (contact.distance_A, contact.chain, contact.number))
    return contacts


def pocket_of_ligand(
    ligand: Sequence[Contact] | np.ndarray | Sequence[Sequence[float]], pockets: list[Pocket]
) -> str | None:
    """The id of the pocket the ligand sits in, or None.

    Given contacts (from `ligand_contacts`): the pocket whose lining residues include most contact residues
    (ties: the better-ranked pocket). Given ligand coordinates [n, 3]: the pocket whose center is nearest the
    ligand centroid, if within POCKET_CENTER_MAX_A (8 Å).
    """
    items = list(ligand)
    if not pockets or not items:
        return None
    if isinstance(items[0], Contact):
        contacted = {contact.residue for contact in items}
        overlaps = [(len(contacted & set(pocket.residues)), -pocket.rank, pocket.id) for pocket in pockets]
        best = max(overlaps)
        return best[2] if best[0] > 0 else None
    centroid = np.asarray(items, dtype=float).reshape(-1, 3).mean(axis=0)
    distances = [float(np.linalg.norm(np.asarray(pocket.center) - centroid)) for pocket in pockets]
    nearest = int(np.argmin(distances))
    return pockets[nearest].id if distances[nearest] <= POCKET_CENTER_MAX_A else None


def check_pocket_constraint(
    structure_path: StructureSource, ligand_chain: str, residues: list[tuple[str, int]], max_distance: float
) -> list[PocketResidueCheck]:
    """Whether the predicted ligand pose honours a Boltz pocket constraint, residue by residue.

    Each check holds the exact minimum heavy-atom distance to the ligand (3 decimals; `satisfied` compares the
    unrounded value with `max_distance`). A residue absent from the structure has found False, name and
    distance None, satisfied False.
    """
    records = residue_records(load_structure(structure_path))
    ligand_coords = np.vstack([record.coords for record in chain_records(records, ligand_chain)])
    by_key = {(record.chain, record.number): record for record in records if record.chain != ligand_chain}
    checks = []
    for chain, number in residues:
        record = by_key.get((chain, int(number)))
        distance = float(_distances(record.coords, ligand_coords).min()) if record else None
        checks.append(
            PocketResidueCheck(
                residue=record.label if record else f"{chain}:{int(number)}",
                chain=chain,
                number=int(number),
                name=record.name if record else None,
                found=record is not None,
                min_distance_A=round(distance, 3) if distance is not None else None,
                max_distance_A=float(max_distance),
                satisfied=distance is not None and distance <= max_distance,
            )
        )
    return checks


def _contact(residue: ResidueRecord, distances: np.ndarray, ligand: _Ligand, bonded: set[tuple]) -> Contact:
    masks = _pair_masks(residue, distances, ligand, bonded)
    stacked = any(_stacked(ring, other) for ring in _residue_rings(residue) for other in ligand.rings)
    found = {kind: bool(mask.any()) for kind, mask in masks.items()} | {"pi_stacking": stacked}
    pairs = [
        ContactPair(kind=kind, residue_atom=residue.atoms[i].name, ligand_atom=ligand.names[j], distance_A=_r(d))
        for kind, mask in masks.items()
        if kind != "hydrophobic"  # dozens of carbon pairs a chemist reads from the structure, not from a list
        for (i, j), d in zip(np.argwhere(mask), distances[mask], strict=True)
    ]
    pairs.sort(key=lambda pair: (KINDS.index(pair.kind), pair.distance_A, pair.residue_atom, pair.ligand_atom))
    return Contact(
        residue=residue.label,
        chain=residue.chain,
        number=residue.number,
        name=residue.name,
        distance_A=_r(distances.min()),
        kinds=[kind for kind in KINDS if found.get(kind)],
        pairs=pairs,
    )


def _pair_masks(
    residue: ResidueRecord, distances: np.ndarray, ligand: _Ligand, bonded: set[tuple]
) -> dict[str, np.ndarray]:
    """[n_residue_atoms, n_ligand_atoms] masks of the pairs behind each kind; a clashing pair is a clash only."""
    roles = protein_roles(residue.name, [atom.name for atom in residue.atoms])
    radii = np.array([_vdw_radius(atom.element) for atom in residue.atoms])
    clash = distances < CLASH_VDW_FRACTION * (radii[:, None] + ligand.radii[None, :])
    if bonded:
        keys = [(residue.chain, residue.number, atom.name) for atom in residue.atoms]
        clash &= ~np.array([[(key, other) in bonded for other in ligand.keys] for key in keys], dtype=bool)
    usable = ~clash
    hbond = hbond_certainty(roles, ligand.roles) * ((distances <= HYDROGEN_BOND_MAX_A) & usable)
    charged = np.outer(roles.positive, ligand.roles.negative) | np.outer(roles.negative, ligand.roles.positive)
    greasy = residue.name in _HYDROPHOBIC_RESIDUES
    side_carbons = np.array([greasy and a.element == "C" and a.name not in ("C", "CA") for a in residue.atoms])
    return {
        "hydrogen_bond": hbond == CERTAIN,
        "possible_hydrogen_bond": hbond == POSSIBLE,
        "salt_bridge": charged & (distances <= SALT_BRIDGE_MAX_A) & usable,
        "hydrophobic": np.outer(side_carbons, ligand.hydrophobic) & (distances <= HYDROPHOBIC_MAX_A) & usable,
        "clash": clash,
    }


def _covalent_pairs(structure: gemmi.Structure, ligand_chain: str) -> set[tuple]:
    """((chain, number, atom), (ligand residue number, ligand atom)) of each covalent bond the file records."""
    pairs = set()
    for link in structure.connections:
        ends = (link.partner1, link.partner2)
        on_ligand = [end.chain_name == ligand_chain for end in ends]
        if link.type != gemmi.ConnectionType.Covale or sum(on_ligand) != 1:
            continue
        own, other = ends if on_ligand[0] else ends[::-1]
        pairs.add(((other.chain_name, other.res_id.seqid.num, other.atom_name), (own.res_id.seqid.num, own.atom_name)))
    return pairs


@lru_cache(maxsize=64)
def _vdw_radius(element: str) -> float:
    from rdkit.Chem import GetPeriodicTable

    try:
        return float(GetPeriodicTable().GetRvdw(element.capitalize()))
    except RuntimeError:  # an element RDKit does not know (gemmi's "X"): a carbon's radius
        return 1.7


def _r(value: float) -> float:
    return round(float(value), 2)


def _distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.linalg.norm(a[:, None, :] - b[None, :, :], axis=2)


def _residue_rings(residue: ResidueRecord) -> list[_Ring]:
    positions = {atom.name: atom.xyz for atom in residue.atoms}
    rings = []
    for names in _RINGS.get(residue.name, ()):
        if all(name in positions for name in names):
            rings.append(_ring_geometry(np.array([positions[name] for name in names]))[0])
    return rings


def _ring_geometry(points: np.ndarray) -> tuple[_Ring, float]:
    """The ring's centroid and unit normal (best-fit plane), and the largest atom distance from that plane."""
    centroid = points.mean(axis=0)
    normal = np.linalg.svd(points - centroid)[2][-1]
    return _Ring(centroid, normal), float(np.abs((points - centroid) @ normal).max())


def _stacked(a: _Ring, b: _Ring) -> bool:
    between = b.centroid - a.centroid
    if np.linalg.norm(between) > PI_STACKING_MAX_A:
        return False
    angle = np.degrees(np.arccos(min(abs(float(a.normal @ b.normal)), 1.0)))
    offset = min(_offset(between, a.normal), _offset(-between, b.normal))
    return (angle < 30.0 or angle > 60.0) and offset <= PI_OFFSET_MAX_A


def _offset(between: np.ndarray, normal: np.ndarray) -> float:
    """Distance from one centroid to the other's projection onto the first ring's plane."""
    return float(np.linalg.norm(between - (between @ normal) * normal))


class _Ligand:
    """Ligand heavy atoms with bonds inferred from distances, and the atom roles the criteria need.

    `positive`/`negative` are the charges read from geometry, used only when the ligand's chemistry is unknown;
    `roles` (set by ligand_contacts) holds the H-bond roles and charges the criteria use.
    """

    roles: Roles

    def __init__(self, records: list[ResidueRecord]) -> None:
        atoms = [atom for record in records for atom in record.atoms]
        self.names = [atom.name for atom in atoms]
        self.keys = [(record.number, atom.name) for record in records for atom in record.atoms]
        self.elements = [atom.element for atom in atoms]
        self.radii = np.array([_vdw_radius(element) for element in self.elements])
        self.coords = np.array([atom.xyz for atom in atoms], dtype=float).reshape(-1, 3)
        self.lengths = _distances(self.coords, self.coords)
        radii = np.array([gemmi.Element(element).covalent_r for element in self.elements])
        bonded = self.lengths <= radii[:, None] + radii[None, :] + 0.4
        np.fill_diagonal(bonded, False)
        self.neighbours = [np.flatnonzero(row).tolist() for row in bonded]
        self.rings, aromatic = _aromatic_rings(self.coords, self.neighbours, self.lengths)
        self.hydrophobic = np.array(
            [e == "C" and not any(self.elements[j] in _POLAR for j in self.neighbours[i]) for i, e in self._items()]
        )
        self.positive = np.array([e == "N" and self._cationic(i, aromatic) for i, e in self._items()])
        self.negative = np.array([e == "O" and self._anionic(i) for i, e in self._items()])

    def _items(self) -> list[tuple[int, str]]:
        return list(enumerate(self.elements))

    def _cationic(self, index: int, aromatic: set[int]) -> bool:
        neighbours = self.neighbours[index]
        if index in aromatic:
            return False
        amine = all(self.elements[j] == "C" and self.lengths[index, j] >= 1.43 for j in neighbours)
        return amine or any(self._amidine_carbon(j, aromatic) for j in neighbours)

    def _amidine_carbon(self, index: int, aromatic: set[int]) -> bool:
        around = [self.elements[j] for j in self.neighbours[index]]
        return self.elements[index] == "C" and index not in aromatic and "O" not in around and around.count("N") >= 2

    def _anionic(self, index: int) -> bool:
        neighbours = self.neighbours[index]
        if len(neighbours) != 1:
            return False
        centre = neighbours[0]
        terminal_oxygens = [
            j for j in self.neighbours[centre] if self.elements[j] == "O" and len(self.neighbours[j]) == 1
        ]
        if self.elements[centre] == "C":
            return len(terminal_oxygens) == 2
        oxygens = [j for j in self.neighbours[centre] if self.elements[j] == "O"]
        return self.elements[centre] in ("P", "S") and len(oxygens) >= 3


def _aromatic_rings(
    coords: np.ndarray, neighbours: list[list[int]], lengths: np.ndarray
) -> tuple[list[_Ring], set[int]]:
    rings, atoms = [], set()
    for cycle in _small_cycles(neighbours):
        ring, deviation = _ring_geometry(coords[list(cycle)])
        bonds = [lengths[cycle[i], cycle[i - 1]] for i in range(len(cycle))]
        if deviation <= 0.12 and float(np.mean(bonds)) <= 1.44:
            rings.append(ring)
            atoms.update(cycle)
    return rings, atoms


def _small_cycles(neighbours: list[list[int]], sizes: tuple[int, ...] = (5, 6)) -> list[tuple[int, ...]]:
    """Simple cycles of the given sizes, each once, as atom indices in ring order."""
    found: dict[frozenset[int], tuple[int, ...]] = {}
    longest = max(sizes)
    for start in range(len(neighbours)):
        # Only walk through atoms with a larger index than the start, so each cycle is found from its lowest atom.
        stack = [(start, (start,))]
        while stack:
            node, path = stack.pop()
            for nxt in neighbours[node]:
                if nxt == start and len(path) in sizes:
                    found.setdefault(frozenset(path), path)
                elif nxt > start and nxt not in path and len(path) < longest:
                    stack.append((nxt, (*path, nxt)))
    return list(found.values())
