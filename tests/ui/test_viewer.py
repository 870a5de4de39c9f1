"""The 3D viewer's HTML: offline 3Dmol.js, pLDDT/chain colours, highlights, overlays and the CDN fallback."""

from __future__ import annotations

import re

import pytest

from omtx_core.ui import viewer
from omtx_core.ui.viewer import PLDDT_BANDS, has_local_3dmol, plddt_band, plddt_legend_html, structure_view_html

CDN = "cdn.jsdelivr.net"
AF_COLOURS = ("#0053D6", "#65CBF3", "#FFDB13", "#FF7D45")

needs_local = pytest.mark.skipif(not has_local_3dmol(), reason="run scripts/setup_3dmol.sh to fetch 3Dmol.js")


def cif(prediction, rank=0):
    return prediction.models[rank].structure_path.read_text()


def js_calls(html: str) -> str:
    """The JavaScript py3Dmol wrote (its last <script>), without the inlined 3Dmol.js."""
    return html[html.index("<body>") :]


@needs_local
def test_local_script_is_inlined_before_the_promise_and_py3dmol(carazolol):
    html = structure_view_html(cif(carazolol), "cif", ligand_chains=["L"])
    library = viewer.LOCAL_3DMOL_JS.read_text(encoding="utf-8")
    assert library[:2000] in html
    inline_at = html.index(library[:200])
    promise_at = html.index("var $3Dmolpromise = Promise.resolve();")
    py3dmol_at = html.index("typeof $3Dmolpromise === 'undefined'")
    assert inline_at < promise_at < py3dmol_at
    assert CDN not in html
    assert not re.search(r"<script[^>]+src=", html)
    assert html.startswith("<!DOCTYPE html>") and html.rstrip().endswith("</html>")


def test_missing_local_copy_falls_back_to_py3dmol_url(carazolol, monkeypatch, tmp_path):
    monkeypatch.setattr(viewer, "LOCAL_3DMOL_JS", tmp_path / "absent" / "3Dmol-min.js")
    assert not has_local_3dmol()
    html = structure_view_html(cif(carazolol), "cif")
    assert f"https://{CDN}/npm/3dmol@2.5.5/build/3Dmol-min.js" in html
    assert "Promise.resolve()" not in html
    assert "addModel(" in html and "#0053D6" in html  # still a full view, only the script source differs


def test_plddt_colours_and_legend(carazolol):
    html = structure_view_html(cif(carazolol), "cif", ligand_chains=["L"])
    calls = js_calls(html)
    for colour in AF_COLOURS:
        assert f'"cartoon": {{"color": "{colour}"}}' in calls
    assert plddt_legend_html() in html
    for label in ("Very high (&gt; 90)", "Confident (70–90)", "Low (50–70)", "Very low (&lt; 50)"):
        assert label in html
    # The ligand stands out from the cartoon: ball-and-stick with magenta carbons, named in the legend.
    assert '"chain": "L", "resi": 1},{"stick": {"colorscheme": "magentaCarbon"' in calls
    assert "Ligand (magenta carbons)" in html


def test_plddt_bands_follow_alphafold():
    assert [band.colour for band in PLDDT_BANDS] == list(AF_COLOURS)
    assert [plddt_band(v).colour for v in (95, 90.01, 90, 70.5, 70, 50.5, 50, 10)] == [
        "#0053D6", "#0053D6", "#65CBF3", "#65CBF3", "#FFDB13", "#FFDB13", "#FF7D45", "#FF7D45"]  # fmt: skip


def test_residues_land_in_their_bands(carazolol):
    # Residue 1 of the receptor is disordered (B-factor < 50); residue 40 lies in a confident helix (> 90).
    calls = js_calls(structure_view_html(cif(carazolol), "cif"))
    low = re.search(r'"resi": \[([^\]]*)\]\},\{"cartoon": \{"color": "#FF7D45"', calls).group(1)
    high = re.search(r'"resi": \[([^\]]*)\]\},\{"cartoon": \{"color": "#0053D6"', calls).group(1)
    assert low.startswith('"1-') and '"37-59"' in high


def test_colour_by_chain_gives_each_chain_its_colour(complex4):
    html = structure_view_html(cif(complex4), "cif", color_by="chain")
    calls = js_calls(html)
    for index, letter in enumerate("ABCD"):
        colour = viewer.chain_colour(index)
        assert f'{{"model": 0, "chain": "{letter}"}},{{"cartoon": {{"color": "{colour}"}}}}' in calls
    assert "Chains:" in html and plddt_legend_html() not in html


def test_highlight_and_overlay_appear_in_the_script(complex4):
    pocket = {"Pocket 1": [("B", 5), ("B", 6), ("B", 7), ("B", 63)], "K2A": [("D", 2)]}
    html = structure_view_html(cif(complex4), "cif", highlight=pocket, overlay=cif(complex4, 1))
    calls = js_calls(html)
    surface = 'addSurface("VDW",{"opacity": 0.35, "color": "#D81B60"},{"model": 0, "chain": "B", "resi": ["5-7", 63]})'
    assert surface in calls
    assert 'addStyle({"model": 0, "chain": "D", "resi": [2]},{"stick": {"color": "#00A651"' in calls
    assert 'addLabel("Pocket 1"' in calls and 'addLabel("K2A"' in calls
    assert calls.count(".addModel(") == 2
    assert 'setStyle({"model": 1},{"cartoon": {"color": "#7F7F7F", "opacity": 0.55}})' in calls
    assert "Superposed structure" in html and "Pocket 1</span>" in html


@pytest.mark.parametrize("name", ["carazolol", "complex4"])
def test_both_fixtures_render(name, request):
    prediction = request.getfixturevalue(name)
    ligands = [chain.id for chain in prediction.chains if chain.type == "ligand"]
    html = structure_view_html(cif(prediction), "cif", ligand_chains=ligands, height=400)
    assert "height: 400px" in html
    assert html.count("viewer_") > 5 and "render();" in html
    for chain in prediction.chains:
        assert f'"chain": "{chain.id}"' in js_calls(html)


def test_pdb_input_is_read():
    pdb = (
        "ATOM      1  N   ALA A   1      11.104   6.134  -6.504  1.00 95.00           N\n"
        "ATOM      2  CA  ALA A   1      11.639   6.071  -5.147  1.00 95.00           C\n"
        "ATOM      3  CA  GLY A   2      12.639   7.071  -4.147  1.00 40.00           C\n"
        "HETATM    4  C1  LIG L   1      13.000   8.000  -3.000  1.00 80.00           C\nEND\n"
    )
    calls = js_calls(structure_view_html(pdb, "pdb"))
    assert '"chain": "A", "resi": [1]},{"cartoon": {"color": "#0053D6"}' in calls
    assert '"chain": "A", "resi": [2]},{"cartoon": {"color": "#FF7D45"}' in calls
    assert '"chain": "L", "resi": 1},{"stick": {"colorscheme": "magentaCarbon"' in calls


def test_structure_text_cannot_close_the_script():
    pdb = (
        "REMARK  </script><script>alert(1)</script>\n"
        "ATOM      1  CA  ALA A   1       1.0   1.0   1.0  1.00 95.00           C\n"
    )
    html = structure_view_html(pdb, "pdb")
    body = js_calls(html)
    assert body.count("</script>") == 1  # only py3Dmol's own closing tag
    assert "<\\/script><script>alert(1)<\\/script>" in body


def test_show_structure_uses_st_iframe(monkeypatch):
    import streamlit as st

    calls = []
    monkeypatch.setattr(st, "iframe", lambda src, **kwargs: calls.append((src, kwargs)))
    viewer.show_structure("<html></html>", height=300)
    assert calls == [("<html></html>", {"height": 300 + viewer.LEGEND_HEIGHT})]
