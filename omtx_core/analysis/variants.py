"""Variant vs wild type: TM-score, RMSD, Cα deviation per residue and per site, pLDDT and affinity change, noise."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations
from pathlib import Path
from typing import Any

import gemmi
import numpy as np

from omtx_core.analysis.interfaces import token_ranges
from omtx_core.analysis.models import SampleNoise, SiteDeviation, StructureComparison, VariantComparison
from omtx_core.analysis.structure import load_structure
from omtx_core.boltz.results import BoltzPrediction, shown
from omtx_core.boltz.structures import read_structure
from omtx_core.errors import BoltzOutputError, InputError

Mutation = tuple[int, str, str]  # (1-based position, wild-type one-letter code, mutant one-letter code)

DEFAULT_SITE_RADIUS_A = 8.0
SINGLE_SAMPLE_NOTE = (
    "Too few diffusion samples to estimate the model's noise (it needs 2 wild-type samples, or 2 variant samples "
    "besides the compared one); run 3–5 samples to judge small changes."
)


@dataclass(frozen=True)
class ChainTrace:
    """The Cα trace of one protein chain: coordinates [N, 3], one-letter sequence, residue numbers."""

    coords: np.ndarray
    sequence: str
    numbers: list[int]


@dataclass(frozen=True)
class Alignment:
    """`other` superposed onto `ref`: scores plus the per-residue deviation in ref's numbering."""

    tm_score: float  # normalised by the reference length
    rmsd: float  # TM-align's RMSD over its aligned residues
    pairs: list[tuple[int, int]]  # (ref index, other index)
    deviation: np.ndarray  # [N_ref] Å, NaN where a ref residue has no partner


def read_trace(path: Path, chain: str) -> ChainTrace:
    """Cα coordinates and sequence of `chain` in a structure file."""
    found = load_structure(path)[0].find_chain(chain)
    if found is None:
        raise BoltzOutputError(f"{shown(path)} has no chain {chain}.", "Pick a protein chain of the prediction.")
    residues = [residue for residue in found if residue.find_atom("CA", "*") is not None]
    if len(residues) < 3:
        raise BoltzOutputError(f"Chain {chain} of {shown(path)} has fewer than 3 Cα atoms.", "Pick a protein chain.")
    coords = np.array([residue.find_atom("CA", "*").pos.tolist() for residue in residues], dtype=float)
    return ChainTrace(coords, "".join(_one_letter(r.name) for r in residues), [r.seqid.num for r in residues])


def align(ref: ChainTrace, other: ChainTrace) -> Alignment:
    """TM-align `other` onto `ref`; deviations are measured after applying TM-align's rotation."""
    import tmtools  # a compiled extension: only loaded when a comparison is made

    result = tmtools.tm_align(other.coords, ref.coords, other.sequence, ref.sequence)
    moved = other.coords @ np.asarray(result.u).T + np.asarray(result.t)
    pairs = _residue_pairs(len(ref.coords), len(other.coords), result.seqyA, result.seqxA)
    deviation = np.full(len(ref.coords), np.nan)
    for i, j in pairs:
        deviation[i] = np.linalg.norm(moved[j] - ref.coords[i])
    return Alignment(float(result.tm_norm_chain2), float(result.rmsd), pairs, deviation)


def compare_structures(
    ref_path: Path,
    other_path: Path,
    chain: str,
    mutations: list[Mutation] | tuple[Mutation, ...] = (),
    *,
    site_radius: float = DEFAULT_SITE_RADIUS_A,
) -> StructureComparison:
    """Structure-only comparison of one chain: tm_score, rmsd_A, per-residue and per-site deviation."""
    return _compare(read_trace(ref_path, chain), read_trace(other_path, chain), chain, mutations, site_radius)[0]


def compare_to_wildtype(
    wildtype: BoltzPrediction,
    variant: BoltzPrediction,
    mutations: list[Mutation],
    *,
    chain: str,
    site_radius: float = DEFAULT_SITE_RADIUS_A,
) -> VariantComparison:
    """The best model of `variant` against the best model of `wildtype`.

    - Deviations are Cα distances (Å) after superposing the variant onto the wild type with the
      TM-align rotation. Residues pair up by position when both chains have the same length (point
      mutations), otherwise by the TM-align alignment; a residue without a partner gets None.
    - pLDDT change is variant − wild type on the 0–100 scale: the per-token `plddt_*.npz` values
      (0–1) of the chain's token range × 100 (the scale of the CIF B-factor column).
    - Noise: every pair of diffusion samples within the wild type, and within the variant's samples
      other than its best model, is compared the same way; the spread is the largest RMSD over
      those pairs and, per residue, the largest Cα deviation over those pairs. The variant's best
      model is left out because it is the model compared: its own change would widen the band it
      is judged against.
    - `below_noise` is True when the variant's RMSD is at most the largest sample-pair RMSD and
      every mutated site's max deviation is at most the largest spread among that site's residues;
      None when there is no sample pair (one wild-type sample and at most two variant samples).
    """
    # Every sample's trace is read once: the best models for the comparison, all of them for the noise.
    wt_traces, var_traces = _traces(wildtype, chain), _traces(variant, chain)
    ref, other = wt_traces[0], var_traces[0]
    result, alignment, site_indices = _compare(ref, other, chain, mutations, site_radius)
    noise = _sample_noise(wt_traces, var_traces, alignment.pairs, len(ref.coords))
    below = _below_noise(alignment.rmsd, result.site_deviation, site_indices, noise)
    return VariantComparison(
        **dict(result),
        per_residue_plddt_change=_plddt_change(wildtype, variant, chain, alignment.pairs, (ref, other)),
        **_affinity_deltas(wildtype, variant),
        noise=_noise_summary(noise),
        below_noise=below,
        note=_note(alignment.rmsd, result.site_deviation, noise, below),
    )


def _traces(prediction: BoltzPrediction, chain: str) -> list[ChainTrace]:
    return [read_trace(model.structure_path, chain) for model in prediction.models]


def _compare(
    ref: ChainTrace, other: ChainTrace, chain: str, mutations: list[Mutation] | tuple[Mutation, ...], radius: float
) -> tuple[StructureComparison, Alignment, list[np.ndarray]]:
    """The structural part shared by both comparisons, plus what the noise rule needs."""
    _check_mutations(ref, other, mutations, chain)
    alignment = align(ref, other)
    sites, site_indices = _site_deviation(ref, alignment.deviation, mutations, radius)
    result = StructureComparison(
        chain=chain,
        residue_numbers=ref.numbers,
        tm_score=_round(alignment.tm_score),
        rmsd_A=_round(alignment.rmsd),
        per_residue_deviation_A=_rounded_list(alignment.deviation),
        site_deviation=sites,
    )
    return result, alignment, site_indices


def _sample_noise(
    wildtype: list[ChainTrace], variant: list[ChainTrace], pairs: list[tuple[int, int]], n_ref: int
) -> dict[str, Any] | None:
    """Spread between diffusion samples in wild-type numbering, None without a sample pair: every pair of the
    wild type's samples, and of the variant's samples except its best (`variant[0]`, the model compared)."""
    wt_rmsd, wt_spread = _spread(wildtype)
    var_rmsd, var_spread = _spread(variant[1:])
    if not wt_rmsd and not var_rmsd:
        return None
    per_residue = wt_spread.copy() if wt_spread is not None else np.full(n_ref, np.nan)
    if var_spread is not None:
        for i, j in pairs:
            per_residue[i] = np.fmax(per_residue[i], var_spread[j])  # fmax: a NaN side does not hide the other
    samples = {"wildtype": len(wildtype), "variant": len(variant)}
    return {"samples": samples, "rmsds": wt_rmsd + var_rmsd, "per_residue": per_residue, "from": _sources(samples)}


def _sources(samples: dict[str, int]) -> str:
    """Which samples the band comes from, in words: "the wild type's 3 samples and the variant's 2 other samples"."""
    parts = [f"the wild type's {samples['wildtype']} samples"] if samples["wildtype"] > 1 else []
    others = samples["variant"] - 1
    if others > 1:
        parts.append(f"the variant's {others} other samples")
    return " and ".join(parts)


def _spread(traces: list[ChainTrace]) -> tuple[list[float], np.ndarray | None]:
    """RMSD of every sample pair and, per residue, the largest deviation over those pairs."""
    if len(traces) < 2:
        return [], None
    alignments = [align(a, b) for a, b in combinations(traces, 2)]
    per_residue = np.nanmax(np.vstack([alignment.deviation for alignment in alignments]), axis=0)
    return [alignment.rmsd for alignment in alignments], per_residue


def _below_noise(
    rmsd: float, sites: list[SiteDeviation], site_indices: list[np.ndarray], noise: dict[str, Any] | None
) -> bool | None:
    if noise is None:
        return None
    if rmsd > max(noise["rmsds"]):
        return False
    for site, near in zip(sites, site_indices, strict=True):
        spread = noise["per_residue"][near]
        spread = spread[~np.isnan(spread)]
        if site.max_A is not None and (len(spread) == 0 or site.max_A > _round(spread.max())):
            return False
    return True


def _note(rmsd: float, sites: list[SiteDeviation], noise: dict[str, Any] | None, below: bool | None) -> str:
    site_max = max((site.max_A for site in sites if site.max_A is not None), default=None)
    change = f"RMSD {rmsd:.2f} Å" + (
        f", up to {site_max:.2f} Å around the mutated sites" if site_max is not None else ""
    )
    if noise is None:
        return f"The predicted change is {change}. {SINGLE_SAMPLE_NOTE}"
    spread = f"the spread between diffusion samples (RMSD up to {max(noise['rmsds']):.2f} Å over {noise['from']})"
    if below:
        return f"The predicted change ({change}) is within {spread}: treat it as no detectable structural effect."
    return f"The predicted change ({change}) exceeds {spread}: the model predicts a structural effect."


def _noise_summary(noise: dict[str, Any] | None) -> SampleNoise | None:
    if noise is None:
        return None
    return SampleNoise(
        samples=noise["samples"],
        sample_pairs=len(noise["rmsds"]),
        rmsd_mean_A=_round(float(np.mean(noise["rmsds"]))),
        rmsd_max_A=_round(max(noise["rmsds"])),
        per_residue_spread_A=_rounded_list(noise["per_residue"]),
        compared_model_excluded=True,
    )


def _site_deviation(
    ref: ChainTrace, deviation: np.ndarray, mutations: list[Mutation] | tuple[Mutation, ...], radius: float
) -> tuple[list[SiteDeviation], list[np.ndarray]]:
    """For each mutation: mean and max deviation of residues whose wild-type Cα lies within `radius`.

    Also returns each site's residue indices, for the noise rule.
    """
    sites, indices = [], []
    for position, wt, mut in mutations:
        distances = np.linalg.norm(ref.coords - ref.coords[position - 1], axis=1)
        near = np.flatnonzero(distances <= radius)
        values = deviation[near][~np.isnan(deviation[near])]
        sites.append(
            SiteDeviation(
                mutation=f"{wt}{position}{mut}",
                position=position,
                residues=[ref.numbers[index] for index in near],
                mean_A=_round(float(np.mean(values))) if len(values) else None,
                max_A=_round(float(np.max(values))) if len(values) else None,
            )
        )
        indices.append(near)
    return sites, indices


def _plddt_change(
    wildtype: BoltzPrediction,
    variant: BoltzPrediction,
    chain: str,
    pairs: list[tuple[int, int]],
    traces: tuple[ChainTrace, ChainTrace],
) -> list[float | None]:
    """Variant − wild type pLDDT per wild-type residue, 0–100 (npz values × 100)."""
    wt, var = (_chain_plddt(pred, chain, len(t.coords)) for pred, t in zip((wildtype, variant), traces, strict=True))
    change = np.full(len(wt), np.nan)
    for i, j in pairs:
        change[i] = var[j] - wt[i]
    return _rounded_list(change)


def _chain_plddt(prediction: BoltzPrediction, chain: str, n_residues: int) -> np.ndarray:
    model = prediction.best
    start, end = token_ranges(prediction.chains, model.n_tokens)[chain]
    # Residues without a Cα (or atomised ones) would shift every value onto the wrong residue.
    if end - start != n_residues:
        raise BoltzOutputError(
            f"Chain {chain} of {shown(model.structure_path)} has {n_residues} Cα atoms but {end - start} pLDDT tokens.",
            "Per-residue pLDDT change needs one token per residue; compare the structures only.",
        )
    return model.plddt[start:end] * 100.0


def _affinity_deltas(wildtype: BoltzPrediction, variant: BoltzPrediction) -> dict[str, float | None]:
    if wildtype.affinity is None or variant.affinity is None:
        return {"delta_binder_probability": None, "delta_pic50": None}
    return {
        "delta_binder_probability": _round(
            variant.affinity.affinity_probability_binary - wildtype.affinity.affinity_probability_binary
        ),
        "delta_pic50": _round(variant.affinity.pic50 - wildtype.affinity.pic50),
    }


def _check_mutations(
    ref: ChainTrace, other: ChainTrace, mutations: list[Mutation] | tuple[Mutation, ...], chain: str
) -> None:
    """Each mutation must name the residue found at its position in both structures."""
    for position, wt, mut in mutations:
        label = f"{wt}{position}{mut}"
        if not 1 <= position <= min(len(ref.sequence), len(other.sequence)):
            raise InputError.single("mutations", f"{label}: chain {chain} has no position {position}.")
        for trace, expected, which in ((ref, wt, "wild type"), (other, mut, "variant")):
            if trace.sequence[position - 1] != expected.upper():
                found = trace.sequence[position - 1]
                raise InputError.single(
                    "mutations",
                    f"{label}: position {position} of chain {chain} is {found} "
                    f"in the {which} prediction, not {expected}.",
                    "Check that the mutation matches the sequences that were predicted.",
                )


def _residue_pairs(n_ref: int, n_other: int, ref_aligned: str, other_aligned: str) -> list[tuple[int, int]]:
    """Same length: pair by position (a point mutant keeps numbering); else follow the TM-align alignment."""
    if n_ref == n_other:
        return [(i, i) for i in range(n_ref)]
    pairs, i, j = [], 0, 0
    for a, b in zip(ref_aligned, other_aligned, strict=True):
        if a != "-" and b != "-":
            pairs.append((i, j))
        i += a != "-"
        j += b != "-"
    return pairs


def _one_letter(name: str) -> str:
    info = gemmi.find_tabulated_residue(name)
    code = info.one_letter_code.upper() if info is not None else ""
    return code if code.strip() else "X"


def _round(value: float) -> float:
    return round(float(value), 3)


def _rounded_list(values: np.ndarray) -> list[float | None]:
    return [None if np.isnan(value) else round(float(value), 3) for value in values]


def superposed_cif(reference_path: str | Path, other_path: str | Path, chain: str) -> str:
    """The other structure as mmCIF text, moved onto the reference by its chain's Cα atoms (for a 3D overlay)."""
    # Kept as written (hydrogens, waters, alternative locations): the overlay shows the file itself.
    everything = {"keep_hydrogens": True, "keep_waters": True, "keep_altlocs": True}
    reference, other = read_structure(reference_path, **everything), read_structure(other_path, **everything)
    pairs = [
        (ref["CA"][0].pos, mov["CA"][0].pos)
        for ref, mov in zip(reference[0][chain], other[0][chain], strict=False)
        if ref.find_atom("CA", "*") and mov.find_atom("CA", "*")
    ]
    fit = gemmi.superpose_positions([p for p, _ in pairs], [q for _, q in pairs])
    other[0].transform_pos_and_adp(fit.transform)
    return other.make_mmcif_document().as_string()
