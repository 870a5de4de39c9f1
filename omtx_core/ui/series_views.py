"""Views of multi-run jobs: each variant against the wild type, and the ranked compound table of a screen."""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go
import streamlit as st

from omtx_core.analysis.models import CompoundRow, FailedVariant, ScreenSummary, VariantResult, VariantRow
from omtx_core.boltz.results import BoltzPrediction
from omtx_core.domain.job import Job
from omtx_core.tasks.drug_discovery import ScreenAnalysis
from omtx_core.tasks.variant_comparison import WILDTYPE_RUN
from omtx_core.ui import molecules, result_tabs
from omtx_core.ui.text import plain, plot_text

LEGACY_NOISE_NOTE = (
    "This comparison was judged by an earlier version against a noise band that included the variant's best model, "
    "the very model compared, so a real change could widen its own threshold and read as noise. Re-run the job to "
    "judge it against the other samples only."
)


def variants(rows: list[VariantResult], predictions: dict[str, BoltzPrediction]) -> None:
    st.dataframe([_variant_row(row) for row in rows], hide_index=True)
    done = [row for row in rows if isinstance(row, VariantRow)]
    if not done:
        return
    chosen = st.selectbox("Variant", [row.name for row in done], key="variants.choice")
    row = next(r for r in done if r.name == chosen)
    st.info(plain(row.note))
    if row.noise is not None and not row.noise.compared_model_excluded:
        st.warning(LEGACY_NOISE_NOTE)
    st.plotly_chart(_change_figure(row), key="variants.change")
    wildtype, variant = predictions.get(WILDTYPE_RUN), predictions.get(row.run)
    if wildtype is not None and variant is not None:
        from omtx_core.analysis.variants import superposed_cif

        st.caption("Wild type coloured by pLDDT; the variant superposed in grey; mutated residues highlighted.")
        overlay = superposed_cif(wildtype.best.structure_path, variant.best.structure_path, row.chain)
        sites = {row.mutations: [(row.chain, site.position) for site in row.site_deviation]}
        result_tabs.structure(wildtype, "variants.3d", highlight=sites, overlay=overlay)


def _variant_row(row: VariantResult) -> dict[str, Any]:
    if isinstance(row, FailedVariant):
        return {"Variant": row.name, "Mutations": row.mutations, "Note": row.failure}
    sites = row.site_deviation
    changes = [abs(x) for x in row.per_residue_plddt_change if x is not None]
    return {
        "Variant": row.name,
        "Mutations": row.mutations,
        "TM-score": row.tm_score,
        "RMSD (Å)": row.rmsd_A,
        "Max deviation near sites (Å)": max((s.max_A for s in sites if s.max_A is not None), default=None),
        "Mean |ΔpLDDT|": round(sum(changes) / len(changes), 2) if changes else None,
        "ΔpIC50": row.delta_pic50,
        "Δ binder probability": row.delta_binder_probability,
        "Within noise": row.below_noise,
    }


def _change_figure(row: VariantRow) -> go.Figure:
    numbers = row.residue_numbers
    figure = go.Figure()
    figure.add_scatter(x=numbers, y=row.per_residue_deviation_A, name="Cα deviation (Å)")
    figure.add_scatter(x=numbers, y=row.per_residue_plddt_change, name="ΔpLDDT (variant − wild type)", yaxis="y2")
    for site in row.site_deviation:
        figure.add_vline(x=site.position, line_dash="dot", annotation_text=plot_text(site.mutation))
    figure.update_layout(
        xaxis_title="Residue",
        yaxis_title="Cα deviation (Å)",
        height=360,
        yaxis2={"title": "ΔpLDDT", "overlaying": "y", "side": "right"},
        legend={"orientation": "h", "y": 1.15},
        margin={"t": 40},
    )
    return figure


def compounds(job: Job, analysis: ScreenAnalysis, predictions: dict[str, BoltzPrediction]) -> None:
    from omtx_core.analysis.screening import is_hit, rank_compounds, screen_summary

    by, threshold, hits_only = _controls()
    rows = rank_compounds(analysis.rows or [], by=by)
    summary = screen_summary(rows, hit_threshold=threshold)
    _summary_metrics(summary)
    _pose_notes(rows)
    shown = [r for r in rows if is_hit(r, threshold)] if hits_only else rows
    event = st.dataframe(
        molecules.with_thumbnails([_compound_row(r, threshold) for r in shown], after="Rank"),
        hide_index=True,
        on_select="rerun",
        selection_mode="single-row",
        key="compounds.table",
        **molecules.table_options(len(shown)),
    )
    if any(row.lipinski_hbd is not None for row in rows):  # results stored before describe the form as given
        st.caption(
            "Descriptors are of the neutral parent; the *as given* columns show the charged form entered, where it "
            "differs. Ro5 violations count Lipinski's own donors (NH + OH) and acceptors (N + O)."
        )
    st.plotly_chart(_scatter(rows, threshold), key="compounds.scatter")
    _downloads(job, rows, predictions)
    if event.selection.rows:
        row = shown[event.selection.rows[0]]
        if row.run in predictions:
            st.markdown(f"**Predicted pose of {plain(row.name)}**")
            drawing, pose = st.columns([1, 2])
            with drawing:
                molecules.compound_depiction(row.smiles)
            with pose:
                result_tabs.structure(predictions[row.run], "compounds.3d")
    else:
        st.caption("Select a row to see its predicted pose.")


def _controls() -> tuple[str, float, bool]:
    left, middle, right = st.columns([2, 2, 1])
    by = left.radio(
        "Rank by",
        ["probability", "pic50"],
        horizontal=True,
        key="compounds.by",
        format_func={"probability": "Binder probability (hit finding)", "pic50": "pIC50 (lead optimisation)"}.get,
    )
    threshold = middle.slider("Hit threshold (binder probability)", 0.0, 1.0, 0.5, 0.05, key="compounds.threshold")
    hits_only = right.checkbox("Hits only", key="compounds.hits")
    return by, threshold, hits_only


def _summary_metrics(summary: ScreenSummary) -> None:
    columns = st.columns(4)
    columns[0].metric("Hits", f"{summary.n_hits} / {summary.n_done}")
    rate = summary.hit_rate
    columns[1].metric("Hit rate", "—" if rate is None else f"{rate:.0%}")
    best = summary.best_compound
    help_text = f"{plain(best)}: the hit with the highest pIC50." if best else "Affinity is compared among hits only."
    columns[2].metric("Best pIC50 among hits", _num(summary.best_pic50), help=help_text)
    columns[3].metric("Median pIC50 (all scored)", _num(summary.median_pic50))
    probable, probability = summary.most_probable_compound, summary.most_probable_probability
    if not summary.n_hits and probable is not None and probability is not None:
        # Boltz-2's affinity value is meaningful among binders: a decoy's high pIC50 must not read as a lead.
        st.info(
            f"No predicted binder: no compound reaches binder probability ≥ {summary.threshold:.2f}. The most "
            f"probable is {plain(probable)} (probability {probability:.3f}); compare pIC50 only among binders."
        )
    if summary.n_failed:
        st.warning(f"{summary.n_failed} compound(s) have no prediction; their rows say why.")


def _pose_notes(rows: list[CompoundRow]) -> None:
    """Every pose warning and skipped pose (stored by the analysis), as the SDF download also carries them."""
    notes = [f"{row.name}: {row.pose_warning}" for row in rows if row.pose_warning]
    if not notes:
        return
    st.warning(
        f"{len(notes)} compound(s) have a pose warning: the predicted pose contradicts stereochemistry the SMILES "
        "specifies, or cannot be matched to the SMILES (its SDF record then has no atoms). The SDF and CSV say which."
    )
    with st.expander("Pose warnings", expanded=len(notes) <= 5):
        st.markdown("\n".join(f"- {plain(note)}" for note in notes))


def _compound_row(row: CompoundRow, threshold: float) -> dict[str, Any]:
    hit = row.binder_probability is not None and row.binder_probability >= threshold
    return {
        "Rank": row.rank,
        "Name": row.name,
        "Hit": hit,
        "Binder probability": row.binder_probability,
        "pIC50": row.pic50,
        "IC50 (nM)": row.ic50_nm,
        "Ligand ipTM": row.ligand_iptm,
        "Pocket pLDDT": row.pocket_plddt,
        "MW": row.mw,
        "MW as given": row.mw_as_given,
        "cLogP": row.clogp,
        "cLogP as given": row.clogp_as_given,
        "Ro5 violations": row.lipinski_violations,
        "QED": row.qed,
        "LE": row.ligand_efficiency,
        "Status": row.failure or row.status,
        "SMILES": row.smiles,
    }


def _scatter(rows: list[CompoundRow], threshold: float) -> go.Figure:
    done = [r for r in rows if r.pic50 is not None and r.binder_probability is not None]
    figure = go.Figure()
    figure.add_scatter(
        x=[r.pic50 for r in done],
        y=[r.binder_probability for r in done],
        mode="markers",
        text=[plot_text(r.name) for r in done],  # plotly reads tags such as <a href> in hover text
        hovertemplate="%{text}<br>pIC50 %{x:.2f}<br>probability %{y:.3f}<extra></extra>",
        marker={"color": ["#2a9d8f" if (r.binder_probability or 0.0) >= threshold else "#9aa5b1" for r in done]},
    )
    figure.add_hline(y=threshold, line_dash="dot", annotation_text="hit threshold")
    figure.update_layout(
        xaxis_title="pIC50 (higher is stronger)",
        yaxis_title="Binder probability",
        yaxis_range=[0, 1.02],
        height=380,
        margin={"t": 20},
    )
    return figure


def _downloads(job: Job, rows: list[CompoundRow], predictions: dict[str, BoltzPrediction]) -> None:
    from omtx_core.analysis.poses import poses_to_sdf
    from omtx_core.analysis.screening import rows_to_csv
    from omtx_core.analysis.structure import first_chain

    def sdf() -> str:
        items = [
            (
                r.name,
                r.smiles,
                predictions[r.run].best.structure_path,
                first_chain(predictions[r.run], "ligand"),  # as the output names it (imports choose their own)
                {"pIC50": r.pic50, "binder_probability": r.binder_probability},
            )
            for r in rows
            if r.run in predictions
        ]
        return poses_to_sdf(items)[0]

    csv_col, sdf_col = st.columns(2)
    csv_col.download_button(
        "Ranked table (CSV)",
        rows_to_csv(rows),
        file_name=f"{job.id}-compounds.csv",
        mime="text/csv",
        key="compounds.csv",
        on_click="ignore",
    )
    sdf_col.download_button(
        "Poses with bond orders (SDF)",
        data=sdf,
        file_name=f"{job.id}-poses.sdf",
        mime="chemical/x-mdl-sdfile",
        key="compounds.sdf",
        on_click="ignore",
    )


def _num(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"
