"""Boltz-2 input documents (schema version 1): entities, pocket constraint, affinity, YAML text."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import yaml

from omtx_core.boltz.staging import MSA_DIR_PLACEHOLDER

EntityType = Literal["protein", "dna", "rna", "ligand"]
MAX_AFFINITY_ATOMS = 128


@dataclass(frozen=True)
class Chain:
    """One chain as a task sees it, before identical chains are merged into Boltz entities."""

    id: str
    type: EntityType
    sequence: str | None = None
    smiles: str | None = None
    ccd: str | None = None
    heavy_atoms: int | None = None  # ligands: tokens; unknown for CCD codes without dictionary data

    @property
    def tokens(self) -> int:
        if self.type == "ligand":
            return self.heavy_atoms or 0
        return len(self.sequence or "")

    @property
    def identity(self) -> tuple[str, str | None, str | None, str | None]:
        return (self.type, self.sequence, self.smiles, self.ccd)


@dataclass(frozen=True)
class Entity:
    """One Boltz `sequences:` entry: identical chains share it (`id: [A, B]`), and so share one MSA."""

    type: EntityType
    ids: tuple[str, ...]
    sequence: str | None = None
    smiles: str | None = None
    ccd: str | None = None
    heavy_atoms: int | None = None

    @property
    def tokens(self) -> int:
        per_copy = (self.heavy_atoms or 0) if self.type == "ligand" else len(self.sequence or "")
        return per_copy * len(self.ids)

    def to_document(self, *, single_sequence: bool, msa_file: str | None = None) -> dict:
        body: dict = {"id": self.ids[0] if len(self.ids) == 1 else list(self.ids)}
        if self.type == "ligand":
            body.update({"smiles": self.smiles} if self.smiles else {"ccd": self.ccd})
        else:
            body["sequence"] = self.sequence
            if self.type == "protein" and msa_file:
                body["msa"] = f"{MSA_DIR_PLACEHOLDER}/{msa_file}"
            elif self.type == "protein" and single_sequence:
                body["msa"] = "empty"
        return {self.type: body}


@dataclass(frozen=True)
class Pocket:
    """A pocket constraint: place `binder` within `max_distance` Å of the listed (chain, residue) contacts."""

    binder: str
    contacts: tuple[tuple[str, int], ...]
    max_distance: float = 6.0
    force: bool = False

    def to_document(self) -> dict:
        contacts = [[chain, residue] for chain, residue in self.contacts]
        return {
            "pocket": {
                "binder": self.binder,
                "contacts": contacts,
                "max_distance": self.max_distance,
                "force": self.force,
            }
        }


def merge_identical(chains: list[Chain]) -> tuple[Entity, ...]:
    """Group chains with the same type and sequence (or ligand) into one entity, keeping first-seen order."""
    groups: dict[tuple, list[Chain]] = {}
    for chain in chains:
        groups.setdefault(chain.identity, []).append(chain)
    return tuple(
        Entity(first.type, tuple(c.id for c in group), first.sequence, first.smiles, first.ccd, first.heavy_atoms)
        for first, group in ((group[0], group) for group in groups.values())
    )


@dataclass(frozen=True)
class BoltzInput:
    """A whole Boltz-2 input; construction enforces the schema rules of BOLTZ.md §1.1."""

    entities: tuple[Entity, ...]
    pocket: Pocket | None = None
    affinity_binder: str | None = None
    single_sequence: bool = False  # proteins get `msa: empty` (never mixed with server MSAs)
    msa_files: tuple[tuple[str, str], ...] = ()  # (protein sequence, MSA file name) for precomputed MSAs
    chain_ids: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        ids = tuple(i for entity in self.entities for i in entity.ids)
        object.__setattr__(self, "chain_ids", ids)
        if len(set(ids)) != len(ids):
            raise ValueError(f"chain ids must be unique, got {ids}")
        if not any(e.type != "ligand" for e in self.entities):
            raise ValueError("a Boltz input needs at least one polymer chain")
        if self.affinity_binder is not None:
            self._check_affinity_binder()
        if self.pocket is not None and self.pocket.binder not in ids:
            raise ValueError(f"pocket binder {self.pocket.binder} is not a chain")
        given = {sequence for sequence, _ in self.msa_files}
        if given and set(self.protein_sequences) - given:  # Boltz refuses given and server MSAs in one input
            raise ValueError("every protein needs its MSA file once one protein has one")

    def _check_affinity_binder(self) -> None:
        entity = next((e for e in self.entities if self.affinity_binder in e.ids), None)
        if entity is None or entity.type != "ligand":
            raise ValueError(f"affinity binder {self.affinity_binder} is not a ligand chain")
        if len(entity.ids) != 1:
            raise ValueError("the affinity ligand must be a single copy")
        if (entity.heavy_atoms or 0) > MAX_AFFINITY_ATOMS:
            raise ValueError(f"the affinity ligand has more than {MAX_AFFINITY_ATOMS} heavy atoms")

    @property
    def tokens(self) -> int:
        return sum(entity.tokens for entity in self.entities)

    @property
    def protein_sequences(self) -> tuple[str, ...]:
        return tuple(e.sequence for e in self.entities if e.type == "protein" and e.sequence)

    @property
    def needs_msa_server(self) -> bool:
        return bool(self.protein_sequences) and not self.single_sequence and not self.msa_files

    def to_document(self) -> dict:
        files = dict(self.msa_files)
        sequences = [
            e.to_document(single_sequence=self.single_sequence, msa_file=files.get(e.sequence or ""))
            for e in self.entities
        ]
        document: dict = {"version": 1, "sequences": sequences}
        if self.pocket is not None:
            document["constraints"] = [self.pocket.to_document()]
        if self.affinity_binder is not None:
            document["properties"] = [{"affinity": {"binder": self.affinity_binder}}]
        return document

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.to_document(), sort_keys=False, default_flow_style=False, width=10**9)
