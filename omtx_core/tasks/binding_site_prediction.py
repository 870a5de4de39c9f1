"""Task `binding_site_prediction`: a protein (optionally co-folded with a ligand) for pocket detection."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field, ValidationInfo, field_validator, model_validator

from omtx_core.analysis.models import Contact, Pocket
from omtx_core.boltz.inputs import BoltzInput, Chain, merge_identical
from omtx_core.boltz.plan import BoltzRun, Plan
from omtx_core.domain.results import TaskAnalysis
from omtx_core.domain.runs import RunFailure
from omtx_core.tasks import base


class BindingSiteAnalysis(TaskAnalysis):
    """Pockets of the best model with how they are scored; with a co-folded ligand, its contacts and pocket."""

    pockets: list[Pocket] | None = None
    score: str = ""  # how the pocket score is computed, in words
    contacts: list[Contact] | None = None
    ligand_pocket: str | None = None  # the id of the pocket the ligand sits in


class BindingSitePredictionInput(base.LigandFields, base.TaskInput):
    """A protein sequence and an optional ligand to co-fold."""

    task_id: ClassVar[str] = "binding_site_prediction"
    title: ClassVar[str] = "Binding sites"
    sequence_field: ClassVar[str] = "protein_sequence"
    analysis_model: ClassVar[type[TaskAnalysis]] = BindingSiteAnalysis

    protein_sequence: str = Field(description="Protein sequence (one chain; FASTA accepted).")
    ligand_smiles: str | None = Field(None, description="Optional ligand as SMILES, co-folded with the protein.")
    ligand_ccd: str | None = Field(None, description="Optional ligand as a PDB Chemical Component code.")

    @field_validator("protein_sequence")
    @classmethod
    def _protein(cls, value: str, info: ValidationInfo) -> str:
        return base.protein(value, info)

    @model_validator(mode="after")
    def _check(self) -> BindingSitePredictionInput:
        self.keep_ligand(required=False)
        return self

    def describe(self) -> str:
        ligand = self.ligand_ccd or self.ligand_smiles
        return base.short(self.protein_sequence) + (f" + {ligand[:40]}" if ligand else "")

    def plan(self) -> Plan:
        chains = [Chain(base.PROTEIN_CHAIN, "protein", self.protein_sequence)]
        ligand = self.ligand
        if ligand is not None:
            chains.append(base.ligand_chain(ligand))
        boltz_input = BoltzInput(merge_identical(chains), single_sequence=not self.options.use_msa_server)
        name = "cofold" if ligand else "apo"
        return Plan(self.task_id, (BoltzRun(name, boltz_input, self.options),))

    def analyse(self, plan: Plan, predictions: dict, failures: dict[str, RunFailure]) -> BindingSiteAnalysis:
        """Pockets on the best model and, with a co-folded ligand, its contacts and the pocket it sits in."""
        from omtx_core.analysis.contacts import ligand_contacts, pocket_of_ligand
        from omtx_core.analysis.pockets import SCORE_DESCRIPTION, detect_pockets
        from omtx_core.analysis.structure import first_chain, load_structure

        prediction = predictions.get(plan.runs[0].name)
        if prediction is None:
            return BindingSiteAnalysis()
        structure = load_structure(prediction.best.structure_path)  # read once for every analysis below
        result = BindingSiteAnalysis(pockets=detect_pockets(structure), score=SCORE_DESCRIPTION)
        if self.ligand_smiles or self.ligand_ccd:
            ligand = first_chain(prediction, "ligand")  # as the output names it
            result.contacts = ligand_contacts(structure, ligand, smiles=self.ligand_smiles, ccd=self.ligand_ccd)
            result.ligand_pocket = pocket_of_ligand(result.contacts, result.pockets or [])
        return result
