"""Plotly confidence and affinity figures for one Boltz prediction: pLDDT, PAE, chain-pair ipTM, affinity."""

from __future__ import annotations

import math
from collections.abc import Sequence
from itertools import pairwise
from typing import NamedTuple

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from omtx_core.boltz.results import AffinityResult, BoltzPrediction, ChainInfo
from omtx_core.ui.text import plot_text
from omtx_core.ui.viewer import PLDDT_BANDS, chain_colour

# AlphaFold's PAE palette: dark green where the error is small, white where it is large.
PAE_COLOURSCALE = [[0.0, "#0C5A0C"], [0.25, "#2E8B2E"], [0.5, "#7FC47F"], [0.75, "#CDE8CD"], [1.0, "#FFFFFF"]]
PAE_MAX_ANGSTROM = 32.0  # Boltz bins PAE up to ~32 Å; a fixed range keeps figures comparable between jobs
_BAND_EDGES = (100.0, 90.0, 70.0, 50.0, 0.0)  # pLDDT band limits, top down, matching PLDDT_BANDS
_LAYOUT = {"template": "plotly_white", "margin": {"l": 60, "r": 20, "t": 50, "b": 50}}


class ChainSpan(NamedTuple):
    """One chain's tokens in the confidence arrays; `end` is inclusive."""

    letter: str
    start: int
    end: int


def token_boundaries(chains: Sequence[ChainInfo]) -> list[ChainSpan]:
    """Each chain's first and last token: a residue per polymer token, a heavy atom per ligand token."""
    spans, start = [], 0
    for chain in chains:
        spans.append(ChainSpan(chain.id, start, start + chain.length - 1))
        start += chain.length
    return spans


def _chain_separators(fig: go.Figure, spans: Sequence[ChainSpan], *, vertical: bool, horizontal: bool) -> None:
    line = {"color": "#333333", "width": 1, "dash": "dot"}
    for span in spans[1:]:
        edge = span.start - 0.5  # between the last token of one chain and the first of the next
        if vertical:
            fig.add_vline(x=edge, line=line)
        if horizontal:
            fig.add_hline(y=edge, line=line)


# ---- pLDDT ---------------------------------------------------------------------------------------


def _plddt_trace(chain: ChainInfo, span: ChainSpan, values: np.ndarray, index: int) -> go.Scatter:
    tokens = np.arange(span.start, span.start + len(values))
    is_ligand = chain.type == "ligand"
    unit = "atom" if is_ligand else "residue"
    colour = chain_colour(index)
    chain_id = plot_text(chain.id)  # an imported structure's chain ids are the uploader's text
    return go.Scatter(
        x=tokens,
        y=values,
        name=f"Chain {chain_id}" + (" (ligand)" if is_ligand else ""),
        # Ligand tokens are heavy atoms in no chemical order, so points, not a line through them.
        mode="markers" if is_ligand else "lines",
        line={"color": colour, "width": 1.5},
        marker={"color": colour, "size": 6},
        customdata=np.arange(1, len(values) + 1),
        hovertemplate=f"Chain {chain_id} {unit} %{{customdata}}<br>token %{{x}}<br>pLDDT %{{y:.1f}}<extra></extra>",
    )


def plddt_figure(prediction: BoltzPrediction, model_rank: int = 0) -> go.Figure:
    """Per-token pLDDT on the 0–100 scale over the AlphaFold bands, one trace per chain.

    Polymers show one point per residue (residue number in the hover); ligands show one point per
    heavy atom, because Boltz scores each ligand atom as its own token and a mean would hide a
    poorly placed group.
    """
    plddt = np.asarray(prediction.models[model_rank].plddt, dtype=float) * 100.0  # npz holds 0–1
    spans = token_boundaries(prediction.chains)
    fig = go.Figure(layout=_LAYOUT)
    for band, (top, bottom) in zip(PLDDT_BANDS, pairwise(_BAND_EDGES), strict=True):
        fig.add_hrect(y0=bottom, y1=top, fillcolor=band.colour, opacity=0.18, line_width=0, layer="below")
    for index, (chain, span) in enumerate(zip(prediction.chains, spans, strict=True)):
        values = plddt[span.start : span.end + 1]  # clipped if the arrays hold fewer tokens than the chains
        if len(values):
            fig.add_trace(_plddt_trace(chain, span, values, index))
    _chain_separators(fig, spans, vertical=True, horizontal=False)
    for span in spans:
        fig.add_annotation(x=(span.start + span.end) / 2, y=1.0, yref="paper", yanchor="bottom",
                           text=f"<b>{plot_text(span.letter)}</b>", showarrow=False)  # fmt: skip
    fig.update_layout(title="Predicted lDDT per token", hovermode="closest", legend={"orientation": "h", "y": -0.2})
    fig.update_xaxes(title="Token (residue or ligand atom)", range=[-0.5, max(len(plddt) - 0.5, 0.5)])
    fig.update_yaxes(title="pLDDT", range=[0, 100])
    return fig


# ---- PAE -----------------------------------------------------------------------------------------


def _block_size(n: int, max_size: int) -> int:
    return max(1, math.ceil(n / max(1, max_size)))


def downsample_matrix(matrix: np.ndarray, max_size: int) -> tuple[np.ndarray, np.ndarray]:
    """Block means so neither side exceeds `max_size`; returns the matrix and each block's centre token."""
    n = matrix.shape[0]
    edges = np.arange(0, n, _block_size(n, max_size))
    if len(edges) == n:
        return matrix, np.arange(n, dtype=float)
    counts = np.diff(np.append(edges, n))
    # reduceat sums uneven trailing blocks too; dividing by both block sizes gives the mean.
    sums = np.add.reduceat(np.add.reduceat(matrix.astype(np.float64), edges, axis=0), edges, axis=1)
    means = sums / np.outer(counts, counts)
    return means, edges + (counts - 1) / 2.0


def pae_matrix_figure(pae: np.ndarray, spans: Sequence[ChainSpan], max_size: int = 500) -> go.Figure:
    """A PAE heatmap (Å) with chain boundaries; matrices larger than `max_size` are block-averaged."""
    matrix, centres = downsample_matrix(np.asarray(pae), max_size)
    shown = np.round(matrix, 1).astype(np.float32)  # 0.1 Å is finer than the PAE bins and halves the JSON
    block = _block_size(len(pae), max_size)
    heatmap = go.Heatmap(
        z=shown, x=centres, y=centres, zmin=0.0, zmax=PAE_MAX_ANGSTROM, colorscale=PAE_COLOURSCALE,
        colorbar={"title": {"text": "Expected<br>error (Å)"}},
        hovertemplate="Scored token %{x:.0f}<br>Aligned token %{y:.0f}<br>PAE %{z:.1f} Å<extra></extra>",
    )  # fmt: skip
    fig = go.Figure(heatmap, layout=_LAYOUT)
    _chain_separators(fig, spans, vertical=True, horizontal=True)
    ticks = {"tickvals": [(s.start + s.end) / 2 for s in spans], "ticktext": [plot_text(s.letter) for s in spans]}
    limits = [-0.5, len(pae) - 0.5]
    fig.update_xaxes(title="Scored residue (chain)", range=limits, constrain="domain", **ticks, showgrid=False)
    # Aligned residue runs top to bottom, as in AlphaFold's plot, so the diagonal falls left to right.
    fig.update_yaxes(title="Aligned residue (chain)", range=limits[::-1], scaleanchor="x", constrain="domain",
                     **ticks, showgrid=False)  # fmt: skip
    note = f" (mean of {block}×{block} token blocks)" if block > 1 else ""
    fig.update_layout(title=f"Predicted aligned error{note}")
    return fig


def pae_figure(prediction: BoltzPrediction, model_rank: int = 0, max_size: int = 500) -> go.Figure | None:
    """The PAE heatmap of one model, or None when Boltz wrote no PAE for it."""
    pae = prediction.models[model_rank].pae
    if pae is None:
        return None
    return pae_matrix_figure(pae, token_boundaries(prediction.chains), max_size)


# ---- chain-pair ipTM -----------------------------------------------------------------------------


def iptm_figure(prediction: BoltzPrediction, model_rank: int = 0) -> go.Figure:
    """Chain-pair ipTM with chain letters; row = the file's outer key, column = its inner key (asymmetric).

    Boltz's pair_chains_iptm[X][Y] scores chain X's tokens with the complex aligned on chain Y's (compute_ptms), so
    each cell is the row chain placed relative to the column chain (carazolol: row L, column A is 0.989).
    """
    pairs = prediction.models[model_rank].pair_chains_iptm
    letters = [chain.id for chain in prediction.chains] or list(pairs)
    z = [[pairs.get(row, {}).get(col) for col in letters] for row in letters]
    letters = [plot_text(letter) for letter in letters]  # shown as axis labels, where plotly reads tags
    heatmap = go.Heatmap(
        z=z, x=letters, y=letters, zmin=0.0, zmax=1.0, colorscale="Blues", texttemplate="%{z:.2f}",
        colorbar={"title": {"text": "ipTM"}},
        hovertemplate="Chain %{y} placed relative to chain %{x}<br>ipTM %{z:.3f}<extra></extra>",
    )  # fmt: skip
    fig = go.Figure(heatmap, layout=_LAYOUT)
    fig.update_xaxes(title="…relative to chain (aligned on)", type="category")
    fig.update_yaxes(title="Chain placed (scored)…", type="category", autorange="reversed", scaleanchor="x")
    fig.update_layout(title="Chain-pair ipTM: each row chain placed relative to each column chain (not symmetric)")
    return fig


# ---- affinity ------------------------------------------------------------------------------------


def _heads(ensemble: float, head1: float | None, head2: float | None) -> list[tuple[str, float]]:
    values = [("Ensemble", ensemble), ("Head 1", head1), ("Head 2", head2)]
    return [(name, value) for name, value in values if value is not None]


def affinity_figure(affinity: AffinityResult) -> go.Figure:
    """pIC50 (6 − log10 IC50/µM) and binder probability: the ensemble and its two heads, side by side.

    The heads are points of their own, joined by a line that is their range; nothing is drawn around the ensemble.
    With --affinity_mw_correction Boltz corrects the ensemble value only (BOLTZ.md 3.4), so it can lie outside the
    heads' range, and a bar from the heads drawn around it would miss its own value or imply values never predicted.
    """
    heads = (affinity.affinity_pred_value1, affinity.affinity_pred_value2)
    pic50 = _heads(affinity.pic50, *(None if v is None else 6.0 - v for v in heads))
    probability = _heads(affinity.affinity_probability_binary, affinity.affinity_probability_binary1,
                         affinity.affinity_probability_binary2)  # fmt: skip
    fig = make_subplots(rows=1, cols=2, subplot_titles=("pIC50 (higher binds tighter)", "Binder probability"))
    fig.add_traces(_pic50_points(pic50), rows=1, cols=1)
    fig.add_trace(_probability_bars(probability), row=1, col=2)
    low, high = min(v for _, v in pic50), max(v for _, v in pic50)
    fig.update_yaxes(range=[math.floor(low) - 1, math.ceil(high) + 1], title="pIC50", row=1, col=1)
    fig.update_yaxes(range=[0, 1.1], row=1, col=2)
    title = f"Binding affinity: pIC50 {affinity.pic50:.2f}, binder probability {probability[0][1]:.3f}"
    fig.update_layout(**_LAYOUT, showlegend=False, title=title)
    fig.update_layout(margin={"t": 90})  # room for the figure title above the two panel titles
    if mw_corrected(affinity):
        fig.add_annotation(text=MW_NOTE, xref="paper", yref="paper", x=0.0, y=-0.09, xanchor="left", yanchor="top",
                           align="left", showarrow=False, font={"size": 12})  # fmt: skip
        fig.update_layout(margin={"b": 100})  # room for the two lines of the note below the axes
    return fig


MW_NOTE = (
    "The ensemble pIC50 includes Boltz's molecular-weight correction; the two heads do not,<br>"
    "so the ensemble can lie outside the heads' range."
)


def mw_corrected(affinity: AffinityResult) -> bool:
    """Whether the ensemble value is not the mean of its heads, as when Boltz's molecular-weight correction ran."""
    one, two = affinity.affinity_pred_value1, affinity.affinity_pred_value2
    # Without the correction Boltz writes the plain mean; 1e-3 log units is far above float32 rounding.
    return one is not None and two is not None and abs(affinity.affinity_pred_value - (one + two) / 2) > 1e-3


def _pic50_points(values: list[tuple[str, float]]) -> list[go.Scatter]:
    ensemble, heads = values[:1], values[1:]
    traces = [_points(ensemble, 16, "#4E79A7")]
    if heads:
        # The line between the heads is their range: how far the two heads disagree, drawn where they are.
        traces.append(_points(heads, 10, "#A0CBE8", mode="lines+markers+text", line={"color": "#A0CBE8", "width": 2}))
    return traces


def _points(
    values: list[tuple[str, float]], size: int, colour: str, mode: str = "markers+text", **extra: object
) -> go.Scatter:
    return go.Scatter(
        x=[label for label, _ in values], y=[value for _, value in values], mode=mode, name="pIC50",
        marker={"size": size, "color": colour}, text=[f"{value:.2f}" for _, value in values],
        textposition="top center", hovertemplate="%{x}<br>pIC50 %{y:.2f}<extra></extra>", **extra,
    )  # fmt: skip


def _probability_bars(values: list[tuple[str, float]]) -> go.Bar:
    colours = ["#4E79A7" if label == "Ensemble" else "#A0CBE8" for label, _ in values]
    return go.Bar(
        x=[label for label, _ in values], y=[value for _, value in values], name="Binder probability",
        marker_color=colours, texttemplate="%{y:.3f}", textposition="outside",
        hovertemplate="%{x}<br>binder probability %{y:.3f}<extra></extra>",
    )  # fmt: skip
