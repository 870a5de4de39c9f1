"""Task `protein_ligand_binding`: one protein and one ligand co-folded, with Boltz-2 affinity."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import (
    Field,
    SerializerFunctionWrapHandler,
    ValidationInfo,
    field_validator,
    model_serializer,
    model_validator,
)

from omtx_core.analysis.models import Contact, PocketResidueCheck
from omtx_core.boltz.inputs import BoltzInput, Chain, Pocket, merge_identical
from omtx_core.boltz.plan import BoltzRun, Plan, safe_name
from omtx_core.domain.results import TaskAnalysis
from omtx_core.domain.runs import RunFailure
from omtx_core.errors import FieldProblem, InputError
from omtx_core.tasks import base


class BindingAnalysis(TaskAnalysis):
    """Protein–ligand contacts of the best model and, with pocket residues, whether the pose honours them.

    Both are None for a job that was never analysed (an import stored by a version before imports were analysed).
    """

    contacts: list[Contact] | None = None
    pocket_check: list[PocketResidueCheck] | None = None


class ProteinLigandBindingInput(base.LigandFields, base.TaskInput):
    """A protein sequence, one ligand (SMILES or CCD code) and optional pocket residues."""

    task_id: ClassVar[str] = "protein_ligand_binding"
    title: ClassVar[str] = "Protein–ligand binding"
    sequence_field: ClassVar[str] = "protein_sequence"
    analysis_model: ClassVar[type[TaskAnalysis]] = BindingAnalysis

    protein_sequence: str = Field(description="Target protein sequence (one chain; FASTA accepted).")
    ligand_smiles: str | None = Field(None, description="Ligand as SMILES (stored canonical).")
    ligand_ccd: str | None = Field(None, description="Ligand as a PDB Chemical Component code, e.g. ATP.")
    ligand_name: str | None = Field(None, min_length=1, max_length=100, description="Name shown in results.")
    predict_affinity: bool = Field(True, description="Predict binding affinity and binder probability.")
    pocket_residues: list[int] | None = Field(
        None, description="Residue numbers (1-based) lining the binding pocket, to guide the ligand there."
    )
    pocket_max_distance: float = Field(6.0, ge=4.0, le=20.0, description="Pocket contact distance in Å.")
    pocket_force: bool = Field(False, description="Enforce the pocket with a steering potential.")
    ligand_unknown: bool = Field(
        False,
        description="Set by an import whose ligand's bond orders could not be recovered from its coordinates: the "
        "results hold the ligand as coordinates, its SMILES is unknown. Give its SMILES (or CCD code) to run again.",
    )

    @field_validator("protein_sequence")
    @classmethod
    def _protein(cls, value: str, info: ValidationInfo) -> str:
        return base.protein(value, info)

    @field_validator("ligand_name")
    @classmethod
    def _ligand_name(cls, value: str | None) -> str | None:
        return base.name_text(value, "ligand name")

    @model_validator(mode="after")
    def _check(self, info: ValidationInfo) -> ProteinLigandBindingInput:
        if self.ligand_smiles or self.ligand_ccd:
            self.ligand_unknown = False  # a re-run that names the ligand replaces the unknown one
        ligand = self.keep_ligand(required=not self.ligand_unknown)
        if ligand is not None and self.predict_affinity:
            base.affinity_ligand(ligand, info, base.ligand_field(ligand))
        if self.pocket_residues is not None:
            self.pocket_residues = check_pocket(self.pocket_residues, len(self.protein_sequence))
        return self

    @model_serializer(mode="wrap")
    def _dump(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data = handler(self)
        if not self.ligand_unknown:  # left out of every other input, so their stored form and input hash stay
            data.pop("ligand_unknown", None)
        return data

    def describe(self) -> str:
        unknown = "unknown ligand" if self.ligand_unknown else ""
        ligand = self.ligand_name or self.ligand_ccd or self.ligand_smiles or unknown
        return f"{base.short(self.protein_sequence)} + {ligand[:40]}"

    def plan(self) -> Plan:
        if self.ligand_unknown:  # an import's ligand known only as coordinates: Boltz needs its SMILES
            raise InputError.single(
                "ligand_smiles",
                "The ligand of this imported job is known only by its coordinates: its SMILES could not be "
                "recovered from the structure.",
                "Give the ligand's SMILES (or CCD code) to run it again.",
            )
        # Validation refuses an input without a ligand; one_ligand says so for a model built without it.
        ligand = self.ligand or base.one_ligand(self.ligand_smiles, self.ligand_ccd, required=True)
        chains = [Chain(base.PROTEIN_CHAIN, "protein", self.protein_sequence), base.ligand_chain(ligand)]
        pocket = None
        if self.pocket_residues:
            contacts = tuple((base.PROTEIN_CHAIN, r) for r in self.pocket_residues)
            pocket = Pocket(base.LIGAND_CHAIN, contacts, self.pocket_max_distance, self.pocket_force)
        boltz_input = BoltzInput(
            merge_identical(chains),
            pocket=pocket,
            affinity_binder=base.LIGAND_CHAIN if self.predict_affinity else None,
            single_sequence=not self.options.use_msa_server,
        )
        name = safe_name(self.ligand_name or ligand.ccd or "", fallback="binding")
        return Plan(self.task_id, (BoltzRun(name, boltz_input, self.options),))

    def analyse(self, plan: Plan, predictions: dict, failures: dict[str, RunFailure]) -> BindingAnalysis:
        """Protein–ligand contacts of the best model, and whether the requested pocket was honoured."""
        from omtx_core.analysis.contacts import check_pocket_constraint, ligand_contacts
        from omtx_core.analysis.structure import first_chain, load_structure

        prediction = predictions.get(plan.runs[0].name)
        if prediction is None:
            return BindingAnalysis()
        # The chains as the output names them: an import's author may not have used A and L.
        protein, ligand = first_chain(prediction, "protein"), first_chain(prediction, "ligand")
        structure = load_structure(prediction.best.structure_path)  # read once for both analyses
        check = None
        if self.pocket_residues:
            residues = [(protein, r) for r in self.pocket_residues]
            check = check_pocket_constraint(structure, ligand, residues, self.pocket_max_distance)
        # The ligand's chemistry (SMILES or CCD entry) decides H-bond donors and acceptors on the pose.
        contacts = ligand_contacts(structure, ligand, smiles=self.ligand_smiles, ccd=self.ligand_ccd)
        return BindingAnalysis(contacts=contacts, pocket_check=check)


def check_pocket(residues: list[int], length: int) -> list[int]:
    """Pocket residues: at least one, each within the protein, duplicates dropped, sorted."""
    if not residues:
        raise FieldProblem(
            "The pocket residue list is empty.",
            "Give residue numbers, or leave the field out.",
            field="pocket_residues",
        )
    outside = sorted(r for r in set(residues) if not 1 <= r <= length)
    if outside:
        listed = ", ".join(map(str, outside[:10]))
        raise FieldProblem(
            f"Residue(s) {listed} are outside the protein (residues 1–{length}).",
            "Number residues from 1 at the first residue of the sequence given.",
            field="pocket_residues",
        )
    return sorted(set(residues))
