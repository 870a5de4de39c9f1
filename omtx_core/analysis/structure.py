"""Shared gemmi helpers for predicted structures: loading, per-residue records, coordinates, neighbour search."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import gemmi
import numpy as np

from omtx_core.boltz.results import BoltzPrediction
from omtx_core.boltz.structures import read_structure
from omtx_core.errors import BoltzOutputError

StructureSource = str | Path | gemmi.Structure

_NON_POLYMER = (gemmi.EntityType.NonPolymer, gemmi.EntityType.Branched)


@dataclass(frozen=True)
class AtomRecord:
    """One heavy atom: name as in the file (`CA`, `OD1`, `C39`), element symbol, position in Å, B-factor."""

    name: str
    element: str
    xyz: tuple[float, float, float]
    b_factor: float


@dataclass(frozen=True)
class ResidueRecord:
    """One residue (or one ligand) of the first model, heavy atoms only."""

    chain: str
    number: int  # sequence number as written (Boltz: 1-based position in the input sequence; ligands 1)
    name: str  # residue name: `ASP`, or `LIG1` for a SMILES ligand, or its CCD code
    is_ligand: bool  # a non-polymer entity (small molecule, ion, glycan)
    atoms: tuple[AtomRecord, ...]

    @property
    def label(self) -> str:
        """`A:113:ASP`: how residues are named in every analysis result."""
        return residue_label(self.chain, self.number, self.name)

    @cached_property
    def coords(self) -> np.ndarray:
        """Heavy-atom positions, shape [n_atoms, 3], Å."""
        return np.array([atom.xyz for atom in self.atoms], dtype=float).reshape(-1, 3)

    @property
    def plddt(self) -> float:
        """Mean B-factor of the atoms; for Boltz output this is pLDDT on the 0–100 scale (BOLTZ.md 3.2)."""
        return float(np.mean([atom.b_factor for atom in self.atoms])) if self.atoms else 0.0


def residue_label(chain: str, number: int, name: str) -> str:
    return f"{chain}:{number}:{name}"


def load_structure(source: StructureSource) -> gemmi.Structure:
    """The first model of a .cif/.pdb file (hydrogens, waters and alternative locations removed), read by the
    one structure reader; a structure already loaded is returned as it is.

    Pass the returned structure to several analyses to read the file once; treat it as read-only.
    """
    if isinstance(source, gemmi.Structure):
        return source
    return read_structure(source)


def residue_records(structure: gemmi.Structure) -> list[ResidueRecord]:
    """Every residue of the first model in file order, as plain records."""
    records = []
    for chain in structure[0]:
        for residue in chain:
            atoms = tuple(
                AtomRecord(atom.name, atom.element.name, (atom.pos.x, atom.pos.y, atom.pos.z), atom.b_iso)
                for atom in residue
            )
            if atoms:
                records.append(ResidueRecord(chain.name, residue.seqid.num, residue.name, _is_ligand(residue), atoms))
    return records


def _is_ligand(residue: gemmi.Residue) -> bool:
    if residue.entity_type == gemmi.EntityType.Unknown:
        # No entity information (a bare PDB file): HETATM records outside a polymer are ligands.
        return residue.het_flag == "H"
    return residue.entity_type in _NON_POLYMER


def chain_records(records: list[ResidueRecord], chain: str) -> list[ResidueRecord]:
    """The residues of one chain; raises a user-facing error naming the chains present when it is absent."""
    found = [record for record in records if record.chain == chain]
    if not found:
        present = ", ".join(sorted({record.chain for record in records})) or "none"
        raise BoltzOutputError(
            f"The predicted structure has no chain {chain} (chains present: {present}).",
            "Check the chain letter of the ligand in the job's input.",
        )
    return found


def first_chain(prediction: BoltzPrediction, kind: str) -> str:
    """The id of the prediction's first chain of a type (`protein`, `dna`, `rna`, `ligand`), as its output names it:
    output made elsewhere names its chains as its author chose, so no letter is assumed."""
    for chain in prediction.chains:
        if chain.type == kind:
            return chain.id
    present = ", ".join(f"{chain.id} ({chain.type})" for chain in prediction.chains) or "none"
    raise BoltzOutputError(
        f"Prediction {prediction.name} has no {kind} chain (chains: {present}).",
        "Check that the Boltz output is a prediction of this job's input.",
    )


def heavy_atom_coords(structure: gemmi.Structure) -> dict[str, np.ndarray]:
    """Heavy-atom positions per chain letter, each of shape [n_atoms, 3], Å."""
    coords: dict[str, list[np.ndarray]] = {}
    for record in residue_records(structure):
        coords.setdefault(record.chain, []).append(record.coords)
    return {chain: np.vstack(parts) for chain, parts in coords.items()}


def neighbor_search(structure: gemmi.Structure, max_radius: float = 5.0) -> gemmi.NeighborSearch:
    """A populated gemmi NeighborSearch over the first model's heavy atoms, for queries up to `max_radius` Å.

    Use `ns.find_atoms(gemmi.Position(x, y, z), "\\0", radius=r)` and `mark.to_cra(structure[0])`.
    """
    # A blank unit cell: predictions are not crystals, and a placeholder CRYST1 (1 Å cell) would add false images.
    return gemmi.NeighborSearch(structure[0], gemmi.UnitCell(), max_radius).populate(include_h=False)
