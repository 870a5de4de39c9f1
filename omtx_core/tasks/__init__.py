"""The six task types: registry, validation with warnings, the token limit, and each task's analysis model."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from omtx_core.boltz.plan import Plan
from omtx_core.config import Settings
from omtx_core.domain.results import TaskAnalysis
from omtx_core.errors import InputError, Problem
from omtx_core.tasks.base import TaskInput
from omtx_core.tasks.binding_site_prediction import BindingSitePredictionInput
from omtx_core.tasks.drug_discovery import DrugDiscoveryInput
from omtx_core.tasks.protein_complex import ProteinComplexInput
from omtx_core.tasks.protein_ligand_binding import ProteinLigandBindingInput
from omtx_core.tasks.protein_structure import ProteinStructureInput
from omtx_core.tasks.variant_comparison import VariantComparisonInput

TASKS: dict[str, type[TaskInput]] = {
    model.task_id: model
    for model in (
        ProteinLigandBindingInput,
        ProteinStructureInput,
        ProteinComplexInput,
        BindingSitePredictionInput,
        VariantComparisonInput,
        DrugDiscoveryInput,
    )
}


@dataclass(frozen=True)
class ValidatedInput:
    """A valid task input, its plan, and the warnings found while validating it."""

    input: TaskInput
    plan: Plan
    warnings: list[Problem]

    @property
    def task_id(self) -> str:
        return self.input.task_id


def task_model(task_id: str) -> type[TaskInput]:
    """The input model of a task id; InputError naming the known ids otherwise."""
    try:
        return TASKS[task_id]
    except KeyError:
        known = ", ".join(TASKS)
        raise InputError.single("task", f"Unknown task {task_id!r}.", f"Use one of: {known}.") from None


def task_analysis_model(task_id: str) -> type[TaskAnalysis]:
    """The model a task's stored analysis reads as; the plain base for a task id this version does not know."""
    model = TASKS.get(task_id)
    return model.analysis_model if model is not None else TaskAnalysis


def validate_task_input(task_id: str, data: Any, settings: Settings) -> ValidatedInput:
    """Validate raw input (a dict) for a task and plan it within the settings' limits; raises InputError listing
    every problem."""
    model = task_model(task_id)
    if not isinstance(data, dict):
        raise InputError.single(
            "",
            "The input must be a JSON object of field names and values.",
            f"See the fields of {task_id} in the README.",
        )
    context: dict[str, Any] = {"warnings": []}
    try:
        task_input = model.model_validate(data, context=context)
    except ValidationError as exc:
        raise InputError.from_pydantic(exc) from None
    plan = task_input.plan()
    _check_tokens(task_input, plan, settings)
    return ValidatedInput(task_input, plan, context["warnings"])


def _check_tokens(task_input: TaskInput, plan: Plan, settings: Settings) -> None:
    tokens = plan.max_tokens
    if tokens > settings.max_tokens:
        raise InputError.single(
            task_input.sequence_field,
            f"The prediction would have {tokens:,} tokens (residues plus ligand heavy atoms); "
            f"the limit is {settings.max_tokens:,}.",
            "Shorten the sequence to the domains of interest, or raise OMTX_MAX_TOKENS if your GPU has the memory.",
        )


__all__ = ["TASKS", "ValidatedInput", "task_analysis_model", "task_model", "validate_task_input"]
