"""The result tabs every finished job has: Overview, Affinity, Confidence, Structure, Parameters, Logs."""

from __future__ import annotations

import streamlit as st

from omtx_core.boltz.results import BoltzPrediction
from omtx_core.domain.job import Job
from omtx_core.domain.results import ResultDocument
from omtx_core.ui import charts, viewer
from omtx_core.ui.resources import jobs
from omtx_core.ui.text import plain

MODEL_VERSION = "Boltz-2 (boltz 2.2)"
OVERVIEW_VIEWER_HEIGHT = 440
OVERVIEW_LEGEND_WRAP = 44  # the legend wraps onto more rows in the Overview's narrower column


def run_picker(predictions: dict[str, BoltzPrediction], key: str) -> BoltzPrediction | None:
    """Choose one run of a multi-run job (variants, screens); None when no run produced a structure."""
    if not predictions:
        return None
    names = list(predictions)
    if len(names) == 1:
        return predictions[names[0]]
    return predictions[st.selectbox("Run", names, key=key)]


def overview(job: Job, document: ResultDocument, prediction: BoltzPrediction | None, featured: str = "") -> None:
    """Structure first, as AlphaFold Server shows it: the best model beside the headline numbers.

    `featured` says which run of a multi-run job is shown (e.g. a screen's best predicted binder)."""
    if job.input.get("ligand_unknown"):
        st.info(
            "The ligand's SMILES is unknown: this job was imported and its bond orders could not be recovered "
            "from the coordinates. Affinity and contacts come from the structure; give the SMILES to re-run it."
        )
    if prediction is not None:
        model_column, numbers = st.columns([3, 2], gap="medium")
        with model_column:
            _overview_structure(prediction, featured)
        with numbers:
            _headline(prediction)
    _timing(job)
    for run, failure in document.failed_runs.items():
        st.warning(f"Run **{plain(run)}** produced no result: {plain(failure.message)} {plain(failure.hint)}")
    if job.cache_hit:
        st.info(f"Identical input to job `{job.results_from}`: its results were reused (no GPU time).")
    from omtx_core.jobs.export import metrics_csv

    st.download_button(
        "Metrics (CSV)",
        metrics_csv(job, document),
        file_name=f"{job.id}-metrics.csv",
        mime="text/csv",
        key="overview.csv",
        on_click="ignore",
    )


def _overview_structure(prediction: BoltzPrediction, featured: str) -> None:
    best = prediction.best
    fmt = "pdb" if best.structure_path.suffix == ".pdb" else "cif"
    ligands = [c.id for c in prediction.chains if c.type == "ligand"]
    html = viewer.structure_view_html(
        best.structure_path.read_text(), fmt, ligand_chains=ligands, height=OVERVIEW_VIEWER_HEIGHT
    )
    viewer.show_structure(html, height=OVERVIEW_VIEWER_HEIGHT + OVERVIEW_LEGEND_WRAP)
    shown = f"{plain(featured)}. " if featured else ""
    st.caption(
        f"{shown}Best of {len(prediction.models)} model(s), coloured by pLDDT. "
        "Chain colours, other samples and downloads: Structure tab."
    )


def _headline(prediction: BoltzPrediction) -> None:
    best = prediction.best
    top, bottom = st.columns(2), st.columns(2)
    top[0].metric("Confidence score", _fmt(best.confidence_score), help="(4 × pLDDT / 100 + ipTM) / 5; 0–1.")
    top[1].metric("Mean pLDDT", _fmt(best.plddt_mean * 100, 1), help="0–100; above 70 is confident.")
    bottom[0].metric("pTM", _fmt(best.ptm), help="Predicted TM-score of the whole complex; 0–1.")
    bottom[1].metric("ipTM", _fmt(best.iptm), help="Interface pTM; 0 for a single chain.")
    if prediction.affinity is not None:
        _affinity_headline(prediction.affinity)
    chains = ", ".join(f"{c.id} ({c.type}, {c.length})" for c in prediction.chains)
    st.caption(f"Chains: {plain(chains)}. {len(prediction.models)} model(s), ranked by confidence.")


def _affinity_headline(result) -> None:
    top, bottom = st.columns(2), st.columns(2)
    top[0].metric("Binder probability", f"{result.affinity_probability_binary:.2f}", help="0–1: is it a binder?")
    top[1].metric("pIC50", f"{result.pic50:.2f}", help="6 − log10(IC50/µM); higher is stronger.")
    bottom[0].metric("IC50", _ic50(result.ic50_nm))
    bottom[1].metric("ΔG (kcal/mol)", f"{result.delta_g_kcal_mol:.1f}", help="≈ −1.364 × pIC50 at 298 K.")


def _timing(job: Job) -> None:
    parts = [f"Submitted {job.created_at:%Y-%m-%d %H:%M} UTC"]
    if job.duration_s is not None:
        parts.append(f"ran {job.duration_s / 60:.1f} min" if job.duration_s >= 60 else f"ran {job.duration_s:.0f} s")
    parts.append(f"engine: {job.engine or '—'}, attempts: {job.attempts}")
    st.caption(" · ".join(parts))


def affinity(prediction: BoltzPrediction) -> None:
    result = prediction.affinity
    if result is None:
        st.info("No affinity was predicted for this run.")
        return
    columns = st.columns(4)
    columns[0].metric("Binder probability", f"{result.affinity_probability_binary:.2f}", help="0–1: is it a binder?")
    columns[1].metric("pIC50", f"{result.pic50:.2f}", help="6 − log10(IC50/µM); higher is stronger.")
    columns[2].metric("IC50", _ic50(result.ic50_nm), help="10^value µM.")
    columns[3].metric("ΔG (kcal/mol)", f"{result.delta_g_kcal_mol:.1f}", help="≈ −1.364 × pIC50 at 298 K.")
    st.plotly_chart(charts.affinity_figure(result), key="affinity.figure")
    st.markdown(
        "**How to use these numbers.** Use the *binder probability* to separate binders from decoys (hit "
        "finding). Use *pIC50* to rank compounds already known to bind (lead optimisation). The spread between "
        "the two ensemble heads is a rough measure of the model's own uncertainty. Boltz-2's affinity value is "
        "log10(IC50 in µM): lower values are stronger binders."
    )


def _ic50(nanomolar: float) -> str:
    return f"{nanomolar:.3g} nM" if nanomolar < 1000 else f"{nanomolar / 1000:.3g} µM"


def confidence(prediction: BoltzPrediction, key: str) -> None:
    rank = _model_picker(prediction, f"{key}.model")
    st.plotly_chart(charts.plddt_figure(prediction, rank), key=f"{key}.plddt")
    pae = charts.pae_figure(prediction, rank)
    if pae is None:
        st.info("This run has no PAE file (Boltz-1 writes it only with --write_full_pae).")
    else:
        st.plotly_chart(pae, key=f"{key}.pae")
    if len(prediction.chains) > 1:
        st.plotly_chart(charts.iptm_figure(prediction, rank), key=f"{key}.iptm")


def structure(prediction: BoltzPrediction, key: str, *, highlight=None, overlay: str | None = None) -> None:
    rank = _model_picker(prediction, f"{key}.model")
    model = prediction.models[rank]
    color_by = st.radio(
        "Colour by",
        ["plddt", "chain"],
        horizontal=True,
        key=f"{key}.color",
        format_func={"plddt": "pLDDT", "chain": "Chain"}.get,
    )
    text = model.structure_path.read_text()
    fmt = "pdb" if model.structure_path.suffix == ".pdb" else "cif"
    ligands = [c.id for c in prediction.chains if c.type == "ligand"]
    html = viewer.structure_view_html(
        text, fmt, color_by=color_by, ligand_chains=ligands, highlight=highlight, overlay=overlay
    )
    viewer.show_structure(html, height=520)
    _structure_downloads(model.structure_path, text, key)


def _structure_downloads(path, text: str, key: str) -> None:
    from omtx_core.jobs.export import pdb_from_cif

    cif, pdb = st.columns(2)
    cif.download_button(
        f"Download {plain(path.name)}",
        text,
        file_name=path.name,
        mime="chemical/x-mmcif",
        key=f"{key}.cif",
        on_click="ignore",
    )
    if path.suffix == ".cif":
        pdb.download_button(
            "Download .pdb",
            data=lambda: pdb_from_cif(text),
            file_name=path.with_suffix(".pdb").name,
            mime="chemical/x-pdb",
            key=f"{key}.pdb",
            on_click="ignore",
        )


def _model_picker(prediction: BoltzPrediction, key: str) -> int:
    if len(prediction.models) == 1:
        return 0
    labels = [f"model {m.rank} (confidence {m.confidence_score:.3f})" for m in prediction.models]
    return st.selectbox("Diffusion sample", range(len(labels)), format_func=labels.__getitem__, key=key)


def parameters(job: Job) -> None:
    st.markdown(f"**Model:** {MODEL_VERSION} · **Input hash:** `{job.input_hash}`")
    st.dataframe([{"option": k, "value": str(v)} for k, v in job.options.items()], hide_index=True)
    for name, text in jobs().boltz_inputs(job).items():
        with st.expander(f"Boltz input {plain(name)}"):  # an imported job's file names are the uploader's
            st.code(text, language="yaml")
    with st.expander("Normalised input (JSON)"):
        st.json(job.input, expanded=1)


def logs(job: Job) -> None:
    text = jobs().engine_log(job)
    if text is None:
        st.info("No engine log was recorded for this job.")
        return
    st.code("\n".join(text.splitlines()[-400:]), language="text", wrap_lines=True)
    st.download_button(
        "Download the whole log",
        text,
        file_name=f"{job.id}-engine.log",
        mime="text/plain",
        key="logs.download",
        on_click="ignore",
    )


def _fmt(value: float | None, digits: int = 3) -> str:
    return "—" if value is None else f"{value:.{digits}f}"
