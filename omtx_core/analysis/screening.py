"""Compound-screen analysis: one row per compound, ranking, hit calls, summary and CSV export."""

from __future__ import annotations

import csv
import io
import math
import statistics
from collections.abc import Iterable
from functools import lru_cache
from typing import Any, Literal

import numpy as np

from omtx_core.analysis.models import CompoundRow, ScreenSummary
from omtx_core.analysis.poses import PoseError, pose_molecule, poses_to_sdf, skipped_note
from omtx_core.analysis.structure import StructureSource, load_structure, neighbor_search
from omtx_core.boltz.results import KCAL_PER_LOG10_UNIT, BoltzPrediction, ModelResult

__all__ = [
    "CSV_COLUMNS",
    "CSV_HEADERS",
    "DESCRIPTOR_KEYS",
    "POCKET_RADIUS",
    "PREDICTION_KEYS",
    "PoseError",
    "compound_row",
    "descriptors",
    "is_hit",
    "pose_molecule",
    "pocket_plddt",
    "poses_to_sdf",
    "rank_compounds",
    "rows_to_csv",
    "screen_summary",
    "spreadsheet_text",
]

POCKET_RADIUS = 6.0  # Å from any ligand heavy atom: the usual first-shell pocket cut-off
# Of the neutral parent; the charged form as given only where it differs (see CompoundRow).
DESCRIPTOR_KEYS = (
    "mw", "clogp", "hbd", "hba", "lipinski_hbd", "lipinski_hba", "tpsa", "rotatable_bonds", "qed",
    "lipinski_violations", "heavy_atoms", "parent_smiles", "charge_as_given", "mw_as_given", "clogp_as_given",
    "tpsa_as_given",
)  # fmt: skip
PREDICTION_KEYS = (
    "binder_probability", "pic50", "ic50_nm", "delta_g_kcal_mol", "affinity_pred_value", "pic50_spread",
    "ligand_iptm", "iptm", "confidence_score", "pocket_plddt", "ligand_efficiency",
)  # fmt: skip
_TEXT_DESCRIPTORS = ("parent_smiles",)
CSV_COLUMNS = (
    "rank", "name", "status", *PREDICTION_KEYS[:-1],
    *(key for key in DESCRIPTOR_KEYS if key not in _TEXT_DESCRIPTORS),
    "ligand_efficiency", "smiles", *_TEXT_DESCRIPTORS, "pose_warning", "failure",
)  # fmt: skip
# Column headers that say whose definition a count follows; every other header is the row's field name.
_HEADERS = {
    "hbd": "hbd_rdkit", "hba": "hba_rdkit", "lipinski_hbd": "lipinski_hbd_nh_oh", "lipinski_hba": "lipinski_hba_n_o",
}  # fmt: skip
CSV_HEADERS = tuple(_HEADERS.get(column, column) for column in CSV_COLUMNS)
# Rows that cannot be ranked go last in this order: finished without a score, failed, still waiting.
_STATUS_ORDER = {"done": 0, "failed": 1, "pending": 2}


def compound_row(
    name: str, smiles: str, prediction: BoltzPrediction | None, failure: str | None = None, *, run: str | None = None
) -> CompoundRow:
    """Everything the screen table shows for one compound; prediction values are None until it is done."""
    status = "failed" if failure else "done" if prediction is not None else "pending"
    row: dict[str, Any] = {"name": name, "smiles": smiles, "status": status, "failure": failure, "run": run}
    row.update(descriptors(smiles))
    if status == "done" and prediction is not None:
        row.update(_prediction_values(prediction, smiles))
        row["ligand_efficiency"] = _ligand_efficiency(row.get("pic50"), row["heavy_atoms"])
    return CompoundRow(**row)


def _prediction_values(prediction: BoltzPrediction, smiles: str) -> dict[str, Any]:
    model = prediction.best
    structure = load_structure(model.structure_path)  # read once for the pocket and the pose
    values: dict[str, Any] = {
        "ligand_iptm": _round(model.ligand_iptm, 4),
        "iptm": _round(model.iptm, 4),
        "confidence_score": _round(model.confidence_score, 4),
        "pocket_plddt": _round(pocket_plddt(prediction, model, structure), 1),
        "pose_warning": _pose_warning(prediction, smiles, structure),
    }
    affinity = prediction.affinity
    if affinity is None:
        return values
    first, second = affinity.affinity_pred_value1, affinity.affinity_pred_value2
    values.update(
        binder_probability=_round(affinity.affinity_probability_binary, 4),
        pic50=_round(affinity.pic50, 3),
        ic50_nm=_significant(affinity.ic50_nm, 4),
        delta_g_kcal_mol=_round(affinity.delta_g_kcal_mol, 2),
        affinity_pred_value=_round(affinity.affinity_pred_value, 4),
        # pIC50 = 6 − value, so the two heads' pIC50 spread equals their value spread.
        pic50_spread=_round(abs(first - second), 3) if first is not None and second is not None else None,
    )
    return values


def _pose_warning(prediction: BoltzPrediction, smiles: str, structure: StructureSource) -> str | None:
    """What the SDF export will say of this compound's pose: a contradicted stereocentre, or why it is skipped."""
    ligand = next((c.id for c in prediction.chains if c.type == "ligand"), None)
    if ligand is None:
        return None
    try:
        return pose_molecule(smiles, structure, ligand)[1]
    except PoseError as exc:
        return skipped_note(exc)


def _ligand_efficiency(pic50: float | None, heavy_atoms: int | None) -> float | None:
    """Binding free energy per heavy atom, kcal/mol: 1.364 × pIC50 / heavy atoms."""
    if pic50 is None or not heavy_atoms:
        return None
    return _round(KCAL_PER_LOG10_UNIT * pic50 / heavy_atoms, 3)


def pocket_plddt(
    prediction: BoltzPrediction, model: ModelResult | None = None, structure: StructureSource | None = None
) -> float | None:
    """Mean pLDDT (0–100, CIF B-factors) of protein residues within 6 Å of the ligand's heavy atoms.

    `structure` is the model's structure when the caller has already loaded it (read once for several analyses).
    """
    model = model or prediction.best
    ligands = [c.id for c in prediction.chains if c.type == "ligand"]
    proteins = {c.id for c in prediction.chains if c.type == "protein"}
    if not ligands or not proteins:
        return None
    ligand = ligands[0]  # a screen's run has one ligand chain: the compound
    loaded = load_structure(structure if structure is not None else model.structure_path)  # heavy atoms only
    first = loaded[0]
    if first.find_chain(ligand) is None:
        return None
    search = neighbor_search(loaded, POCKET_RADIUS)
    lining: dict[tuple[str, str], float] = {}
    for residue in first[ligand]:
        for atom in residue:
            for mark in search.find_atoms(atom.pos, "\0", radius=POCKET_RADIUS):
                cra = mark.to_cra(first)
                if cra.chain.name in proteins:
                    # Boltz writes the residue's token pLDDT on each of its atoms; average to be safe.
                    key = (cra.chain.name, str(cra.residue.seqid))
                    lining[key] = float(np.mean([a.b_iso for a in cra.residue]))
    return float(np.mean(list(lining.values()))) if lining else None


def descriptors(smiles: str) -> dict[str, Any]:
    """RDKit descriptors of a SMILES (None values when it cannot be read); cached per SMILES."""
    return dict(zip(DESCRIPTOR_KEYS, _descriptor_values(smiles), strict=True))


@lru_cache(maxsize=20_000)  # one entry per library compound; the screen table is rebuilt on every refresh
def _descriptor_values(smiles: str) -> tuple[Any, ...]:
    from rdkit import Chem, rdBase
    from rdkit.Chem.MolStandardize import rdMolStandardize

    with rdBase.BlockLogs():  # an unreadable SMILES already shows as a failed compound; the uncharger logs each call
        mol = Chem.MolFromSmiles(smiles)
        parent = None if mol is None else rdMolStandardize.Uncharger().uncharge(mol)
    if mol is None or parent is None:
        return (None,) * len(DESCRIPTOR_KEYS)
    values = _parent_descriptors(parent)
    if Chem.MolToSmiles(parent) != Chem.MolToSmiles(mol):  # a charged form (protonated amine, carboxylate)
        values.update(
            parent_smiles=Chem.MolToSmiles(parent),
            charge_as_given=Chem.GetFormalCharge(mol),
            **{f"{key}_as_given": value for key, value in _charge_sensitive(mol).items()},
        )
    return tuple(values.get(key) for key in DESCRIPTOR_KEYS)


def _parent_descriptors(mol: Any) -> dict[str, Any]:
    """Drug-likeness of the neutral parent; the rule of five with Lipinski's own NH + OH and N + O counts."""
    from rdkit.Chem import QED, Lipinski, rdMolDescriptors

    values = _charge_sensitive(mol)
    donors, acceptors = rdMolDescriptors.CalcNumLipinskiHBD(mol), rdMolDescriptors.CalcNumLipinskiHBA(mol)
    violations = sum((values["mw"] > 500, values["clogp"] > 5, donors > 5, acceptors > 10))
    return {
        **values,
        "hbd": int(Lipinski.NumHDonors(mol)),  # RDKit's donor atoms, the stored meaning of `hbd`
        "hba": int(Lipinski.NumHAcceptors(mol)),
        "lipinski_hbd": int(donors),
        "lipinski_hba": int(acceptors),
        "rotatable_bonds": int(Lipinski.NumRotatableBonds(mol)),
        "qed": _round(QED.qed(mol), 3),
        "lipinski_violations": int(violations),
        "heavy_atoms": int(mol.GetNumHeavyAtoms()),
    }


def _charge_sensitive(mol: Any) -> dict[str, float | None]:
    """The descriptors a protonation state changes most, shown for the charged form as given too."""
    from rdkit.Chem import Crippen, Descriptors, rdMolDescriptors

    return {
        "mw": _round(Descriptors.MolWt(mol), 2),
        "clogp": _round(Crippen.MolLogP(mol), 2),
        "tpsa": _round(rdMolDescriptors.CalcTPSA(mol), 2),
    }


def rank_compounds(
    rows: Iterable[CompoundRow], by: Literal["probability", "pic50"] = "probability"
) -> list[CompoundRow]:
    """Rows in rank order, each a copy with a 1-based rank; never ordered by the raw affinity value.

    by="probability" (hit discovery): binder probability, then pIC50; by="pic50" (lead optimisation):
    pIC50 (higher is stronger), then probability. Rows without that score follow: done, failed, pending.
    """
    keys = {"probability": ("binder_probability", "pic50"), "pic50": ("pic50", "binder_probability")}
    if by not in keys:
        raise ValueError(f"Rank by 'probability' or 'pic50', not {by!r}.")
    primary, secondary = keys[by]

    def order(row: CompoundRow) -> tuple:
        first, second = getattr(row, primary), getattr(row, secondary)
        if first is None:
            return (1, _STATUS_ORDER.get(row.status, 3), 0.0, 0.0)
        return (0, 0, -first, -(second if second is not None else -math.inf))

    ranked = sorted(rows, key=order)  # stable: ties keep the library's order
    return [row.model_copy(update={"rank": index}) for index, row in enumerate(ranked, start=1)]


def is_hit(row: CompoundRow, threshold: float = 0.5) -> bool:
    """A finished compound whose binder probability reaches the threshold."""
    probability = row.binder_probability
    return row.status == "done" and probability is not None and probability >= threshold


def screen_summary(rows: Iterable[CompoundRow], *, hit_threshold: float = 0.5) -> ScreenSummary:
    """Counts, hits, the best hit by pIC50 (affinity is compared among binders only: a decoy never headlines),
    and the most probable compound, the headline when nothing reaches the threshold; hit_rate is over finished.
    """
    rows = list(rows)
    done = [r for r in rows if r.status == "done"]
    scored = [r for r in done if r.pic50 is not None]
    hits = [r for r in rows if is_hit(r, hit_threshold)]
    best = max((r for r in hits if r.pic50 is not None), key=lambda r: r.pic50 or 0.0, default=None)
    probable = max(
        (r for r in done if r.binder_probability is not None), key=lambda r: r.binder_probability or 0.0, default=None
    )
    return ScreenSummary(
        n_compounds=len(rows),
        n_done=len(done),
        n_failed=sum(r.status == "failed" for r in rows),
        n_pending=sum(r.status == "pending" for r in rows),
        n_hits=len(hits),
        hit_rate=round(len(hits) / len(done), 4) if done else None,
        best_pic50=best.pic50 if best else None,
        median_pic50=round(statistics.median(r.pic50 or 0.0 for r in scored), 3) if scored else None,
        best_compound=best.name if best else None,
        threshold=hit_threshold,
        most_probable_compound=probable.name if probable else None,
        most_probable_probability=probable.binder_probability if probable else None,
    )


def rows_to_csv(rows: Iterable[CompoundRow]) -> str:
    """The screen as CSV: CSV_COLUMNS under CSV_HEADERS, rows by rank (ranked by probability when not yet ranked)."""
    rows = list(rows)
    if not all(r.rank is not None for r in rows):
        rows = rank_compounds(rows)
    buffer = io.StringIO()
    # CRLF rows (RFC 4180): the writer quotes a field holding either character, so a CR in a name cannot end a row.
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_HEADERS)
    for row in sorted(rows, key=lambda r: r.rank or 0):
        writer.writerow([_cell(getattr(row, column)) for column in CSV_COLUMNS])
    return buffer.getvalue()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.6g}"  # values are already rounded; this only drops float noise
    return spreadsheet_text(value) if isinstance(value, str) else str(value)


# A cell starting with one of these is run as a formula by Excel, LibreOffice and Google Sheets (OWASP's list).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_text(text: str) -> str:
    """A text CSV cell a spreadsheet shows as text: a leading `'` before a formula start (OWASP's advice).

    Only for text (names, SMILES, messages): numbers are written as numbers, so -4.07 stays a number.
    """
    return "'" + text if text.startswith(_FORMULA_START) else text


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(float(value), digits) + 0.0  # + 0.0 turns -0.0 into 0.0


def _significant(value: float, digits: int) -> float:
    """Round to significant figures: IC50 spans pM to mM, so fixed decimals would lose the small ones."""
    if value == 0 or not math.isfinite(value):
        return float(value)
    return round(float(value), digits - 1 - math.floor(math.log10(abs(value))))
