"""Task `protein_structure`: one protein chain predicted alone (pLDDT, PAE, pTM)."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field, ValidationInfo, field_validator

from omtx_core.boltz.inputs import BoltzInput, Chain, merge_identical
from omtx_core.boltz.plan import BoltzRun, Plan
from omtx_core.tasks import base


class ProteinStructureInput(base.TaskInput):
    """A single protein sequence."""

    task_id: ClassVar[str] = "protein_structure"
    title: ClassVar[str] = "Protein structure"
    sequence_field: ClassVar[str] = "protein_sequence"

    protein_sequence: str = Field(description="Protein sequence (one chain; FASTA accepted).")

    @field_validator("protein_sequence")
    @classmethod
    def _protein(cls, value: str, info: ValidationInfo) -> str:
        return base.protein(value, info, minimum=10)

    def describe(self) -> str:
        return base.short(self.protein_sequence)

    def plan(self) -> Plan:
        chains = [Chain(base.PROTEIN_CHAIN, "protein", self.protein_sequence)]
        boltz_input = BoltzInput(merge_identical(chains), single_sequence=not self.options.use_msa_server)
        return Plan(self.task_id, (BoltzRun("structure", boltz_input, self.options),))
