"""What every task input shares: job name, prediction options, analysis model, warnings, validated field helpers.

A SMILES is parsed once per validation: its field validator parses it and returns the canonical text carrying
the parsed Ligand, which the model validator keeps on the model for `plan()`.
"""

from __future__ import annotations

import unicodedata
from abc import abstractmethod
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationInfo, field_validator, model_validator

from omtx_core import chem
from omtx_core.boltz.inputs import Chain
from omtx_core.boltz.options import PredictionOptions
from omtx_core.boltz.plan import Plan
from omtx_core.chem import Ligand, check_affinity_ligand_size, check_ccd
from omtx_core.domain.results import TaskAnalysis
from omtx_core.domain.runs import RunFailure
from omtx_core.errors import FieldProblem, Problem
from omtx_core.sequences import check_length, clean_sequence, looks_like_nucleotides

MAX_RESIDUES = 5000
PROTEIN_CHAIN = "A"
LIGAND_CHAIN = "L"


class TaskInput(BaseModel):
    """Base of the six task inputs. Subclasses set `task_id` and `title` and implement `describe`/`plan`; a task
    with its own analysis names its model in `analysis_model` and returns it from `analyse`."""

    model_config = ConfigDict(extra="forbid")

    task_id: ClassVar[str]
    title: ClassVar[str]
    sequence_field: ClassVar[str]  # the field a too-large input is reported on
    analysis_model: ClassVar[type[TaskAnalysis]] = TaskAnalysis  # how readers parse this task's stored analysis

    job_name: str | None = Field(
        None, min_length=1, max_length=200, description="A name to find the job by; generated when empty."
    )
    options: PredictionOptions = Field(default_factory=PredictionOptions)

    @field_validator("job_name")
    @classmethod
    def _job_name(cls, value: str | None) -> str | None:
        return name_text(value, "job name")

    @model_validator(mode="after")
    def _fill_job_name(self) -> TaskInput:
        if self.job_name is None:
            # Stripped after the cut too: the stored name must validate again unchanged.
            self.job_name = f"{self.title}: {self.describe()}"[:200].strip()
        return self

    @abstractmethod  # pydantic's model metaclass is an ABCMeta, so subclasses must define these
    def describe(self) -> str:
        """A short description of the input for the generated job name."""

    @abstractmethod
    def plan(self) -> Plan:
        """The Boltz runs for this input."""

    def analyse(self, plan: Plan, predictions: dict[str, Any], failures: dict[str, RunFailure]) -> TaskAnalysis:
        """The task's own analysis of its predictions (run name → BoltzPrediction), stored with the results."""
        return self.analysis_model()

    def partial_analysis(self, plan: Plan, predictions: dict[str, Any]) -> TaskAnalysis | None:
        """What to show while the job still runs, from the runs finished so far; None for nothing."""
        return None


class LigandFields(BaseModel):
    """Validation of the `ligand_smiles` / `ligand_ccd` pair that several tasks declare (each with its own help).

    The model validator of each task calls `keep_ligand`, which keeps the ligand parsed by the field validator.
    """

    _ligand: Ligand | None = PrivateAttr(default=None)

    @field_validator("ligand_smiles", check_fields=False)
    @classmethod
    def _smiles(cls, value: str | None, info: ValidationInfo) -> str | None:
        return smiles(value, info)

    @field_validator("ligand_ccd", check_fields=False)
    @classmethod
    def _ccd(cls, value: str | None) -> str | None:
        return ccd(value)

    def keep_ligand(self, *, required: bool) -> Ligand | None:
        """Check that at most (or exactly) one of SMILES and CCD code is set, and keep that ligand for `plan()`."""
        self._ligand = one_ligand(self.ligand_smiles, self.ligand_ccd, required=required)
        if self.ligand_smiles is not None:
            self.ligand_smiles = str(self.ligand_smiles)  # plain text from here on: dumps, copies, hashes
        return self._ligand

    @property
    def ligand(self) -> Ligand | None:
        """The validated ligand (None when the task was given none)."""
        if self._ligand is None:  # a model built without validation (model_construct): parse it now
            self._ligand = one_ligand(self.ligand_smiles, self.ligand_ccd, required=False)
        return self._ligand


# Control characters (NUL, which PostgreSQL refuses, and terminal escapes), invisible formatting (bidi overrides,
# zero-width spaces), lone surrogates and line separators: none belongs in a name shown in a table or a terminal.
_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
_JOINERS = frozenset("\u200c\u200d")  # format characters that shape scripts (Persian, Indic) and emoji: kept


def is_hidden(char: str) -> bool:
    """Whether a character controls a terminal, hides itself or reorders the text around it (see above)."""
    return unicodedata.category(char) in _REFUSED_CATEGORIES and char not in _JOINERS


def check_text(value: str, what: str) -> str:
    """Refuse control, invisible formatting and line-separator characters in a one-line text field."""
    if value.isprintable():  # the common case; every refused character is also not printable
        return value
    for position, char in enumerate(value, start=1):
        if is_hidden(char):
            raise FieldProblem(
                f"The {what} contains the control or invisible character U+{ord(char):04X} at position {position}.",
                "Type the text again without it; control characters and text-direction marks cannot be stored "
                "or shown safely.",
            )
    return value


def name_text(value: str | None, what: str) -> str | None:
    """A name as given: control characters refused, outer whitespace trimmed; a blank name is no name (None)."""
    if value is None:
        return None
    stripped = value.strip()  # first, so a pasted trailing newline or tab is trimmed rather than refused
    return check_text(stripped, what) or None


def warn(info: ValidationInfo | None, field: str, message: str) -> None:
    """Record a warning for the caller of `validate_task_input` (ignored outside it)."""
    if info is not None and isinstance(info.context, dict):
        info.context.setdefault("warnings", []).append(Problem(field, message))


def protein(value: str, info: ValidationInfo | None, minimum: int = 20) -> str:
    """Clean and length-check a protein sequence field; warn when it looks like DNA."""
    sequence = clean_sequence(value, "protein")
    check_length(sequence, minimum, MAX_RESIDUES, "protein sequence")
    if looks_like_nucleotides(sequence):
        warn(
            info,
            info.field_name if info else "",
            "This protein sequence contains only A, C, G, T/U and N; check that it is not a DNA or RNA sequence.",
        )
    return sequence


def smiles(value: str | None, info: ValidationInfo | None) -> str | None:
    """Canonical SMILES of a ligand field (carrying its parsed Ligand), with a warning when counter-ions were
    removed."""
    if value is None:
        return None
    ligand = chem.parse_smiles(value)
    if ligand.removed_fragments:
        removed = ", ".join(ligand.removed_fragments)
        warn(info, _field_path(info), f"Kept the largest fragment and removed {removed} (salt or counter-ion).")
    return carrying(ligand)


class _ParsedSmiles(str):
    """Canonical SMILES text that carries the Ligand it was parsed into, from a field validator to its model."""

    ligand: Ligand


def carrying(ligand: Ligand) -> str:
    """The ligand's canonical SMILES, carrying the ligand itself so that the model need not parse it again."""
    text = _ParsedSmiles(ligand.smiles or "")
    text.ligand = ligand
    return text


def parsed(smiles_text: str) -> Ligand:
    """The Ligand a validated SMILES field carries; text that was never validated is parsed now."""
    carried = getattr(smiles_text, "ligand", None)
    return carried if isinstance(carried, Ligand) else chem.parse_smiles(smiles_text)


def ccd(value: str | None) -> str | None:
    return None if value is None else check_ccd(value).ccd


def _field_path(info: ValidationInfo | None) -> str:
    return info.field_name or "" if info else ""


def one_ligand(smiles_value: str | None, ccd_value: str | None, *, required: bool) -> Ligand | None:
    """The ligand from a `ligand_smiles` / `ligand_ccd` pair, of which at most (or exactly) one is set."""
    if smiles_value and ccd_value:
        raise FieldProblem(
            "Both a SMILES and a CCD code were given.",
            "Give the ligand once: as SMILES or as CCD code.",
            field="ligand_ccd",
        )
    if smiles_value:
        return parsed(smiles_value)
    if ccd_value:
        return check_ccd(ccd_value)
    if required:
        raise FieldProblem("No ligand given.", "Give the ligand as SMILES or as a CCD code.", field="ligand_smiles")
    return None


def affinity_ligand(ligand: Ligand, info: ValidationInfo | None, field: str) -> None:
    """Apply Boltz-2's affinity size rules to a ligand, reported on `field`."""
    try:
        warning = check_affinity_ligand_size(ligand)
    except FieldProblem as problem:
        raise FieldProblem(problem.message, problem.hint, field=field) from None
    if warning:
        warn(info, field, warning)


def ligand_field(ligand: Ligand) -> str:
    return "ligand_smiles" if ligand.smiles else "ligand_ccd"


def ligand_chain(ligand: Ligand, chain_id: str = LIGAND_CHAIN) -> Chain:
    return Chain(chain_id, "ligand", smiles=ligand.smiles, ccd=ligand.ccd, heavy_atoms=ligand.heavy_atoms)


def short(sequence: str, length: int = 8) -> str:
    """`MKTAYIAK… (312 aa)` for names and messages."""
    head = sequence[:length] + ("…" if len(sequence) > length else "")
    return f"{head} ({len(sequence)} aa)"
