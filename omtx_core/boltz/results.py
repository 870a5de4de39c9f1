"""Typed results of one Boltz prediction: chains, ranked models with confidence, affinity."""

from __future__ import annotations

import math
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
from numpy.lib import format as npy

from omtx_core.domain.runs import KCAL_PER_LOG10_UNIT, ChainType
from omtx_core.errors import BoltzOutputError

# The most tokens a prediction may have: the highest OMTX_MAX_TOKENS the settings accept (8x its default of 2,500).
# A [N, N] float32 PAE is 1.6 GB there, so an array header declaring more is refused before anything is allocated.
MAX_TOKENS = 20_000
_RERUN_HINT = "Re-run Boltz for this input with --override, or copy the whole predictions/<name>/ folder again."
Shape = tuple[int, ...] | tuple[None, ...]  # None: any N up to MAX_TOKENS, the same on every axis
_READ_ERRORS = (OSError, ValueError, EOFError, RuntimeError, NotImplementedError, zipfile.BadZipFile, zlib.error)


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
    chains: tuple[ChainInfo, ...] = ()  # the prediction's chains: their tokens size every array

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
        return load_npz_array(self.plddt_path, "plddt", *self._expected(1))

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

    def check_arrays(self) -> None:
        """Refuse any array file present whose header does not declare floats shaped by the chains' tokens.

        Reads the headers only, so a file declaring billions of values is refused before anything is allocated.
        """
        for path, key, ndim in ((self.plddt_path, "plddt", 1), (self.pae_path, "pae", 2), (self.pde_path, "pde", 2)):
            if path.exists():
                check_npz_header(path, key, *self._expected(ndim))

    def _expected(self, ndim: int) -> tuple[Shape, str]:
        """The shape Boltz writes ([N] or [N, N], N the chains' tokens) and why; N is None when no chains are known."""
        if not self.chains:
            return (None,) * ndim, ""
        tokens = sum(chain.length for chain in self.chains)
        listed = ", ".join(f"{chain.id} {chain.length}" for chain in self.chains)
        return (tokens,) * ndim, f"this prediction has {tokens} tokens (chains {listed})"

    def _optional_matrix(self, path: Path, key: str) -> np.ndarray | None:
        if not path.exists():
            return None
        shape, why = self._expected(2)
        if shape[0] is None:  # no chains known: the matrix must match the pLDDT tokens, or every plot misaligns
            shape, why = (self.n_tokens, self.n_tokens), f"{self.plddt_path.name} holds {self.n_tokens} tokens"
        return load_npz_array(path, key, shape, why)


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


def load_npz_array(path: Path, key: str, shape: Shape = (None,), why: str = "") -> np.ndarray:
    """One float array from a Boltz .npz, its header checked first (`check_npz_header`); NaN or infinity is refused.

    Any problem is a BoltzOutputError naming the file; `why` says where an expected `shape` comes from.
    """
    with _npz(path) as archive:
        info = _checked_member(archive, path, key, shape, why)
        try:
            with archive.open(info) as member:
                array = npy.read_array(member, allow_pickle=False)
        except _READ_ERRORS as exc:
            raise BoltzOutputError(f"{shown(path)}: '{key}' cannot be read ({exc}).", _RERUN_HINT) from exc
    # A sum is NaN or infinite when any value is; only then look value by value (no N x N copy otherwise).
    if not np.isfinite(array.sum(dtype=np.float64)) and not np.isfinite(array).all():
        raise BoltzOutputError(f"{shown(path)}: '{key}' holds NaN or infinite values, never a confidence.", _RERUN_HINT)
    return array


def check_npz_header(path: Path, key: str, shape: Shape = (None,), why: str = "") -> None:
    """Refuse `key` in a Boltz .npz unless its .npy header declares floats of `shape` (N at most MAX_TOKENS where
    the shape says None) and the member unpacks to exactly that many bytes. No data is read."""
    with _npz(path) as archive:
        _checked_member(archive, path, key, shape, why)


@contextmanager
def _npz(path: Path) -> Iterator[zipfile.ZipFile]:
    try:
        archive = zipfile.ZipFile(path)
    except FileNotFoundError:
        raise BoltzOutputError(f"{shown(path)} is missing.", _RERUN_HINT) from None
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        raise BoltzOutputError(f"{shown(path)} cannot be read as .npz ({exc}).", _RERUN_HINT) from exc
    with archive:
        yield archive


def _checked_member(archive: zipfile.ZipFile, path: Path, key: str, shape: Shape, why: str) -> zipfile.ZipInfo:
    names = archive.namelist()
    name = next((name for name in (f"{key}.npy", key) if name in names), None)
    if name is None:
        held = ", ".join(member.removesuffix(".npy") for member in names[:10]) or "nothing"
        raise BoltzOutputError(f"{shown(path)} has no '{key}' array (it holds {held}).", _RERUN_HINT)
    info = archive.getinfo(name)
    try:
        with archive.open(info) as member:
            version = npy.read_magic(member)
            read_header = {(1, 0): npy.read_array_header_1_0, (2, 0): npy.read_array_header_2_0}.get(version)
            if read_header is None:
                raise ValueError(f".npy format version {version} is not one numpy writes for floats")
            declared, _, dtype = read_header(member)
            data_offset = member.tell()
    except _READ_ERRORS as exc:
        raise BoltzOutputError(f"{shown(path)}: '{key}' cannot be read ({exc}).", _RERUN_HINT) from exc
    _check_declared(path, key, declared, dtype, shape, why)
    # The archive's own size for the member bounds what unpacking yields; it must be exactly what the header says.
    size = data_offset + math.prod(declared) * dtype.itemsize
    if info.file_size != size:
        raise BoltzOutputError(
            f"{shown(path)}: '{key}' unpacks to {info.file_size:,} bytes, but its header describes {size:,} bytes.",
            _RERUN_HINT,
        )
    return info


def _check_declared(path: Path, key: str, declared: tuple[int, ...], dtype: np.dtype, shape: Shape, why: str) -> None:
    said = f"{shown(path)} declares a '{key}' array of shape {declared}"
    if dtype.kind != "f" or dtype.itemsize > 8:
        raise BoltzOutputError(f"{said} of {dtype}, not of floats as Boltz writes.", _RERUN_HINT)
    if shape[0] is not None and declared != shape:
        raise BoltzOutputError(f"{said}, but {why or 'Boltz writes'}: expected {shape}.", _RERUN_HINT)
    square = len(declared) == len(shape) and len(set(declared)) == 1
    if not (square and 0 < declared[0] <= MAX_TOKENS):
        wanted = "[N]" if len(shape) == 1 else "[N, N]"
        raise BoltzOutputError(f"{said}, expected {wanted} with N at most {MAX_TOKENS:,} tokens.", _RERUN_HINT)
