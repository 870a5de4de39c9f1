"""Geometry of the 2D interaction diagram: the posed ligand, each contact's anchor atoms, and where residues go."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from omtx_core.analysis.models import Contact
from omtx_core.analysis.poses import PoseError, pose_molecule, pose_skeleton
from omtx_core.analysis.structure import StructureSource, load_structure, residue_records

# Kinds drawn as lines, strongest first: when a residue has several, the first decides the box's outline.
LINE_KINDS = ("clash", "salt_bridge", "hydrogen_bond", "possible_hydrogen_bond", "pi_stacking", "hydrophobic")
PAIR_KINDS = {"hydrogen_bond", "possible_hydrogen_bond", "salt_bridge", "clash"}  # stored with atom pairs
_BACKBONE = {"N", "CA", "C", "O", "OXT"}
BOX_GAP_PX = 6.0  # the least space left between two residue boxes
ATOM_CLEARANCE_PX = 24.0  # the least space between a box and a ligand atom's centre


@dataclass(frozen=True)
class Link:
    """One line of the diagram: an interaction kind to one ligand atom, or to a ring's centre (π-stacking)."""

    kind: str
    atoms: tuple[int, ...]
    distance_A: float | None = None


@dataclass
class ResidueSpot:
    """A contacting residue: its lines, the ligand atom it sits nearest, and its box (centre and size, px)."""

    contact: Contact
    links: list[Link]
    nearest: int
    size: tuple[float, float] = (0.0, 0.0)
    centre: np.ndarray = field(default_factory=lambda: np.zeros(2))
    anchor: np.ndarray = field(default_factory=lambda: np.zeros(2))  # where its lines meet the ligand, roughly


@dataclass(frozen=True)
class PosedLigand:
    """The ligand as posed: an RDKit molecule (3D conformer, atoms in file order), atom names, and what is missing."""

    mol: Any
    names: list[str]
    note: str | None  # None when bond orders come from the SMILES


def posed_ligand(structure: StructureSource, chain: str, smiles: str | None) -> PosedLigand:
    """The ligand with its SMILES' bond orders; without a usable SMILES, its atoms and single bonds from distances."""
    from rdkit import Chem

    structure = load_structure(structure)
    names = [atom.name for residue in structure[0][chain] for atom in residue] if structure[0].find_chain(chain) else []
    if smiles:
        try:
            return PosedLigand(pose_molecule(smiles, structure, chain)[0], names, None)
        except PoseError as exc:
            note = f"The SMILES does not match the pose ({exc}) so the ligand is drawn from its coordinates"
    else:
        note = "The ligand's SMILES is unknown, so it is drawn from its coordinates"
    # Raises PoseError when the chain has no atoms or no bonds can be worked out: then there is nothing to draw.
    skeleton = pose_skeleton(structure, chain)
    for atom in skeleton.GetAtoms():
        atom.SetNoImplicit(True)  # hydrogens unknown: draw each element alone, not as guessed NH2 or OH
    skeleton.UpdatePropertyCache(strict=False)
    Chem.FastFindRings(skeleton)  # ring centres for π-stacking lines; an unsanitised molecule has no ring info
    return PosedLigand(skeleton, names, note + ": bonds from distances, bond orders unknown.")


def residue_spots(contacts: list[Contact], structure: StructureSource, ligand: PosedLigand) -> list[ResidueSpot]:
    """Each contact with its lines: atom pairs where stored, else the nearest ligand atoms (hydrophobic) or ring."""
    structure = load_structure(structure)
    records = {(r.chain, r.number): r for r in residue_records(structure) if not r.is_ligand}
    xyz = ligand.mol.GetConformer().GetPositions()
    index = {}
    for i, name in enumerate(ligand.names):
        index.setdefault(name, i)
    carbons = np.array([atom.GetAtomicNum() == 6 for atom in ligand.mol.GetAtoms()])
    rings = [ring for ring in ligand.mol.GetRingInfo().AtomRings() if len(ring) in (5, 6)]
    spots = []
    for contact in contacts:
        record = records.get((contact.chain, contact.number))
        coords = record.coords if record is not None else np.empty((0, 3))
        side = np.array([a.name not in _BACKBONE for a in record.atoms]) if record is not None else np.zeros(0, bool)
        nearest = _nearest(coords, xyz) if len(coords) else 0
        links = _pair_links(contact, index)
        # A kind stored without its pairs (documents of an earlier version) still gets a line, to the nearest atom.
        links += [Link(k, (nearest,)) for k in contact.kinds if k in PAIR_KINDS and all(x.kind != k for x in links)]
        if "hydrophobic" in contact.kinds and len(coords):
            greasy = coords[side] if side.any() else coords
            links.append(Link("hydrophobic", (_nearest(greasy, xyz, carbons if carbons.any() else None),)))
        if "pi_stacking" in contact.kinds and rings and len(coords):
            centre = (coords[side] if side.any() else coords).mean(axis=0)
            ring = min(rings, key=lambda r: float(np.linalg.norm(xyz[list(r)].mean(axis=0) - centre)))
            links.append(Link("pi_stacking", tuple(ring)))
        spots.append(ResidueSpot(contact, links, nearest))
    return spots


def _pair_links(contact: Contact, index: dict[str, int]) -> list[Link]:
    """One line per kind and ligand atom of the stored pairs (the closest pair of each), in LINE_KINDS order."""
    best: dict[tuple[str, int], float] = {}
    for pair in contact.pairs:
        atom = index.get(pair.ligand_atom)
        if pair.kind in PAIR_KINDS and atom is not None:
            key = (pair.kind, atom)
            best[key] = min(best.get(key, pair.distance_A), pair.distance_A)
    ordered = sorted(best.items(), key=lambda item: (LINE_KINDS.index(item[0][0]), item[1]))
    return [Link(kind, (atom,), distance) for (kind, atom), distance in ordered]


def _nearest(points: np.ndarray, ligand_xyz: np.ndarray, allowed: np.ndarray | None = None) -> int:
    """The index of the ligand atom closest to any of `points` (among `allowed` atoms when given)."""
    distances = np.linalg.norm(points[:, None, :] - ligand_xyz[None, :, :], axis=2).min(axis=0)
    if allowed is not None:
        distances = np.where(allowed, distances, np.inf)
    return int(np.argmin(distances))


def anchor_point(link: Link, atom_xy: np.ndarray) -> np.ndarray:
    """Where a line meets the ligand drawing: the atom, or the ring's centre."""
    return atom_xy[list(link.atoms)].mean(axis=0)


def place_residues(spots: list[ResidueSpot], atom_xy: np.ndarray, neighbours: list[list[int]]) -> None:
    """Put each box on a ray out from its anchor atoms, beyond the ligand, then spread the boxes so none overlap.

    `atom_xy` are the ligand's drawn atom positions (px), `neighbours` its bonds. Boxes are pushed off each other
    and off the ligand's atoms, and pulled back towards their ray, until nothing overlaps (or 800 rounds pass).
    """
    if not spots:
        return
    obstacles = _obstacles(atom_xy, neighbours)
    target = _targets(spots, atom_xy, neighbours, obstacles)
    for _ in range(800):
        moved = _spread(spots, obstacles) | _off_lines(spots)
        for spot, goal in zip(spots, target, strict=True):
            spot.centre = spot.centre + (0.04 if spot.links else 0.015) * (goal - spot.centre)
        if not moved and not overlaps(spots) and not _on_atoms(spots, obstacles):
            break
    for _ in range(300):  # then without the pull, so boxes can leave the lines they still hide
        if not (_spread(spots, obstacles) | _off_lines(spots)):
            break
    for _ in range(400):  # and last the spread alone, so it ends clean
        if not _spread(spots, obstacles):
            break


def _targets(
    spots: list[ResidueSpot], atom_xy: np.ndarray, neighbours: list[list[int]], obstacles: np.ndarray
) -> np.ndarray:
    """Each box's goal: out from its anchor atoms, away from the ligand's middle and its bonds, clear of the drawing."""
    centroid = atom_xy.mean(axis=0)
    targets = []
    for spot in spots:
        atoms = sorted({a for link in spot.links for a in link.atoms}) or [spot.nearest]
        anchor = atom_xy[atoms].mean(axis=0)
        direction = _unit(anchor - centroid) + sum(
            (_unit(atom_xy[a] - atom_xy[b]) for a in atoms for b in neighbours[a]), start=np.zeros(2)
        ) / max(len(atoms), 1)
        direction = _unit(direction) if np.linalg.norm(direction) > 1e-6 else _unit(anchor - centroid + 1e-3)
        # Out along the ray until the box clears the drawing, so a line is never hidden under its own box.
        reach = 22.0 + 0.5 * spot.size[0] * abs(direction[0]) + 0.5 * spot.size[1] * abs(direction[1])
        while _covers(anchor + direction * reach, spot.size, obstacles, ATOM_CLEARANCE_PX + 16) and reach < 2000:
            reach += 4.0
        if not spot.links:  # boxes without a line make room near the ligand for those with one
            reach += 34.0
        targets.append(anchor + direction * reach)
        spot.centre, spot.anchor = targets[-1], anchor
    return np.array(targets)


def _spread(spots: list[ResidueSpot], atom_xy: np.ndarray) -> bool:
    """One round of pushing overlapping boxes apart and boxes off atoms; whether anything moved."""
    moved = False
    for i, a in enumerate(spots):
        for j in range(i + 1, len(spots)):
            b = spots[j]
            gap_x = (a.size[0] + b.size[0]) / 2 + BOX_GAP_PX - abs(a.centre[0] - b.centre[0])
            gap_y = (a.size[1] + b.size[1]) / 2 + BOX_GAP_PX - abs(a.centre[1] - b.centre[1])
            if gap_x > 0 and gap_y > 0:
                axis = 0 if gap_x < gap_y else 1
                sign = np.sign(a.centre[axis] - b.centre[axis]) or (1.0 if i % 2 else -1.0)
                push = np.zeros(2)
                push[axis] = sign * (min(gap_x, gap_y) / 2 + 0.5)
                a.centre, b.centre = a.centre + push, b.centre - push
                moved = True
        offsets = a.centre - atom_xy
        inside = np.array(a.size) / 2 + ATOM_CLEARANCE_PX - np.abs(offsets)
        hit = (inside > 0).all(axis=1)
        if hit.any():  # push off the point that is deepest in, along its shorter way out
            depth = inside.min(axis=1)
            k = int(np.argmax(np.where(hit, depth, -np.inf)))
            axis = int(np.argmin(inside[k]))
            push = np.zeros(2)
            push[axis] = (np.sign(offsets[k, axis]) or 1.0) * (inside[k, axis] + 0.5)
            a.centre = a.centre + push
            moved = True
    return moved


def _off_lines(spots: list[ResidueSpot]) -> bool:
    """Nudge boxes off the other residues' lines (a soft push: a line under a box hides where it goes)."""
    steps = np.linspace(0.0, 1.0, 12)[1:-1, None]
    centres = np.array([spot.centre for spot in spots])
    halves = np.array([spot.size for spot in spots]) / 2 + 3.0
    moved = False
    for k, b in enumerate(spots):
        if not b.links:
            continue
        samples = b.anchor + steps * (b.centre - b.anchor)
        crossed = (np.abs(samples[None, :, :] - centres[:, None, :]) < halves[:, None, :]).all(axis=2).any(axis=1)
        crossed[k] = False
        direction = _unit(b.centre - b.anchor)
        normal = np.array([-direction[1], direction[0]])
        for i in np.flatnonzero(crossed):
            side = 1.0 if float((centres[i] - b.anchor) @ normal) >= 0 else -1.0
            spots[i].centre = spots[i].centre + side * 2.0 * normal
            moved = True
    return moved


def overlaps(spots: list[ResidueSpot]) -> list[tuple[int, int]]:
    """Index pairs of boxes that touch or overlap."""
    found = []
    for i, a in enumerate(spots):
        for j in range(i + 1, len(spots)):
            b = spots[j]
            if (
                abs(a.centre[0] - b.centre[0]) < (a.size[0] + b.size[0]) / 2
                and abs(a.centre[1] - b.centre[1]) < (a.size[1] + b.size[1]) / 2
            ):
                found.append((i, j))
    return found


def _obstacles(atom_xy: np.ndarray, neighbours: list[list[int]]) -> np.ndarray:
    """What a box must keep off: the atoms and the middle of each bond."""
    middles = [(atom_xy[a] + atom_xy[b]) / 2 for a, bonded in enumerate(neighbours) for b in bonded if a < b]
    return np.vstack([atom_xy, *middles]) if middles else atom_xy


def _covers(centre: np.ndarray, size: tuple[float, float], points: np.ndarray, clearance: float) -> bool:
    return bool((np.abs(points - centre) < np.array(size) / 2 + clearance).all(axis=1).any())


def _on_atoms(spots: list[ResidueSpot], atom_xy: np.ndarray) -> bool:
    return any(
        (np.abs(spot.centre - point) < np.array(spot.size) / 2 + ATOM_CLEARANCE_PX - 1).all()
        for spot in spots
        for point in atom_xy
    )


def _unit(vector: np.ndarray) -> np.ndarray:
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm > 1e-9 else np.zeros(2)
