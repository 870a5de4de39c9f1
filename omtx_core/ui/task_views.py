"""Task-specific result views (contacts, interfaces, pockets, variants, compounds), chosen by the job's task type."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from omtx_core.analysis.models import Contact, Interface, PocketResidueCheck
from omtx_core.boltz.results import BoltzPrediction
from omtx_core.domain.job import Job
from omtx_core.domain.results import AnalysisFailed, ResultDocument
from omtx_core.tasks import task_analysis_model
from omtx_core.tasks.binding_site_prediction import BindingSiteAnalysis, BindingSitePredictionInput
from omtx_core.tasks.drug_discovery import DrugDiscoveryInput, ScreenAnalysis
from omtx_core.tasks.protein_complex import ComplexAnalysis, ProteinComplexInput
from omtx_core.tasks.protein_ligand_binding import BindingAnalysis, ProteinLigandBindingInput
from omtx_core.tasks.variant_comparison import VariantAnalysis, VariantComparisonInput
from omtx_core.ui import result_tabs, series_views
from omtx_core.ui.text import plain

Predictions = dict[str, BoltzPrediction]
Views = dict[str, Callable[[], None]]

KIND_WORDS = {
    "hydrogen_bond": "H-bond",
    "salt_bridge": "salt bridge",
    "hydrophobic": "hydrophobic",
    "pi_stacking": "π-stacking",
}


def views_for(job: Job, document: ResultDocument, predictions: Predictions) -> Views:
    """Tab name → render function for the task's own views; a failed analysis says so in one tab."""
    analysis = document.analysis
    if isinstance(analysis, AnalysisFailed):
        return {"Analysis": lambda: st.error(plain(analysis.error))}
    views = TASK_VIEWS.get(job.task_type)
    if views is None or not isinstance(analysis, task_analysis_model(job.task_type)):
        return {}  # a task without views of its own, or a document not read for this job's task
    return views(job, analysis, predictions)


def _binding(job: Job, analysis: BindingAnalysis, predictions: Predictions) -> Views:
    first = next(iter(predictions.values()), None)
    if analysis.contacts is None or first is None:
        return {}
    return {"Contacts": lambda: contacts(analysis.contacts or [], analysis.pocket_check, first)}


def _complex(job: Job, analysis: ComplexAnalysis, predictions: Predictions) -> Views:
    return {} if analysis.interfaces is None else {"Interfaces": lambda: interfaces(analysis.interfaces or [])}


def _binding_sites(job: Job, analysis: BindingSiteAnalysis, predictions: Predictions) -> Views:
    first = next(iter(predictions.values()), None)
    if first is None:
        return {}
    views: Views = {}
    if analysis.contacts is not None:
        views["Contacts"] = lambda: contacts(analysis.contacts or [], None, first)
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


def contacts(rows: list[Contact], check: list[PocketResidueCheck] | None, prediction: BoltzPrediction) -> None:
    st.markdown(f"**{len(rows)} residue(s)** have a heavy atom within 4 Å of the ligand (best model).")
    st.dataframe(
        [
            {
                "Residue": c.residue,
                "Closest distance (Å)": c.distance_A,
                "Interactions": ", ".join(KIND_WORDS.get(k, k) for k in c.kinds) or "contact",
            }
            for c in rows
        ],
        hide_index=True,
    )
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


def interfaces(items: list[Interface]) -> None:
    if not items:
        st.info("No two chains come within 5 Å of each other in the best model.")
        return
    table = []
    for item in items:
        a, b = item.chains
        table.append(
            {
                "Chains": f"{a}–{b}",
                "Residues": f"{item.residue_counts[a]} + {item.residue_counts[b]}",
                "Atom contacts (≤5 Å)": item.contacts,
                "ipTM →": item.directed(item.iptm, a, b),
                "ipTM ←": item.directed(item.iptm, b, a),
                "Mean PAE → (Å)": item.directed(item.mean_pae_A, a, b),
                "Mean PAE ← (Å)": item.directed(item.mean_pae_A, b, a),
            }
        )
    st.dataframe(table, hide_index=True)
    st.caption("ipTM and PAE are directional: A→B scores B's placement as seen from A's frame.")
    for item in items:
        # Chain ids and residue names come from the structure file, which an imported job's uploader wrote.
        with st.expander(f"Interface residues {plain(item.chains[0])}–{plain(item.chains[1])}"):
            for chain, residues in item.residues.items():
                st.markdown(f"**{plain(chain)}:** " + plain(", ".join(residues)))


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
