"""Task `variant_comparison`: a wild type and 1–20 variants, each predicted once per distinct sequence."""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from omtx_core.analysis.models import FailedVariant, VariantResult, VariantRow
from omtx_core.boltz.inputs import BoltzInput, Chain, merge_identical
from omtx_core.boltz.plan import MAX_RUN_NAME, BoltzRun, Plan, safe_name, unique_run_names
from omtx_core.domain.results import TaskAnalysis
from omtx_core.domain.runs import RunFailure
from omtx_core.errors import FieldProblem, Problem
from omtx_core.sequences import Mutation, apply_mutations, clean_sequence, describe_differences, parse_mutations
from omtx_core.tasks import base

WILDTYPE_RUN = "wildtype"
MAX_NAME = 60
# Run labels leave room for the `_<n>` that tells apart names equal once cut (at most 21 runs: `_21`).
_LABEL_ROOM = MAX_RUN_NAME - 4


class VariantAnalysis(TaskAnalysis):
    """One row per variant, in input order: its comparison with the wild type, or why there is none."""

    variants: list[VariantResult] | None = None


class Variant(BaseModel):
    """A variant as point mutations (`K2A/L5P`) or as a full sequence of the wild type's length."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, min_length=1, max_length=MAX_NAME, description="Label; defaults to the mutations.")
    mutations: str | None = Field(None, description="Point mutations, e.g. K2A or K2A/L5P.")
    sequence: str | None = Field(None, description="Full variant sequence, same length as the wild type.")

    @field_validator("name")
    @classmethod
    def _name(cls, value: str | None) -> str | None:
        return base.name_text(value, "variant name")  # blank: named after its mutations

    @field_validator("sequence")
    @classmethod
    def _sequence(cls, value: str | None) -> str | None:
        return None if value is None else clean_sequence(value, "protein")

    def mutation_list(self, wildtype: str) -> list[Mutation]:
        if self.mutations is not None:
            return parse_mutations(self.mutations, wildtype)
        return describe_differences(wildtype, self.sequence or "")

    def variant_sequence(self, wildtype: str) -> str:
        return self.sequence if self.sequence is not None else apply_mutations(wildtype, self.mutation_list(wildtype))


class VariantComparisonInput(base.LigandFields, base.TaskInput):
    """The wild type, the variants and an optional ligand for Δ affinity."""

    task_id: ClassVar[str] = "variant_comparison"
    title: ClassVar[str] = "Variants"
    sequence_field: ClassVar[str] = "wildtype_sequence"
    analysis_model: ClassVar[type[TaskAnalysis]] = VariantAnalysis

    wildtype_sequence: str = Field(description="Wild-type protein sequence; mutation positions count from 1 here.")
    variants: list[Variant] = Field(min_length=1, max_length=20, description="Variants to compare.")
    ligand_smiles: str | None = Field(None, description="Optional ligand (SMILES) to score against every variant.")
    ligand_ccd: str | None = Field(None, description="Optional ligand as a PDB Chemical Component code.")

    @field_validator("wildtype_sequence")
    @classmethod
    def _protein(cls, value: str, info: ValidationInfo) -> str:
        return base.protein(value, info, minimum=10)

    @model_validator(mode="after")
    def _check(self, info: ValidationInfo) -> VariantComparisonInput:
        problems = [p for i, v in enumerate(self.variants) for p in _normalise(v, i, self.wildtype_sequence)]
        problems += _duplicate_names(self.variants)
        if problems:
            raise FieldProblem.collect(problems)
        ligand = self.keep_ligand(required=False)
        if ligand is not None:
            base.affinity_ligand(ligand, info, base.ligand_field(ligand))
        _warn_repeats(self.variants, self.wildtype_sequence, info)
        if self.options.use_msa_server and any(v.mutations for v in self.variants):
            base.warn(
                info,
                "variants",
                "Point mutations change few MSA columns, so the predicted structures "
                "may barely differ; read small differences against the model's noise.",
            )
        return self

    def describe(self) -> str:
        return f"{base.short(self.wildtype_sequence)}, {len(self.variants)} variant(s)"

    def plan(self) -> Plan:
        ligand = self.ligand
        by_sequence: dict[str, list[str]] = {self.wildtype_sequence: [WILDTYPE_RUN]}
        for variant in self.variants:
            by_sequence.setdefault(variant.variant_sequence(self.wildtype_sequence), []).append(variant.name or "")
        labels = [WILDTYPE_RUN] + [_run_label(members[0]) for members in list(by_sequence.values())[1:]]
        runs = tuple(
            BoltzRun(name, self._input(sequence, ligand), self.options, tuple(members))
            for name, (sequence, members) in zip(unique_run_names(labels), by_sequence.items(), strict=True)
        )
        return Plan(self.task_id, runs)

    def analyse(self, plan: Plan, predictions: dict, failures: dict[str, RunFailure]) -> VariantAnalysis:
        """Each variant against the wild type: structural change, pLDDT change, site deviations, Δ affinity."""
        from omtx_core.analysis.structure import first_chain
        from omtx_core.analysis.variants import compare_to_wildtype

        wildtype = predictions.get(WILDTYPE_RUN)
        protein = first_chain(wildtype, "protein") if wildtype is not None else None  # as the output names it
        rows: list[VariantResult] = []
        for run in plan.runs[1:]:
            for name in run.members:
                variant = next(v for v in self.variants if v.name == name)
                mutations = [(m.position, m.wildtype, m.mutant) for m in variant.mutation_list(self.wildtype_sequence)]
                row = {"name": name, "run": run.name, "mutations": "/".join(f"{w}{p}{m}" for p, w, m in mutations)}
                if wildtype is None or run.name not in predictions:
                    failed = failures.get(run.name) or failures.get(WILDTYPE_RUN)
                    reason = failed.message if failed else "No prediction for this variant."
                    rows.append(FailedVariant(**row, failure=reason))
                    continue
                comparison = compare_to_wildtype(wildtype, predictions[run.name], mutations, chain=protein or "")
                rows.append(VariantRow(**row, **dict(comparison)))
        return VariantAnalysis(variants=rows)

    def _input(self, sequence: str, ligand) -> BoltzInput:
        chains = [Chain(base.PROTEIN_CHAIN, "protein", sequence)]
        if ligand is not None:
            chains.append(base.ligand_chain(ligand))
        return BoltzInput(
            merge_identical(chains),
            affinity_binder=base.LIGAND_CHAIN if ligand is not None else None,
            single_sequence=not self.options.use_msa_server,
        )


def _normalise(variant: Variant, index: int, wildtype: str) -> list[Problem]:
    """Check one variant against the wild type and fill its name and canonical mutation string."""
    where = f"variants.{index}"
    if (variant.mutations is None) == (variant.sequence is None):
        return [
            Problem(
                f"{where}.mutations",
                "Give either mutations or a full sequence for this variant.",
                "Write mutations like K2A/L5P, or paste the variant's sequence.",
            )
        ]
    if variant.sequence is not None:
        return _check_full_sequence(variant, where, wildtype)
    try:
        mutations = parse_mutations(variant.mutations or "", wildtype)
    except FieldProblem as problem:
        return [Problem(f"{where}.mutations", problem.message, problem.hint)]
    variant.mutations = "/".join(map(str, mutations))
    variant.name = variant.name or _mutations_name(mutations)
    return []


def _mutations_name(mutations: list[Mutation]) -> str:
    """The mutations as a name within MAX_NAME: `K2A/L5P`, or the first ones and `+3 more`."""
    full = "/".join(map(str, mutations))
    if len(full) <= MAX_NAME:
        return full
    kept: list[str] = []
    for mutation in mutations:
        rest = len(mutations) - len(kept) - 1
        if len("/".join([*kept, str(mutation)]) + f" +{rest} more") > MAX_NAME:
            break
        kept.append(str(mutation))
    return "/".join(kept) + f" +{len(mutations) - len(kept)} more"


def _run_label(name: str) -> str:
    return safe_name("variant_" + name)[:_LABEL_ROOM].rstrip("_-")


def _check_full_sequence(variant: Variant, where: str, wildtype: str) -> list[Problem]:
    sequence = variant.sequence or ""
    if variant.name is None:
        return [Problem(f"{where}.name", "A variant given as a sequence needs a name.", "Name it, e.g. 'design 3'.")]
    if len(sequence) != len(wildtype):
        return [
            Problem(
                f"{where}.sequence",
                f"The variant has {len(sequence)} residues, the wild type {len(wildtype)}.",
                "Give a variant of the same length (substitutions only).",
            )
        ]
    if sequence == wildtype:
        return [Problem(f"{where}.sequence", "This variant is identical to the wild type.", "Remove it.")]
    return []


def _duplicate_names(variants: list[Variant]) -> list[Problem]:
    seen: set[str] = set()
    problems = []
    for index, variant in enumerate(variants):
        if variant.name in seen:
            problems.append(
                Problem(
                    f"variants.{index}.name",
                    f"The name {variant.name!r} is used twice.",
                    "Give every variant a different name.",
                )
            )
        seen.add(variant.name or "")
    return problems


def _warn_repeats(variants: list[Variant], wildtype: str, info: ValidationInfo) -> None:
    first: dict[str, str] = {}
    for index, variant in enumerate(variants):
        sequence = variant.variant_sequence(wildtype)
        if sequence in first:
            base.warn(
                info,
                f"variants.{index}",
                f"{variant.name} has the same sequence as {first[sequence]}; it is predicted once.",
            )
        first.setdefault(sequence, variant.name or "")
