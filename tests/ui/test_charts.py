"""Confidence and affinity figures built from the real Boltz fixtures."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import plotly.graph_objects as go
import pytest

from omtx_core.boltz.results import AffinityResult, ChainInfo
from omtx_core.ui import charts
from omtx_core.ui.charts import (
    affinity_figure,
    downsample_matrix,
    iptm_figure,
    pae_figure,
    pae_matrix_figure,
    plddt_figure,
    token_boundaries,
)

BOUNDARIES = {
    "carazolol": [("A", 0, 412), ("L", 413, 434)],
    "complex4": [("A", 0, 143), ("B", 144, 419), ("C", 420, 519), ("D", 520, 528)],
}


@pytest.fixture(params=["carazolol", "complex4"])
def case(request):
    return request.param, request.getfixturevalue(request.param)


def separators(fig: go.Figure, axis: str) -> list[float]:
    """Positions of the dotted chain-boundary lines drawn across the given axis ('x' vertical, 'y' horizontal)."""
    key = "x0" if axis == "x" else "y0"
    return sorted(getattr(s, key) for s in fig.layout.shapes if s.line.dash == "dot" and s[key] == s[key[0] + "1"])


def test_token_boundaries(case):
    name, prediction = case
    assert token_boundaries(prediction.chains) == BOUNDARIES[name]
    assert token_boundaries(prediction.chains)[-1].end == prediction.best.n_tokens - 1


def test_plddt_figure_scale_traces_and_chain_lines(case):
    name, prediction = case
    fig = plddt_figure(prediction)
    spans = BOUNDARIES[name]
    assert [trace.name.split()[1] for trace in fig.data] == [letter for letter, _, _ in spans]
    for trace, (_, start, end) in zip(fig.data, spans, strict=True):
        assert (trace.x[0], trace.x[-1]) == (start, end)
        assert trace.customdata[0] == 1 and trace.customdata[-1] == end - start + 1  # residue numbers in hover
    y = np.concatenate([trace.y for trace in fig.data])
    np.testing.assert_allclose(y, prediction.best.plddt * 100, rtol=1e-6)  # 0–1 in the npz, 0–100 shown
    assert separators(fig, "x") == [start - 0.5 for _, start, _ in spans[1:]]
    assert {a.text for a in fig.layout.annotations} == {f"<b>{letter}</b>" for letter, _, _ in spans}
    bands = [(s.y0, s.y1, s.fillcolor) for s in fig.layout.shapes if s.fillcolor]
    assert sorted(bands) == [(0, 50, "#FF7D45"), (50, 70, "#FFDB13"), (70, 90, "#65CBF3"), (90, 100, "#0053D6")]


def test_plddt_ligand_is_per_atom_points(carazolol):
    ligand = plddt_figure(carazolol).data[1]
    assert ligand.mode == "markers" and len(ligand.x) == 22 and "atom" in ligand.hovertemplate


def test_pae_figure_has_chain_letters_and_boundaries(case):
    name, prediction = case
    fig = pae_figure(prediction)
    spans = BOUNDARIES[name]
    heatmap = fig.data[0]
    n = prediction.best.n_tokens
    side = {"carazolol": n, "complex4": 265}[name]  # 435 fits in 500; 529 becomes blocks of 2
    assert np.asarray(heatmap.z).shape == (side, side)
    assert list(fig.layout.xaxis.ticktext) == list(fig.layout.yaxis.ticktext) == [s[0] for s in spans]
    assert separators(fig, "x") == separators(fig, "y") == [start - 0.5 for _, start, _ in spans[1:]]
    assert (heatmap.zmin, heatmap.zmax) == (0.0, charts.PAE_MAX_ANGSTROM)


def test_pae_figure_downsamples_to_max_size(complex4):
    fig = pae_figure(complex4, max_size=100)
    z = np.asarray(fig.data[0].z)
    assert max(z.shape) <= 100 and z.shape[0] == z.shape[1]
    # Boundaries stay in token units: block centres cover the whole token range.
    assert fig.data[0].x[0] < 6 and fig.data[0].x[-1] > 520
    assert separators(fig, "x") == [143.5, 419.5, 519.5]


def test_block_mean_is_exact():
    matrix = np.arange(49, dtype=float).reshape(7, 7)
    means, centres = downsample_matrix(matrix, 3)  # blocks of 3, 3 and 1
    assert means.shape == (3, 3)
    assert means[0, 0] == pytest.approx(matrix[:3, :3].mean())
    assert means[2, 1] == pytest.approx(matrix[6:, 3:6].mean())
    assert list(centres) == [1.0, 4.0, 6.0]


def test_large_pae_is_fast():
    n = 2_500
    pae = np.random.default_rng(1).random((n, n), dtype=np.float32) * 30
    chains = [ChainInfo("A", "protein", 2_000), ChainInfo("B", "protein", 500)]
    start = time.perf_counter()
    fig = pae_matrix_figure(pae, token_boundaries(chains), max_size=500)
    fig.to_json()
    assert time.perf_counter() - start < 2.0  # ~0.2 s here; generous for slow CI machines
    assert np.asarray(fig.data[0].z).shape == (500, 500)


def test_pae_absent_gives_none(carazolol, monkeypatch):
    model = carazolol.best
    monkeypatch.setitem(model.__dict__, "pae", None)  # cached_property: as if Boltz wrote no PAE
    assert pae_figure(carazolol) is None


def test_iptm_figure_keeps_the_asymmetry(carazolol, complex4):
    fig = iptm_figure(carazolol)
    heatmap = fig.data[0]
    assert list(heatmap.x) == list(heatmap.y) == ["A", "L"]
    row, col = heatmap.y.index("L"), heatmap.x.index("A")
    assert heatmap.z[row][col] == pytest.approx(0.989, abs=1e-3)
    assert heatmap.z[col][row] == pytest.approx(0.595, abs=1e-3)
    fig4 = iptm_figure(complex4).data[0]
    assert list(fig4.x) == list(fig4.y) == ["A", "B", "C", "D"]
    pairs = complex4.best.pair_chains_iptm
    for i, r in enumerate("ABCD"):
        for j, c in enumerate("ABCD"):
            assert fig4.z[i][j] == pairs[r][c]
    assert (fig4.zmin, fig4.zmax) == (0.0, 1.0) and fig4.texttemplate


def test_iptm_figure_says_which_chain_is_placed_relative_to_which(carazolol):
    # pair_chains_iptm[X][Y] scores chain X in chain Y's frames: row L, column A (0.989) is the ligand relative to A.
    fig = iptm_figure(carazolol)
    assert "Chain %{y} placed relative to chain %{x}" in fig.data[0].hovertemplate
    assert "placed" in fig.layout.yaxis.title.text and "relative to" in fig.layout.xaxis.title.text


def test_affinity_figure_shows_pic50_and_probability(carazolol):
    fig = affinity_figure(carazolol.affinity)
    pic50 = [y for trace in fig.data if trace.name == "pIC50" for y in trace.y]
    assert pic50[0] == pytest.approx(10.07, abs=0.01)  # 6 − (−4.069)
    assert sorted(pic50[1:]) == pytest.approx([10.03, 10.11], abs=0.01)
    heads = next(trace for trace in fig.data if list(trace.x) == ["Head 1", "Head 2"])
    assert list(heads.y) == pytest.approx([10.106, 10.031], abs=1e-3)  # the heads' own range, drawn between them
    assert not _error_bars(fig)  # nothing drawn around the ensemble implies a range the heads do not give
    assert not _notes(fig)  # without the molecular-weight correction the ensemble is the heads' mean: nothing to say
    probability = next(trace for trace in fig.data if trace.name == "Binder probability")
    assert list(probability.x) == ["Ensemble", "Head 1", "Head 2"]
    assert probability.y[0] == pytest.approx(0.9988, abs=1e-4)
    assert "pIC50 10.07" in fig.layout.title.text


def _error_bars(fig: go.Figure) -> list[tuple[str, float, float, float]]:
    """(trace, value, low end, high end) of every error bar drawn."""
    bars = []
    for trace in fig.data:
        error = getattr(trace, "error_y", None)
        if error is None or error.visible is False or error.array is None:
            continue
        minus = error.array if error.symmetric is not False else error.arrayminus
        for value, up, down in zip(trace.y, error.array, minus, strict=True):
            bars.append((trace.name, value, value - down, value + up))
    return bars


def _notes(fig: go.Figure) -> str:
    return " ".join(a.text for a in fig.layout.annotations if a.text not in {p.text for p in _panel_titles(fig)})


def _panel_titles(fig: go.Figure):
    return fig.layout.annotations[:2]  # make_subplots puts the two panel titles first


def _mw_corrected(value: float, probability: float) -> AffinityResult:
    """Crafted like a run with --affinity_mw_correction: only the ensemble value moves (BOLTZ.md 3.4)."""
    return AffinityResult(
        path=Path("affinity.json"), affinity_pred_value=value, affinity_probability_binary=probability,
        affinity_pred_value1=0.2, affinity_pred_value2=-0.3, affinity_probability_binary1=0.999,
        affinity_probability_binary2=0.001, raw={},
    )  # fmt: skip


@pytest.mark.parametrize("value", [-1.5, 0.9, -0.05])  # above both heads' pIC50, below both, between them
def test_affinity_error_bars_never_cross_into_impossible_values_with_the_mw_correction(value):
    fig = affinity_figure(_mw_corrected(value, 0.5))
    pic50 = {x: y for trace in fig.data if trace.name == "pIC50" for x, y in zip(trace.x, trace.y, strict=True)}
    assert pic50 == pytest.approx({"Ensemble": 6 - value, "Head 1": 5.8, "Head 2": 6.3})
    for name, shown, low, high in _error_bars(fig):
        assert low <= shown <= high, f"{name}: a bar from {low} to {high} does not hold its value {shown}"
        if name == "Binder probability":
            assert low >= 0.0 and high <= 1.0
    probability = next(trace for trace in fig.data if trace.name == "Binder probability")
    assert all(0.0 <= y <= 1.0 for y in probability.y)
    axis = fig.layout.yaxis.range
    assert axis[0] <= min(pic50.values()) and max(pic50.values()) <= axis[1]
    if value != -0.05:  # -0.05 is the heads' mean: as if no correction was applied
        assert "molecular-weight correction" in _notes(fig)


def test_chain_ids_from_an_imported_structure_are_text_in_the_figures():
    hostile = '<a href="https://evil.example">A</a>'
    chains = [ChainInfo(hostile, "protein", 3), ChainInfo("B", "protein", 2)]
    fig = pae_matrix_figure(np.zeros((5, 5)), token_boundaries(chains))
    assert list(fig.layout.xaxis.ticktext) == ["&lt;a href=&quot;https://evil.example&quot;&gt;A&lt;/a&gt;", "B"]
