"""Task `protein_complex`: two or more chains (protein, DNA, RNA, ligand), each its own Boltz chain."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from itertools import count, takewhile
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationInfo, model_validator

from omtx_core import chem
from omtx_core.analysis.models import Interface
from omtx_core.boltz.inputs import BoltzInput, Chain, merge_identical
from omtx_core.boltz.plan import BoltzRun, Plan
from omtx_core.chem import Ligand, check_ccd
from omtx_core.domain.results import TaskAnalysis
from omtx_core.domain.runs import RunFailure
from omtx_core.errors import FieldProblem, Problem
from omtx_core.sequences import check_length, clean_sequence
from omtx_core.tasks import base

_CHAIN_ID = re.compile(r"^[A-Z0-9]{1,4}$")
MAX_COPIES = 20


class ComplexAnalysis(TaskAnalysis):
    """Every chain pair in contact in the best model (None for a job that was never analysed)."""

    interfaces: list[Interface] | None = None


class ComplexChain(BaseModel):
    """One chain entry: a polymer sequence or a ligand, optionally in several copies."""

    model_config = ConfigDict(extra="forbid")

    id: str | list[str] | None = Field(
        None, description="Chain id, or one per copy (copies of one id take the next free ids); A, B, C… if empty."
    )
    type: Literal["protein", "dna", "rna", "ligand"] = Field(description="Molecule type of this chain.")
    sequence: str | None = Field(None, description="Protein, DNA or RNA sequence.")
    smiles: str | None = Field(None, description="Ligand SMILES.")
    ccd: str | None = Field(None, description="Ligand CCD code.")
    copies: int = Field(1, ge=1, le=MAX_COPIES, description="Number of identical copies of this chain.")
    _ligand: Ligand | None = PrivateAttr(default=None)  # parsed once, here, for plan()

    @model_validator(mode="after")
    def _normalise(self) -> ComplexChain:
        if self.type == "ligand":
            self._normalise_ligand()
        else:
            self._normalise_polymer()
        self._normalise_ids()
        return self

    def _normalise_polymer(self) -> None:
        if self.sequence is None or self.smiles is not None or self.ccd is not None:
            raise FieldProblem(
                f"A {self.type} chain needs a sequence (and no SMILES or CCD code).",
                "Paste the sequence, or set the type to ligand for a small molecule.",
                field="sequence",
            )
        try:
            self.sequence = clean_sequence(self.sequence, self.type)
            check_length(self.sequence, 2, base.MAX_RESIDUES, f"{self.type} sequence")
        except FieldProblem as problem:
            raise FieldProblem(problem.message, problem.hint, field="sequence") from None

    def _normalise_ligand(self) -> None:
        if self.sequence is not None or (self.smiles is None) == (self.ccd is None):
            raise FieldProblem(
                "A ligand chain needs exactly one of SMILES or CCD code (and no sequence).",
                "Give the ligand as SMILES or as a CCD code.",
                field="smiles",
            )
        field = "smiles" if self.smiles is not None else "ccd"
        try:
            ligand = chem.parse_smiles(self.smiles) if self.smiles is not None else check_ccd(self.ccd or "")
        except FieldProblem as problem:
            raise FieldProblem(problem.message, problem.hint, field=field) from None
        self.smiles, self.ccd = ligand.smiles, ligand.ccd
        self._ligand = ligand

    def _normalise_ids(self) -> None:
        ids = [self.id] if isinstance(self.id, str) else self.id
        if ids is None:
            return
        ids = [i.strip().upper() for i in ids]
        bad = next((i for i in ids if not _CHAIN_ID.match(i)), None)
        if bad is not None:
            raise FieldProblem(
                f"Chain id {bad!r} is not valid.", "Use 1–4 letters or digits, e.g. A or H1.", field="id"
            )
        if len(ids) > 1 and "copies" not in self.model_fields_set:
            self.copies = len(ids)
        # One id with several copies is fine: the copies take the next free ids once every chain's ids are known.
        if len(ids) > 1 and len(ids) != self.copies:
            raise FieldProblem(
                f"{len(ids)} chain ids given for {self.copies} copies.",
                "Give one id per copy, or one id (its copies take the next free ids), or none to have ids assigned.",
                field="id",
            )
        self.id = ids[0] if len(ids) == 1 else ids

    @property
    def ids(self) -> list[str]:
        return [] if self.id is None else ([self.id] if isinstance(self.id, str) else list(self.id))

    def ligand(self) -> Ligand:
        if self._ligand is None:  # a chain built without validation (model_construct): parse it now
            self._ligand = chem.parse_smiles(self.smiles) if self.smiles else check_ccd(self.ccd or "")
        return self._ligand


class ProteinComplexInput(base.TaskInput):
    """Several chains predicted together; identical chains share one Boltz entity and MSA."""

    task_id: ClassVar[str] = "protein_complex"
    title: ClassVar[str] = "Complex"
    sequence_field: ClassVar[str] = "chains"
    analysis_model: ClassVar[type[TaskAnalysis]] = ComplexAnalysis

    chains: list[ComplexChain] = Field(min_length=1, max_length=50, description="The chains of the complex.")

    @model_validator(mode="after")
    def _check(self, info: ValidationInfo) -> ProteinComplexInput:
        _warn_salts(self.chains, info)
        if sum(chain.copies for chain in self.chains) < 2:
            raise FieldProblem(
                "A complex needs at least two chains (counting copies).",
                "Add a chain, or set copies to 2 for a homodimer; use protein structure for one chain.",
                field="chains",
            )
        if all(chain.type == "ligand" for chain in self.chains):
            raise FieldProblem(
                "A complex needs at least one protein, DNA or RNA chain.", "Add a polymer chain.", field="chains"
            )
        _assign_ids(self.chains, info)
        return self

    def describe(self) -> str:
        parts = [f"{c.copies}×{c.type}" if c.copies > 1 else c.type for c in self.chains]
        return " + ".join(parts)

    def plan(self) -> Plan:
        chains: list[Chain] = []
        for entry in self.chains:
            heavy = entry.ligand().heavy_atoms if entry.type == "ligand" else None
            for chain_id in entry.ids:
                chains.append(Chain(chain_id, entry.type, entry.sequence, entry.smiles, entry.ccd, heavy))
        boltz_input = BoltzInput(merge_identical(chains), single_sequence=not self.options.use_msa_server)
        return Plan(self.task_id, (BoltzRun("complex", boltz_input, self.options),))

    def analyse(self, plan: Plan, predictions: dict, failures: dict[str, RunFailure]) -> ComplexAnalysis:
        """Interfaces of every chain pair in the best model."""
        from omtx_core.analysis.interfaces import chain_pair_interfaces

        prediction = predictions.get(plan.runs[0].name)
        return ComplexAnalysis(interfaces=chain_pair_interfaces(prediction) if prediction is not None else None)


def _warn_salts(chains: list[ComplexChain], info: ValidationInfo) -> None:
    for index, chain in enumerate(chains):
        if chain._ligand is not None and chain._ligand.removed_fragments:
            removed = ", ".join(chain._ligand.removed_fragments)
            base.warn(info, f"chains.{index}.smiles", f"Kept the largest fragment and removed {removed}.")


def _assign_ids(chains: list[ComplexChain], info: ValidationInfo | None = None) -> None:
    """Give the copies of a chain with one id the ids after it, and chains without one the first free letters
    (A…Z, then AA, AB…); reject duplicates."""
    seen: dict[str, int] = {}
    problems = []
    for index, chain in enumerate(chains):
        for chain_id in chain.ids:
            if chain_id in seen:
                problems.append(
                    Problem(
                        f"chains.{index}.id", f"Chain id {chain_id} is used twice.", "Give every chain a different id."
                    )
                )
            seen.setdefault(chain_id, index)
    if problems:
        raise FieldProblem.collect(problems)
    _name_copies(chains, seen, info)
    free = (name for name in _chain_names() if name not in seen)
    for chain in chains:
        if chain.id is None:
            ids = [next(free) for _ in range(chain.copies)]
            chain.id = ids[0] if len(ids) == 1 else ids


def _name_copies(chains: list[ComplexChain], taken: dict[str, int], info: ValidationInfo | None) -> None:
    """A chain given one id and several copies: the copies take the next free ids, and a warning names them."""
    for index, chain in enumerate(chains):
        if isinstance(chain.id, str) and chain.copies > 1:
            copies = _free_ids(chain.id, taken, chain.copies - 1)
            taken.update(dict.fromkeys(copies, index))
            chain.id = [chain.id, *copies]
            message = f"Chain {chain.id[0]} has {chain.copies} copies: they are chains {_listed(chain.id)}."
            base.warn(info, f"chains.{index}.id", message)


def _free_ids(start: str, taken: dict[str, int], n: int) -> list[str]:
    """The first `n` valid ids after `start` that nobody uses: H1 → H2, H3…; A → B, C…; Z → AA; else A, B…"""
    found: list[str] = []
    candidates = itertools.chain(_successors(start), _chain_names())  # endless: the letters never run out
    while len(found) < n:
        name = next(candidates)
        if name not in taken and name not in found and _CHAIN_ID.match(name):
            found.append(name)
    return found


def _successors(chain_id: str) -> Iterator[str]:
    numbered = re.fullmatch(r"(.*?)(\d+)", chain_id)
    if numbered:
        prefix, number = numbered.groups()
        yield from takewhile(lambda name: len(name) <= 4, (f"{prefix}{n}" for n in count(int(number) + 1)))
    elif chain_id.isalpha():
        name = chain_id
        while len(name := _next_letters(name)) <= 4:
            yield name


def _next_letters(name: str) -> str:
    """The name after `name` in the order A…Z, AA…ZZ, AAA…: counting in letters."""
    head = name.rstrip("Z")
    if not head:
        return "A" * (len(name) + 1)
    return head[:-1] + chr(ord(head[-1]) + 1) + "A" * (len(name) - len(head))


def _listed(ids: list[str]) -> str:
    return ", ".join(ids[:-1]) + " and " + ids[-1]


def _chain_names():
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    yield from letters
    for n in count(2):
        for i in range(len(letters) ** n):
            name, rest = "", i
            for _ in range(n):
                rest, digit = divmod(rest, len(letters))
                name = letters[digit] + name
            yield name
