"""Task-specific result views (contacts, interfaces, pockets, variants, compounds), chosen by the job's task type."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from omtx_core.analysis.interfaces import placements
from omtx_core.analysis.models import Contact, Interface, PocketResidueCheck
from omtx_core.boltz.results import BoltzPrediction
from omtx_core.domain.job import Job
from omtx_core.domain.results import AnalysisFailed, ResultDocument
from omtx_core.tasks import task_analysis_model
from omtx_core.tasks.binding_site_prediction import BindingSiteAnalysis, BindingSitePredictionInput
from omtx_core.tasks.drug_discovery import DrugDiscoveryInput, ScreenAnalysis
from omtx_core.tasks.protein_complex import ComplexAnalysis, ProteinComplexInput
from omtx_core.tasks.protein_ligand_binding import BindingAnalysis, ProteinLigandBindingInput
from omtx_core.tasks.variant_comparison import WILDTYPE_RUN, VariantAnalysis, VariantComparisonInput
from omtx_core.ui import interaction_view, result_tabs, series_views
from omtx_core.ui.text import plain

Predictions = dict[str, BoltzPrediction]
Views = dict[str, Callable[[], None]]

MOLECULE_WORDS = {"protein": "protein", "dna": "DNA", "rna": "RNA", "ligand": "ligand"}
KIND_WORDS = {
    "hydrogen_bond": "H-bond",
    "possible_hydrogen_bond": "possible H-bond",
    "salt_bridge": "salt bridge",
    "hydrophobic": "hydrophobic",
    "pi_stacking": "π-stacking",
    "clash": "clash",
}
CONTACT_KINDS_NOTE = (
    "H-bond: a donor and an acceptor within 3.5 Å. Possible H-bond: the same distance, but whether one atom donates "
    "to the other depends on protonation or tautomer (His, amines, acids, Cys), or the ligand's chemistry is unknown "
    "(no SMILES, or one that does not match the pose). Predicted structures have no hydrogens, so angles are not "
    "checked. Clash: heavy atoms closer than 0.75 × the sum of their van der Waals radii (as PoseBusters checks)."
)
LEGACY_CONTACTS_NOTE = (
    "These contacts were analysed by an earlier version: an H-bond there is any N/O pair within 3.5 Å, without "
    "donor and acceptor roles, and clashes were not checked. Re-run the job for checked contacts."
)


def views_for(job: Job, document: ResultDocument, predictions: Predictions) -> Views:
    """Tab name → render function for the task's own views; a failed analysis says so in one tab."""
    analysis = document.analysis
    if isinstance(analysis, AnalysisFailed):
        return {"Analysis": lambda: st.error(plain(analysis.error))}
    views = TASK_VIEWS.get(job.task_type)
    if views is None or not isinstance(analysis, task_analysis_model(job.task_type)):
        return {}  # a task without views of its own, or a document not read for this job's task
    return views(job, analysis, predictions)


def featured(document: ResultDocument, predictions: Predictions) -> tuple[str | None, str]:
    """The run that stands for a job (its Overview, a comparison) and what to call it: a screen's best predicted
    binder (else its most probable compound), a variant comparison's wild type, or the job's first run."""
    analysis = document.analysis
    if isinstance(analysis, ScreenAnalysis) and analysis.rows and analysis.summary:
        summary = analysis.summary
        name = summary.best_compound or summary.most_probable_compound
        row = next((r for r in analysis.rows if r.name == name and r.run in predictions), None)
        if row is not None:
            role = "best predicted binder" if summary.best_compound else "no predicted binder; most probable compound"
            return row.run, f"{row.name} ({role})"
    if isinstance(analysis, VariantAnalysis) and WILDTYPE_RUN in predictions:
        return WILDTYPE_RUN, "Wild type"
    first = next(iter(predictions), None)
    return first, (first if first is not None and len(predictions) > 1 else "")


def _binding(job: Job, analysis: BindingAnalysis, predictions: Predictions) -> Views:
    first = next(iter(predictions.values()), None)
    if analysis.contacts is None or first is None:
        return {}
    ligand = job.input.get("ligand_smiles"), job.input.get("ligand_ccd")
    return {"Contacts": lambda: contacts(analysis.contacts or [], analysis.pocket_check, first, *ligand)}


def _complex(job: Job, analysis: ComplexAnalysis, predictions: Predictions) -> Views:
    if analysis.interfaces is None:
        return {}
    first = next(iter(predictions.values()), None)
    kinds = {chain.id: chain.type for chain in first.chains} if first is not None else {}
    return {"Interfaces": lambda: interfaces(analysis.interfaces or [], kinds)}


def _binding_sites(job: Job, analysis: BindingSiteAnalysis, predictions: Predictions) -> Views:
    first = next(iter(predictions.values()), None)
    if first is None:
        return {}
    views: Views = {}
    if analysis.contacts is not None:
        ligand = job.input.get("ligand_smiles"), job.input.get("ligand_ccd")
        views["Contacts"] = lambda: contacts(analysis.contacts or [], None, first, *ligand)
    if analysis.pockets is not None:
        views["Pockets"] = lambda: pockets(analysis, first)
    return views


def _variants(job: Job, analysis: VariantAnalysis, predictions: Predictions) -> Views:
    rows = analysis.variants
    return {} if rows is None else {"Variants": lambda: series_views.variants(rows, predictions)}


def _screen(job: Job, analysis: ScreenAnalysis, predictions: Predictions) -> Views:
    return {} if analysis.rows is None else {"Compounds": lambda: series_views.compounds(job, analysis, predictions)}


# Each task's own views, by task id, given the analysis read as that task's model (tasks.task_analysis_model);
# a task without any (protein structure) has only the common tabs.
TASK_VIEWS: dict[str, Callable[..., Views]] = {
    ProteinLigandBindingInput.task_id: _binding,
    ProteinComplexInput.task_id: _complex,
    BindingSitePredictionInput.task_id: _binding_sites,
    VariantComparisonInput.task_id: _variants,
    DrugDiscoveryInput.task_id: _screen,
}


def contacts(
    rows: list[Contact],
    check: list[PocketResidueCheck] | None,
    prediction: BoltzPrediction,
    smiles: str | None = None,
    ccd: str | None = None,
) -> None:
    st.markdown(f"**{len(rows)} residue(s)** have a heavy atom within 4 Å of the ligand (best model).")
    warning = clash_warning(rows)
    if warning:
        st.warning(warning)
    interaction_view.interaction_diagram(rows, prediction, smiles, ccd)
    st.dataframe(contact_rows(rows), hide_index=True)
    legacy = any(c.kinds and not c.pairs and {"hydrogen_bond", "salt_bridge"} & set(c.kinds) for c in rows)
    st.caption(LEGACY_CONTACTS_NOTE if legacy else CONTACT_KINDS_NOTE)
    if check:
        missed = [c for c in check if not c.satisfied]
        if missed:
            listed = plain(", ".join(f"{c.residue} ({c.min_distance_A} Å)" for c in missed))
            st.warning(
                f"The ligand is **not** within the requested {check[0].max_distance_A} Å of: {listed}. "
                "Boltz does not always honour pocket constraints; try `pocket_force`, or more samples."
            )
        else:
            st.success("The ligand sits within the requested distance of every pocket residue.")
        st.dataframe([c.model_dump() for c in check], hide_index=True)
    highlight = {"contacts": [(c.chain, c.number) for c in rows]}
    result_tabs.structure(prediction, "contacts.3d", highlight=highlight)


def contact_rows(rows: list[Contact]) -> list[dict]:
    """The contacts table: closest distance, interactions in words, and the atom pairs behind them."""
    return [
        {
            "Residue": c.residue,
            "Closest distance (Å)": c.distance_A,
            "Interactions": ", ".join(KIND_WORDS.get(k, k) for k in c.kinds) or "contact",
            "Atom pairs (residue–ligand)": "; ".join(
                f"{p.residue_atom}–{p.ligand_atom} {p.distance_A:.2f} Å {KIND_WORDS.get(p.kind, p.kind)}"
                for p in c.pairs
            ),
        }
        for c in rows
    ]


def clash_warning(rows: list[Contact]) -> str | None:
    """What the page says when the pose clashes with residues (None when it does not), naming each clashing pair."""
    clashing = [c for c in rows if "clash" in c.kinds]
    if not clashing:
        return None
    listed = "; ".join(
        f"{c.residue} ("
        + ", ".join(f"{p.residue_atom}–{p.ligand_atom} {p.distance_A:.2f} Å" for p in c.pairs if p.kind == "clash")
        + ")"
        for c in clashing
    )
    return (
        f"The predicted pose clashes with {len(clashing)} residue(s): {plain(listed)}. Heavy atoms this close "
        "(under 0.75 × the sum of their van der Waals radii) are not physical, so the pose is unreliable there and "
        "these pairs count as no interaction. Look at more diffusion samples, or treat this pose with caution."
    )


def interfaces(items: list[Interface], kinds: dict[str, str] | None = None) -> None:
    """One row per direction of each chain pair; `kinds` (chain id → molecule type) names the chains in words."""
    if not items:
        st.info("No two chains come within 5 Å of each other in the best model.")
        return
    st.dataframe(interface_rows(items, kinds or {}), hide_index=True)
    st.caption(
        "Each row reads both numbers the same way, for one chain placed relative to the other: they score the "
        "placed chain's residues (or ligand atoms) with the complex aligned on the other chain. "
        "ipTM: 0–1, higher is better; mean PAE: Å, lower is better. The two directions of a pair can differ."
    )
    for item in items:
        # Chain ids and residue names come from the structure file, which an imported job's uploader wrote.
        with st.expander(f"Interface residues {plain(item.chains[0])}–{plain(item.chains[1])}"):
            for chain, residues in item.residues.items():
                st.markdown(f"**{plain(chain)}:** " + plain(", ".join(residues)))


def interface_rows(items: list[Interface], kinds: dict[str, str]) -> list[dict]:
    """The interfaces table: per pair, the second chain placed relative to the first, then the reverse."""
    rows = []
    for item in items:
        a, b = item.chains
        for placement in placements(item):
            rows.append(
                {
                    "Chains": f"{a}–{b}",
                    "Placement": f"{_chain_words(placement.placed, kinds)} placed relative to "
                    f"{_chain_words(placement.reference, kinds)}",
                    "ipTM": placement.iptm,
                    "Mean PAE (Å)": placement.mean_pae_A,
                    "Residues": f"{item.residue_counts[a]} + {item.residue_counts[b]}",
                    "Atom contacts (≤5 Å)": item.contacts,
                }
            )
    return rows


def _chain_words(chain: str, kinds: dict[str, str]) -> str:
    kind = kinds.get(chain)
    return f"{MOLECULE_WORDS.get(kind, kind)} {chain}" if kind else f"chain {chain}"


def pockets(analysis: BindingSiteAnalysis, prediction: BoltzPrediction) -> None:
    found = analysis.pockets or []
    if not found:
        st.info("No pocket larger than the detection threshold was found on the predicted structure.")
        return
    st.caption(plain(analysis.score))
    if analysis.ligand_pocket:
        st.success(f"The co-folded ligand sits in pocket **{plain(analysis.ligand_pocket)}**.")
    table = [
        {
            "Pocket": p.id,
            "Score": p.score,
            "Volume (Å³)": p.volume_A3,
            "Area (Å²)": p.area_A2,
            "Max depth (Å)": p.max_depth_A,
            "Mean pLDDT": p.mean_plddt,
            "Confidence": "low" if p.low_confidence else "ok",
            "Lining residues": len(p.residues),
        }
        for p in found
    ]
    st.dataframe(table, hide_index=True)
    chosen = st.selectbox("Highlight pocket", [p.id for p in found], key="pockets.choice")
    pocket = next(p for p in found if p.id == chosen)
    st.caption("Lining residues: " + plain(", ".join(pocket.residues)))
    result_tabs.structure(prediction, "pockets.3d", highlight={chosen: pocket.lining})
