"""One Boltz run as stored numbers (chains, ranked models, affinity in lab units), or why it produced nothing.

These are what `result.json` stores per run and what `inspect --json` prints (omtx_core.boltz.outputs builds them
from Boltz's files); they hold plain numbers only, so reading them needs neither numpy nor gemmi. Fields a newer
or older version adds are ignored; derived affinity values missing from an older document are computed from
`affinity_pred_value`.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, model_validator

ChainType = Literal["protein", "dna", "rna", "ligand"]

# RT·ln10 at about 298 K: turns one log10 unit of IC50 into kcal/mol (Boltz docs, BOLTZ.md 3.4).
KCAL_PER_LOG10_UNIT = 1.364


class _Record(BaseModel):
    model_config = ConfigDict(extra="ignore")


class ChainSummary(_Record):
    """One chain in Boltz's order; length is residues for a polymer, heavy atoms (= tokens) for a ligand."""

    id: str
    type: ChainType
    length: int


class ModelSummary(_Record):
    """One ranked diffusion sample: confidence numbers (pLDDT 0–1), chain maps keyed by chain letter."""

    rank: int
    structure_path: str  # an artifact key in a result document; a local path in `inspect --json`
    confidence_score: float
    ptm: float | None = None
    iptm: float | None = None
    ligand_iptm: float | None = None
    protein_iptm: float | None = None
    complex_plddt: float | None = None
    complex_iplddt: float | None = None
    complex_pde: float | None = None
    complex_ipde: float | None = None
    chains_ptm: dict[str, float] = {}
    pair_chains_iptm: dict[str, dict[str, float]] = {}  # row letter → column letter; asymmetric
    plddt_mean: float | None = None
    n_tokens: int | None = None


class AffinitySummary(_Record):
    """Boltz-2's affinity: `affinity_pred_value` is log10(IC50 in µM), lower is stronger; pIC50 = 6 − value."""

    affinity_pred_value: float
    affinity_probability_binary: float
    pic50: float
    ic50_um: float
    ic50_nm: float
    delta_g_kcal_mol: float
    affinity_pred_value1: float | None = None
    affinity_pred_value2: float | None = None
    affinity_probability_binary1: float | None = None
    affinity_probability_binary2: float | None = None

    @model_validator(mode="before")
    @classmethod
    def _derive_lab_units(cls, data: Any) -> Any:
        """Fill pIC50, IC50 and ΔG from the raw value where a document lacks them (never the other way round)."""
        if not isinstance(data, dict) or not isinstance(data.get("affinity_pred_value"), int | float):
            return data
        value = float(data["affinity_pred_value"])
        derived = {"pic50": 6.0 - value, "ic50_um": 10.0**value, "ic50_nm": 10.0**value * 1000.0,
                   "delta_g_kcal_mol": -(6.0 - value) * KCAL_PER_LOG10_UNIT}  # fmt: skip
        return derived | data


class RunSummary(_Record):
    """Everything one run produced, as numbers: its chains, its models (best first) and its affinity."""

    name: str
    chains: list[ChainSummary]
    models: list[ModelSummary]
    affinity: AffinitySummary | None = None

    @property
    def best(self) -> ModelSummary | None:
        return self.models[0] if self.models else None


class RunFailure(_Record):
    """Why one run produced no result, in the user's words, and what to do about it."""

    message: str
    hint: str = ""
