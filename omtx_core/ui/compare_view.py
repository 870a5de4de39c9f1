"""The compare page's views: each job's compared run, headline metrics side by side, pLDDT overlay, superposed 3D."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import streamlit as st

from omtx_core.analysis import comparison
from omtx_core.analysis.comparison import Entry, MetricRow, Superposition
from omtx_core.domain.job import Job, JobStatus
from omtx_core.errors import JobNotFound
from omtx_core.ui import job_view, task_views
from omtx_core.ui.errors import show_error
from omtx_core.ui.job_view import STATUS_BADGES, task_title
from omtx_core.ui.resources import jobs
from omtx_core.ui.text import plain, plot_text
from omtx_core.ui.viewer import Overlay, chain_colour, show_structure, structure_view_html

BEST_MARK = " ★"


@dataclass(frozen=True)
class Compared:
    """A job that can be compared, and what of it is compared."""

    job: Job
    entry: Entry


def requested_ids(raw: str) -> list[str]:
    """The job ids of `?jobs=a,b,c`: stripped, empty ones and repeats dropped, in the order given."""
    return list(dict.fromkeys(part.strip() for part in raw.split(",") if part.strip()))


def _load(job_id: str) -> Compared | str:
    """The job's compared entry, or why it cannot be compared (in the user's words)."""
    try:
        job = jobs().get(job_id)
    except JobNotFound:
        return f"There is no job {plain(job_id)} (it was deleted, or you may not see it)."
    if job.status != JobStatus.COMPLETED:
        label = STATUS_BADGES[job.status][0].lower()
        return f"**{plain(job.job_name)}** is {label}: only completed jobs are compared."
    document, predictions = job_view.load_results(job)
    run, description = task_views.featured(document, predictions)
    if run is None or run not in predictions or run not in document.runs:
        return f"**{plain(job.job_name)}** has no successful run to compare."
    prediction = predictions[run]
    chain = next((c.id for c in prediction.chains if c.type == "protein"), None)
    details = (("Task", task_title(job)), ("Run compared", description or run), ("Chain compared", chain or "none"))
    return Compared(job, Entry(job.job_name, document.runs[run], prediction, chain, details))


def load(ids: Sequence[str]) -> list[Compared]:
    """The comparable jobs among `ids` (at most MAX_COMPARED); a message for each one left out."""
    if len(ids) > comparison.MAX_COMPARED:
        st.warning(f"At most {comparison.MAX_COMPARED} jobs are compared at once: showing the first "
                   f"{comparison.MAX_COMPARED} of the {len(ids)} selected.")  # fmt: skip
    loaded = []
    for job_id in ids[: comparison.MAX_COMPARED]:
        try:
            result = _load(job_id)
        except Exception as exc:  # one unreadable job must not hide the others
            show_error(exc)
            continue
        if isinstance(result, str):
            st.warning(result)
        else:
            loaded.append(result)
    return loaded


def job_links(compared: Sequence[Compared]) -> None:
    columns = st.columns(len(compared))
    for column, item, index in zip(columns, compared, range(len(compared)), strict=True):
        colour = chain_colour(index)
        column.markdown(f'<span style="color:{colour}">■</span> job {index + 1}', unsafe_allow_html=True)
        column.page_link("pages/job.py", label=plain(item.job.job_name), query_params={"job": item.job.id})


def metrics_table(entries: Sequence[Entry], rows: Sequence[MetricRow]) -> None:
    """One column per job, one row per detail or metric; the best value of a row is starred."""
    names = comparison.unique_names([entry.name for entry in entries])
    table: dict[str, list[str]] = {"Metric": []}
    for name in names:
        table[name] = []
    for label in dict.fromkeys(label for entry in entries for label, _ in entry.details):
        table["Metric"].append(label)
        for name, entry in zip(names, entries, strict=True):
            table[name].append(dict(entry.details).get(label, ""))
    for row in rows:
        table["Metric"].append(row.label)
        for index, name in enumerate(names):
            table[name].append(row.shown(index) + (BEST_MARK if row.best == index else ""))
    # Tall enough for every row (35 px each, plus the header): the table is short and should never scroll.
    st.dataframe(table, hide_index=True, width="stretch", height=35 * (len(table["Metric"]) + 1) + 3,
                 key="compare.metrics")  # fmt: skip
    st.caption("★ marks the best value of a row (higher is better, except IC50 and ΔG). Each job's best model.")


def plddt_chart(entries: Sequence[Entry]) -> None:
    import plotly.graph_objects as go

    fig = go.Figure()
    for index, entry in enumerate(entries):
        if entry.chain is None:
            continue
        values = comparison.chain_plddt(entry.prediction, entry.chain)
        name = plot_text(entry.name)
        fig.add_trace(
            go.Scatter(
                x=list(range(1, len(values) + 1)),
                y=values,
                mode="lines",
                name=name,
                line={"color": chain_colour(index), "width": 1.5},
                hovertemplate=f"{name}<br>chain {plot_text(entry.chain)} residue %{{x}}<br>pLDDT %{{y:.1f}}"
                "<extra></extra>",
            )
        )
    fig.update_layout(
        title="pLDDT per residue of the compared protein chain (best model)",
        xaxis_title="Residue index in the chain",
        yaxis={"title": "pLDDT (0–100)", "range": [0, 100]},
        template="plotly_white",
        margin={"l": 60, "r": 20, "t": 50, "b": 50},
        legend={"orientation": "h", "y": -0.2},
    )
    st.plotly_chart(fig, key="compare.plddt")


def structures(entries: Sequence[Entry], superposed: Sequence[Superposition]) -> None:
    """Every superposed model over the first job's, each in its job's colour, in one viewer; then the fit table."""
    first = entries[0]
    path = first.prediction.best.structure_path
    overlays = [
        Overlay(item.structure, "cif", item.name, chain_colour(index), 0.7)
        for index, item in enumerate(superposed, start=1)
        if item.structure is not None
    ]
    fmt = "pdb" if path.suffix == ".pdb" else "cif"
    ligands = [c.id for c in first.prediction.chains if c.type == "ligand"]
    html = structure_view_html(
        path.read_text(), fmt, color_by="model", ligand_chains=ligands, overlays=overlays,
        model_label=first.name, model_colour=chain_colour(0),
    )  # fmt: skip
    show_structure(html, height=520)
    for item in superposed:
        if item.note:
            st.info(plain(item.note))
    fit = [
        {
            "Job": item.name,
            "Chain": item.chain or "",
            "Sequence identity (%)": None if item.identity is None else round(item.identity * 100, 1),
            "Aligned Cα": item.aligned,
            "RMSD (Å)": None if item.rmsd is None else round(item.rmsd, 2),
            "TM-score": None if item.tm_score is None else round(item.tm_score, 3),
            "Superposed": "yes" if item.structure is not None else "no",
        }
        for item in superposed
    ]
    st.caption(f"Each model superposed onto {plain(first.name)}, chain {plain(first.chain)}, by its aligned Cα atoms.")
    formats = {"RMSD (Å)": st.column_config.NumberColumn(format="%.2f"),
               "TM-score": st.column_config.NumberColumn(format="%.3f"),
               "Sequence identity (%)": st.column_config.NumberColumn(format="%.1f")}  # fmt: skip
    st.dataframe(fit, hide_index=True, width="stretch", column_config=formats, key="compare.fit")


def show(ids: Sequence[str]) -> None:
    """The whole comparison of the jobs `ids`; what cannot be compared is said, the rest still shown."""
    if not ids:
        st.info("Select two or more completed jobs on the Jobs page and press Compare.")
        return
    compared = load(ids)
    if len(compared) < 2:
        st.info("Two or more completed jobs are needed for a comparison.")
        return
    entries = [item.entry for item in compared]
    job_links(compared)
    rows = comparison.metric_rows(entries)
    st.subheader("Headline metrics")
    metrics_table(entries, rows)
    st.download_button(
        "Comparison (CSV)", comparison.comparison_csv(entries, rows), file_name="omtx-comparison.csv",
        mime="text/csv", key="compare.csv", on_click="ignore",
    )  # fmt: skip
    st.subheader("Confidence per residue")
    plddt_chart(entries)
    st.subheader("Structures superposed")
    try:
        superposed = comparison.superpose(entries)
    except Exception as exc:
        show_error(exc)
        return
    structures(entries, superposed)
