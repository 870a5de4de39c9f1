"""Protein residues and small ligands built atom by atom, written as PDB files, for the contact analysis tests."""

from __future__ import annotations

import math
from pathlib import Path

import gemmi

Atoms = list[tuple[str, str, tuple[float, float, float]]]  # (atom name, element, position)


def write_pdb(path: Path, protein: list[tuple[int, str, Atoms]], ligand: Atoms) -> Path:
    """Chain A from (number, residue name, atoms) and a one-residue ligand `LIG` as chain L, written with gemmi."""
    model = gemmi.Model(1)
    chain = gemmi.Chain("A")
    for number, name, atoms in protein:
        chain.add_residue(make_residue(name, number, atoms, het=False))
    model.add_chain(chain)
    ligand_chain = gemmi.Chain("L")
    ligand_chain.add_residue(make_residue("LIG", 1, ligand, het=True))
    model.add_chain(ligand_chain)
    structure = gemmi.Structure()
    structure.add_model(model)
    structure.setup_entities()
    structure.write_pdb(str(path))
    return path


def make_residue(name: str, number: int, atoms: Atoms, *, het: bool) -> gemmi.Residue:
    residue = gemmi.Residue()
    residue.name, residue.seqid, residue.het_flag = name, gemmi.SeqId(number, " "), "H" if het else "A"
    for atom_name, element, xyz in atoms:
        atom = gemmi.Atom()
        atom.name, atom.element, atom.pos = atom_name, gemmi.Element(element), gemmi.Position(*xyz)
        atom.b_iso, atom.occ = 90.0, 1.0
        residue.add_atom(atom)
    return residue


def at(angle_deg: float, length: float, origin=(0.0, 0.0, 0.0), z: float = 0.0) -> tuple[float, float, float]:
    """The point `length` Å from `origin` in direction `angle_deg` in the xy plane, at height `z`."""
    angle = math.radians(angle_deg)
    return (origin[0] + length * math.cos(angle), origin[1] + length * math.sin(angle), z)


def backbone(x: float) -> Atoms:
    """N, CA, C, O placed well away (x ≤ −3.5 Å) from anything the tests put near the origin."""
    return [("N", "N", (x - 1.2, 0.8, 0.0)), ("CA", "C", (x, 0.0, 0.0)), ("C", "C", (x - 0.6, -1.3, 0.0)),
            ("O", "O", (x - 1.8, -1.5, 0.0))]  # fmt: skip


SERINE = (7, "SER", [*backbone(-3.5), ("CB", "C", (-1.43, 0.0, 0.0)), ("OG", "O", (0.0, 0.0, 0.0))])
LEUCINE = (
    11,
    "LEU",
    [*backbone(-5.0), ("CB", "C", (-3.6, 1.0, 0.0)), ("CG", "C", (-2.5, 0.0, 0.0)), ("CD2", "C", (-2.4, -1.0, 1.2)),
     ("CD1", "C", (0.0, 0.0, 0.0))],
)  # fmt: skip
ASPARTATE = (
    113,
    "ASP",
    [*backbone(-3.5), ("CB", "C", (-1.52, 0.0, 0.0)), ("CG", "C", (0.0, 0.0, 0.0)),
     ("OD1", "O", at(30, 1.25)), ("OD2", "O", at(-30, 1.25))],
)  # fmt: skip
LYSINE = (40, "LYS", [*backbone(-6.0), ("CD", "C", (-2.6, 1.2, 0.0)), ("CE", "C", (-1.49, 0.0, 0.0)),
                      ("NZ", "N", (0.0, 0.0, 0.0))])  # fmt: skip
HEXAGON = [at(angle, 1.39) for angle in (180, 120, 60, 0, -60, -120)]
PHENYLALANINE = (
    290,
    "PHE",
    [*backbone(-4.5), ("CB", "C", (-2.9, 0.0, 0.0)),
     *[(name, "C", xyz) for name, xyz in zip(("CG", "CD1", "CE1", "CZ", "CE2", "CD2"), HEXAGON, strict=True)]],
)  # fmt: skip


def carbons(points) -> Atoms:
    return [(f"C{i + 1}", "C", tuple(map(float, xyz))) for i, xyz in enumerate(points)]
