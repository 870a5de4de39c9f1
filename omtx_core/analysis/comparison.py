"""Several predictions side by side: headline metric rows, per-residue pLDDT, superposition onto the first, CSV."""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from omtx_core.analysis.interfaces import token_ranges
from omtx_core.boltz.results import BoltzPrediction
from omtx_core.boltz.structures import read_structure
from omtx_core.domain.runs import RunSummary

MAX_COMPARED = 6  # more overlaid traces and models than this stop being readable
MIN_IDENTITY = 0.30  # below this the chains are different proteins: a superposition would mean nothing


@dataclass(frozen=True)
class Entry:
    """One compared item: a display name, text describing it, its run's numbers and its parsed prediction.

    `chain` is the protein chain compared (superposed, pLDDT track); None when the prediction has no protein.
    """

    name: str
    run: RunSummary
    prediction: BoltzPrediction
    chain: str | None
    details: tuple[tuple[str, str], ...] = ()  # (label, text) rows shown above the numbers, e.g. ("Task", ...)


@dataclass(frozen=True)
class Metric:
    """One headline number: its label (with unit), how to read it from a run, and which way is better."""

    label: str
    value: Callable[[RunSummary], float | None]
    higher_is_better: bool
    digits: int


def _best(run: RunSummary, field: str) -> float | None:
    return None if run.best is None else getattr(run.best, field)


def _affinity(run: RunSummary, field: str) -> float | None:
    return None if run.affinity is None else getattr(run.affinity, field)


def _plddt_100(run: RunSummary) -> float | None:
    value = _best(run, "complex_plddt")
    return None if value is None else value * 100.0  # stored 0–1; shown on the CIF B-factor scale


METRICS: tuple[Metric, ...] = (
    Metric("Confidence score (0–1)", lambda r: _best(r, "confidence_score"), True, 3),
    Metric("pTM (0–1)", lambda r: _best(r, "ptm"), True, 3),
    Metric("ipTM (0–1)", lambda r: _best(r, "iptm"), True, 3),
    Metric("Mean pLDDT (0–100)", _plddt_100, True, 1),
    Metric("Binder probability (0–1)", lambda r: _affinity(r, "affinity_probability_binary"), True, 3),
    Metric("pIC50", lambda r: _affinity(r, "pic50"), True, 2),
    Metric("IC50 (nM)", lambda r: _affinity(r, "ic50_nm"), False, 3),  # significant digits
    Metric("ΔG (kcal/mol)", lambda r: _affinity(r, "delta_g_kcal_mol"), False, 2),
)
# The affinity rows appear only where some entry has an affinity: a structure-only comparison has none.
_ALWAYS = {"Confidence score (0–1)", "pTM (0–1)", "ipTM (0–1)", "Mean pLDDT (0–100)"}


@dataclass(frozen=True)
class MetricRow:
    """One metric across the entries (None where it does not apply) and the index of the best value."""

    label: str
    values: list[float | None]
    best: int | None
    digits: int

    def shown(self, index: int) -> str:
        value = self.values[index]
        if value is None:
            return ""
        if self.label.startswith("IC50"):
            return f"{value:.{self.digits}g}"
        return f"{value:.{self.digits}f}"


def metric_rows(entries: Sequence[Entry]) -> list[MetricRow]:
    """The headline metrics of each entry's best model; the best value is marked only when two or more differ."""
    rows = []
    for metric in METRICS:
        values = [metric.value(entry.run) for entry in entries]
        if metric.label not in _ALWAYS and all(value is None for value in values):
            continue
        rows.append(MetricRow(metric.label, values, _best_index(values, metric.higher_is_better), metric.digits))
    return rows


def _best_index(values: list[float | None], higher: bool) -> int | None:
    present = [(value, i) for i, value in enumerate(values) if value is not None]
    if len(present) < 2 or len({value for value, _ in present}) < 2:
        return None  # nothing to choose between
    return (max if higher else min)(present, key=lambda item: item[0])[1]


def unique_names(names: Sequence[str]) -> list[str]:
    """Column headers: the names, with " (2)", " (3)" after a repeated one so no column hides another."""
    seen: dict[str, int] = {}
    out = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
    return out


def comparison_csv(entries: Sequence[Entry], rows: Sequence[MetricRow]) -> str:
    """The comparison as CSV: Metric, one column per entry, then Best (the entry with the best value of that row).

    Text cells (names, details) that a spreadsheet would run as a formula get a leading `'`; numbers stay numbers.
    """
    from omtx_core.analysis.screening import spreadsheet_text

    names = unique_names([entry.name for entry in entries])
    out = io.StringIO()
    # CRLF rows (RFC 4180): the writer quotes a field holding either character, so a CR in a name cannot end a row.
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["Metric", *(spreadsheet_text(name) for name in names), "Best"])
    for label in dict.fromkeys(label for entry in entries for label, _ in entry.details):
        cells = [dict(entry.details).get(label, "") for entry in entries]
        writer.writerow([label, *(spreadsheet_text(cell) for cell in cells), ""])
    for row in rows:
        best = "" if row.best is None else spreadsheet_text(names[row.best])
        writer.writerow([row.label, *("" if v is None else f"{v:.6g}" for v in row.values), best])
    return out.getvalue()


def chain_plddt(prediction: BoltzPrediction, chain: str) -> np.ndarray:
    """Per-residue pLDDT (0–100) of one chain in the best model: its tokens of `plddt_*.npz` × 100."""
    model = prediction.best
    start, end = token_ranges(prediction.chains, model.n_tokens)[chain]
    return model.plddt[start:end] * 100.0


@dataclass(frozen=True)
class Superposition:
    """One entry's best model onto the first entry's, on their compared protein chains.

    `structure` is the moved model as mmCIF text, None when the chains are not the same protein (`identity` below
    MIN_IDENTITY) or one entry has no protein chain; `note` then says why.
    """

    name: str
    chain: str | None
    identity: float | None  # identical residues over the aligned pairs / the shorter chain, 0–1
    aligned: int
    rmsd: float | None  # Å over every aligned Cα pair after the fit shown
    tm_score: float | None  # TM-align's, normalised by the first entry's chain length
    structure: str | None
    note: str = ""


def superpose(entries: Sequence[Entry]) -> list[Superposition]:
    """Every entry after the first superposed onto the first on its compared chain (sequence-aligned Cα pairs)."""
    from omtx_core.analysis.variants import align, read_trace

    reference = entries[0]
    if reference.chain is None:
        return [_skipped(e, f"{reference.name} has no protein chain to superpose on.") for e in entries[1:]]
    ref_trace = read_trace(reference.prediction.best.structure_path, reference.chain)
    results = []
    for entry in entries[1:]:
        if entry.chain is None:
            results.append(_skipped(entry, f"{entry.name} has no protein chain."))
            continue
        trace = read_trace(entry.prediction.best.structure_path, entry.chain)
        alignment = align(ref_trace, trace)
        same = sum(ref_trace.sequence[i] == trace.sequence[j] for i, j in alignment.pairs)
        identity = same / min(len(ref_trace.sequence), len(trace.sequence))
        if identity < MIN_IDENTITY or len(alignment.pairs) < 3:
            note = (f"{entry.name} is not superposed: its chain {entry.chain} is {identity:.0%} identical to chain "
                    f"{reference.chain} of {reference.name} (a different protein).")  # fmt: skip
            results.append(_skipped(entry, note, identity, len(alignment.pairs), alignment.tm_score))
            continue
        pairs = [(ref_trace.coords[i], trace.coords[j]) for i, j in alignment.pairs]
        structure, rmsd = _moved(entry, pairs)
        results.append(
            Superposition(entry.name, entry.chain, identity, len(pairs), rmsd, alignment.tm_score, structure)
        )
    return results


def _skipped(
    entry: Entry, note: str, identity: float | None = None, aligned: int = 0, tm: float | None = None
) -> Superposition:
    return Superposition(entry.name, entry.chain, identity, aligned, None, tm, None, note)


def _moved(entry: Entry, pairs: list[tuple[np.ndarray, np.ndarray]]) -> tuple[str, float]:
    """The entry's whole best model moved by the least-squares fit of its paired Cα atoms, and that fit's RMSD."""
    import gemmi

    fit = gemmi.superpose_positions([gemmi.Position(*p) for p, _ in pairs], [gemmi.Position(*q) for _, q in pairs])
    # Kept as written (hydrogens, waters, alternative locations): the overlay shows the file itself.
    structure = read_structure(
        entry.prediction.best.structure_path, keep_hydrogens=True, keep_waters=True, keep_altlocs=True
    )
    structure[0].transform_pos_and_adp(fit.transform)
    rmsd = float(fit.rmsd)
    return structure.make_mmcif_document().as_string(), 0.0 if math.isclose(rmsd, 0.0, abs_tol=1e-9) else rmsd
