"""Typed results of one Boltz prediction: chains, ranked models with confidence, affinity."""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from omtx_core.domain.runs import KCAL_PER_LOG10_UNIT, ChainType
from omtx_core.errors import BoltzOutputError

_RERUN_HINT = "Re-run Boltz for this input with --override, or copy the whole predictions/<name>/ folder again."


def shown(path: Path) -> str:
    """The folder and file name: enough to find the file, without this machine's absolute path."""
    return f"{path.parent.name}/{path.name}"


@dataclass(frozen=True)
class ChainInfo:
    """One chain of the input, in Boltz's chain order (the order of the confidence JSON's indices)."""

    id: str
    type: ChainType
    length: int  # residues for a polymer; heavy atoms (= Boltz tokens) for a ligand


@dataclass(frozen=True)
class ModelResult:
    """One ranked structure sample; rank 0 is Boltz's best by confidence_score."""

    rank: int
    structure_path: Path
    confidence_path: Path
    confidence_score: float
    ptm: float | None
    iptm: float | None
    ligand_iptm: float | None
    protein_iptm: float | None
    complex_plddt: float | None
    complex_iplddt: float | None
    complex_pde: float | None
    complex_ipde: float | None
    chains_ptm: dict[str, float]  # keyed by chain letter
    pair_chains_iptm: dict[str, dict[str, float]]  # row letter -> column letter; asymmetric as in the file
    confidence: dict[str, Any]  # the whole JSON as written, chain keys still 0-based indices

    def _sibling(self, prefix: str) -> Path:
        # Boltz names every per-model array after the structure's stem: plddt_<name>_model_<k>.npz.
        return self.structure_path.with_name(f"{prefix}_{self.structure_path.stem}.npz")

    @property
    def plddt_path(self) -> Path:
        return self._sibling("plddt")

    @property
    def pae_path(self) -> Path:
        return self._sibling("pae")

    @property
    def pde_path(self) -> Path:
        return self._sibling("pde")

    @cached_property
    def plddt(self) -> np.ndarray:
        """Per-token pLDDT, 0–1, shape [N_tokens]; the file is required."""
        array = load_npz_array(self.plddt_path, "plddt")
        if array.ndim != 1:
            raise BoltzOutputError(
                f"{shown(self.plddt_path)} holds a 'plddt' array of shape {array.shape}, expected [N].",
                _RERUN_HINT,
            )
        return array

    @cached_property
    def pae(self) -> np.ndarray | None:
        """Predicted aligned error in Å, [N, N]; None when absent (Boltz-1 without --write_full_pae)."""
        return self._optional_matrix(self.pae_path, "pae")

    @cached_property
    def pde(self) -> np.ndarray | None:
        """Predicted distance error in Å, [N, N]; None when absent (Boltz-1 without --write_full_pde)."""
        return self._optional_matrix(self.pde_path, "pde")

    @property
    def plddt_mean(self) -> float:
        return float(np.mean(self.plddt))

    @property
    def n_tokens(self) -> int:
        return int(self.plddt.shape[0])

    def _optional_matrix(self, path: Path, key: str) -> np.ndarray | None:
        if not path.exists():
            return None
        matrix = load_npz_array(path, key)
        # A matrix that does not match the pLDDT tokens would misalign every PAE/PDE plot.
        if matrix.shape != (self.n_tokens, self.n_tokens):
            raise BoltzOutputError(
                f"{shown(path)} holds a '{key}' array of shape {matrix.shape}, "
                f"expected ({self.n_tokens}, {self.n_tokens}) to match {self.plddt_path.name}.",
                _RERUN_HINT,
            )
        return matrix


@dataclass(frozen=True)
class AffinityResult:
    """Boltz-2's affinity estimate for the one binder ligand of an input (not per model)."""

    path: Path
    affinity_pred_value: float  # log10(IC50 in µM): lower is stronger
    affinity_probability_binary: float  # 0–1 probability that the ligand binds (vs a decoy)
    affinity_pred_value1: float | None
    affinity_pred_value2: float | None
    affinity_probability_binary1: float | None
    affinity_probability_binary2: float | None
    raw: dict[str, Any]

    @property
    def pic50(self) -> float:
        return 6.0 - self.affinity_pred_value

    @property
    def ic50_um(self) -> float:
        return 10.0**self.affinity_pred_value

    @property
    def ic50_nm(self) -> float:
        return self.ic50_um * 1000.0

    @property
    def delta_g_kcal_mol(self) -> float:
        return -self.pic50 * KCAL_PER_LOG10_UNIT


@dataclass(frozen=True)
class BoltzPrediction:
    """Everything Boltz wrote for one input, from its predictions/<name>/ folder."""

    name: str
    folder: Path
    chains: list[ChainInfo]
    models: list[ModelResult]  # rank ascending: models[0] is the best
    affinity: AffinityResult | None

    @property
    def best(self) -> ModelResult:
        return self.models[0]


def load_npz_array(path: Path, key: str) -> np.ndarray:
    """One array from a Boltz .npz file; any problem names the file."""
    try:
        archive = np.load(path)
    except FileNotFoundError:
        raise BoltzOutputError(f"{shown(path)} is missing.", _RERUN_HINT) from None
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        raise BoltzOutputError(f"{shown(path)} cannot be read as .npz ({exc}).", _RERUN_HINT) from exc
    # np.load also accepts a bare .npy, which has no named arrays.
    if not hasattr(archive, "files"):
        raise BoltzOutputError(f"{shown(path)} is not an .npz archive.", _RERUN_HINT)
    with archive:
        if key not in archive.files:
            held = ", ".join(archive.files) or "nothing"
            raise BoltzOutputError(f"{shown(path)} has no '{key}' array (it holds {held}).", _RERUN_HINT)
        try:
            return np.asarray(archive[key])
        except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
            raise BoltzOutputError(f"{shown(path)}: '{key}' cannot be read ({exc}).", _RERUN_HINT) from exc
