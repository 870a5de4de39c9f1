"""Task `drug_discovery`: one target screened against 1–10,000 compounds, one affinity run each."""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationInfo, field_validator, model_validator

from omtx_core import chem
from omtx_core.analysis.models import CompoundRow, ScreenSummary
from omtx_core.boltz.inputs import BoltzInput, Chain, merge_identical
from omtx_core.boltz.plan import BoltzRun, Plan, unique_run_names
from omtx_core.chem import TRAINED_AFFINITY_HEAVY_ATOMS, Ligand, check_affinity_ligand_size
from omtx_core.compounds import MAX_COMPOUNDS
from omtx_core.domain.results import TaskAnalysis
from omtx_core.domain.runs import RunFailure
from omtx_core.errors import FieldProblem, Problem
from omtx_core.tasks import base


class ScreenAnalysis(TaskAnalysis):
    """The screen's rows ranked by binder probability, and its hit summary (also the live table while it runs)."""

    rows: list[CompoundRow] | None = None
    summary: ScreenSummary | None = None


class Compound(BaseModel):
    """One library compound; the SMILES is stored canonical (largest fragment)."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, min_length=1, max_length=100, description="Compound name or ID.")
    smiles: str = Field(description="Compound SMILES.")
    _ligand: Ligand | None = PrivateAttr(default=None)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str | None) -> str | None:
        return base.name_text(value, "compound name")  # blank: a name is generated from its position

    @field_validator("smiles")
    @classmethod
    def _smiles(cls, value: str) -> str:
        ligand = chem.parse_smiles(value)
        check_affinity_ligand_size(ligand)  # raises above Boltz-2's 128 heavy atoms
        return base.carrying(ligand)

    @model_validator(mode="after")
    def _keep_ligand(self) -> Compound:
        self._ligand = base.parsed(self.smiles)  # the field validator's parse, not a second one
        self.smiles = str(self.smiles)
        return self

    @property
    def ligand(self) -> Ligand:
        if self._ligand is None:  # a compound built without validation (model_construct): parse it now
            self._ligand = chem.parse_smiles(self.smiles)
        return self._ligand


class DrugDiscoveryInput(base.TaskInput):
    """A target protein and a compound library."""

    task_id: ClassVar[str] = "drug_discovery"
    title: ClassVar[str] = "Screen"
    sequence_field: ClassVar[str] = "protein_sequence"
    analysis_model: ClassVar[type[TaskAnalysis]] = ScreenAnalysis

    protein_sequence: str = Field(description="Target protein sequence (one chain; FASTA accepted).")
    compounds: list[Compound] = Field(
        min_length=1, max_length=MAX_COMPOUNDS, description="Compounds to dock and score (1–10,000)."
    )

    @field_validator("protein_sequence")
    @classmethod
    def _protein(cls, value: str, info: ValidationInfo) -> str:
        return base.protein(value, info)

    @model_validator(mode="after")
    def _check(self, info: ValidationInfo) -> DrugDiscoveryInput:
        for index, compound in enumerate(self.compounds, start=1):
            compound.name = compound.name or f"compound_{index}"
        problems = _duplicates(self.compounds)
        if problems:
            raise FieldProblem.collect(problems)
        large = [i for i, c in enumerate(self.compounds) if (c.ligand.heavy_atoms or 0) > TRAINED_AFFINITY_HEAVY_ATOMS]
        if large:
            listed = ", ".join(self.compounds[i].name or "" for i in large[:10]) + ("…" if len(large) > 10 else "")
            base.warn(
                info,
                "compounds",
                f"{len(large)} compound(s) have more than {TRAINED_AFFINITY_HEAVY_ATOMS} "
                f"heavy atoms, beyond Boltz-2's affinity training range: {listed}.",
            )
        return self

    def describe(self) -> str:
        return f"{base.short(self.protein_sequence)} × {len(self.compounds):,} compound(s)"

    def plan(self) -> Plan:
        target = Chain(base.PROTEIN_CHAIN, "protein", self.protein_sequence)
        names = unique_run_names([f"{i:05d}_{c.name}" for i, c in enumerate(self.compounds, 1)], prefix="c")
        runs = tuple(
            BoltzRun(name, self._input(target, compound), self.options, (compound.name or "",))
            for name, compound in zip(names, self.compounds, strict=True)
        )
        return Plan(self.task_id, runs)

    def analyse(self, plan: Plan, predictions: dict, failures: dict[str, RunFailure]) -> ScreenAnalysis:
        """One ranked row per compound (by binder probability), and the screen's hit summary."""
        return self._ranked(plan, predictions, failures, finished=True)

    def partial_analysis(self, plan: Plan, predictions: dict) -> ScreenAnalysis:
        """The ranked table so far: compounds still running are listed as pending."""
        return self._ranked(plan, predictions, {}, finished=False)

    def _ranked(
        self, plan: Plan, predictions: dict, failures: dict[str, RunFailure], *, finished: bool
    ) -> ScreenAnalysis:
        from omtx_core.analysis.screening import compound_row, rank_compounds, screen_summary

        rows = []
        for run, compound in zip(plan.runs, self.compounds, strict=True):
            prediction = predictions.get(run.name)
            failure = None
            if prediction is None and finished:
                failure = failures[run.name].message if run.name in failures else "No result."
            rows.append(compound_row(compound.name or "", compound.smiles, prediction, failure, run=run.name))
        return ScreenAnalysis(rows=rank_compounds(rows, by="probability"), summary=screen_summary(rows))

    def _input(self, target: Chain, compound: Compound) -> BoltzInput:
        return BoltzInput(
            merge_identical([target, base.ligand_chain(compound.ligand)]),
            affinity_binder=base.LIGAND_CHAIN,
            single_sequence=not self.options.use_msa_server,
        )


def _duplicates(compounds: list[Compound]) -> list[Problem]:
    """Repeated names or repeated molecules (same canonical SMILES), each reported at the later entry."""
    problems = []
    by_name: dict[str, int] = {}
    by_smiles: dict[str, int] = {}
    for index, compound in enumerate(compounds):
        name = compound.name or ""
        if name in by_name:
            problems.append(
                Problem(
                    f"compounds.{index}.name",
                    f"The name {name!r} is also used by compound {by_name[name] + 1}.",
                    "Give every compound a different name.",
                )
            )
        if compound.smiles in by_smiles:
            other = compounds[by_smiles[compound.smiles]].name
            problems.append(
                Problem(
                    f"compounds.{index}.smiles",
                    f"This is the same molecule as {other!r} (compound {by_smiles[compound.smiles] + 1}).",
                    "Remove one of the two.",
                )
            )
        by_name.setdefault(name, index)
        by_smiles.setdefault(compound.smiles, index)
    return problems
