"""3D structure views: py3Dmol HTML with 3Dmol.js inlined for offline use, coloured by pLDDT or chain."""

from __future__ import annotations

import html as html_text
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

import gemmi
import py3Dmol

# Fetched by scripts/setup_3dmol.sh (npm package 3dmol, the version py3Dmol 2.5.5 loads); never committed.
LOCAL_3DMOL_JS = Path(__file__).resolve().parents[2] / ".cache" / "3dmol" / "3Dmol-min.js"
# py3Dmol writes this into its loader; it is never fetched because $3Dmolpromise is defined first.
_INLINE_MARKER = "inline:3Dmol-min.js"
PROMISE_SCRIPT = "<script>var $3Dmolpromise = Promise.resolve();</script>"

StructureFormat = Literal["cif", "pdb"]
ColourBy = Literal["plddt", "chain", "model"]  # "model": the whole structure in one colour (comparisons)
Highlight = Mapping[str, Sequence[tuple[str, int]]]


@dataclass(frozen=True)
class PlddtBand:
    """One AlphaFold confidence band on the 0–100 pLDDT scale; `above` is its exclusive lower bound."""

    label: str
    above: float
    colour: str


# The standard AlphaFold DB bands and colours, highest first so the first match wins.
PLDDT_BANDS: tuple[PlddtBand, ...] = (
    PlddtBand("Very high (> 90)", 90.0, "#0053D6"),
    PlddtBand("Confident (70–90)", 70.0, "#65CBF3"),
    PlddtBand("Low (50–70)", 50.0, "#FFDB13"),
    PlddtBand("Very low (< 50)", float("-inf"), "#FF7D45"),
)
# Tableau 10: distinct on screen and for the common colour-vision deficiencies.
CHAIN_COLOURS = ("#4E79A7", "#F28E2B", "#59A14F", "#E15759", "#B07AA1",
                 "#76B7B2", "#EDC948", "#FF9DA7", "#9C755F", "#BAB0AC")  # fmt: skip
# Chosen to stand apart from both the pLDDT bands and the chain colours.
HIGHLIGHT_COLOURS = ("#D81B60", "#00A651", "#7B1FA2", "#6D4C41", "#00838F")
OVERLAY_COLOUR = "#7F7F7F"
LEGEND_HEIGHT = 64  # pixels below the canvas: room for the legend's two rows


@dataclass(frozen=True)
class Overlay:
    """A further structure drawn over model 0, already superposed by the caller, in one colour with a legend entry."""

    text: str
    fmt: StructureFormat
    label: str = "Superposed structure"
    colour: str = OVERLAY_COLOUR
    opacity: float = 0.55


LIGAND_SCHEME = "magentaCarbon"
LIGAND_CARBON = "#FF00FF"


def plddt_band(value: float) -> PlddtBand:
    """The confidence band of one pLDDT value on the 0–100 scale (CIF B-factor, npz × 100)."""
    return next(band for band in PLDDT_BANDS if value > band.above)


def chain_colour(index: int) -> str:
    return CHAIN_COLOURS[index % len(CHAIN_COLOURS)]


def has_local_3dmol() -> bool:
    """Whether setup fetched 3Dmol.js, so the viewer works without network."""
    return LOCAL_3DMOL_JS.is_file() and LOCAL_3DMOL_JS.stat().st_size > 0


@lru_cache(maxsize=2)
def _read_script(path: str, mtime_ns: int) -> str:
    # Cached by path and mtime: half a megabyte re-read on every Streamlit rerun would be wasted work.
    text = Path(path).read_text(encoding="utf-8")
    return text.replace("</script", "<\\/script")


def _local_script() -> str | None:
    if not has_local_3dmol():
        return None
    return _read_script(str(LOCAL_3DMOL_JS), LOCAL_3DMOL_JS.stat().st_mtime_ns)


# ---- legends -------------------------------------------------------------------------------------


def _swatch(colour: str, label: str) -> str:
    box = f'<span style="display:inline-block;width:12px;height:12px;background:{colour};margin-right:4px;"></span>'
    return f'<span style="margin-right:14px;white-space:nowrap;">{box}{html_text.escape(label)}</span>'


def _legend_row(title: str, items: Iterable[tuple[str, str]]) -> str:
    swatches = "".join(_swatch(colour, label) for colour, label in items)
    heading = f'<strong style="margin-right:8px;">{html_text.escape(title)}</strong>'
    return f'<div class="omtx-legend">{heading}{swatches}</div>'


def plddt_legend_html() -> str:
    """The four AlphaFold pLDDT bands as an HTML row of colour swatches."""
    return _legend_row("pLDDT:", ((band.colour, band.label) for band in PLDDT_BANDS))


def _legend_html(
    colour_by: ColourBy,
    chains: Sequence[str],
    highlight: Highlight,
    overlays: Sequence[Overlay],
    has_ligand: bool = False,
    model: tuple[str, str] = ("", ""),
) -> str:
    if colour_by == "model":  # one colour per structure: the legend names each one
        rows = [_legend_row("Structures:", [model, *((o.colour, o.label) for o in overlays)])]
        overlays = ()
    elif colour_by == "plddt":
        rows = [plddt_legend_html()]
    else:
        rows = [_legend_row("Chains:", ((chain_colour(i), letter) for i, letter in enumerate(chains)))]
    extra = [(HIGHLIGHT_COLOURS[i % len(HIGHLIGHT_COLOURS)], label) for i, label in enumerate(highlight)]
    if colour_by == "plddt" and has_ligand:
        extra.insert(0, (LIGAND_CARBON, "Ligand (magenta carbons)"))
    extra += [(overlay.colour, overlay.label) for overlay in overlays]
    if extra:
        rows.append(_legend_row("Also shown:", extra))
    style = "font:13px system-ui,-apple-system,'Segoe UI',sans-serif;padding:6px 4px;line-height:1.8;"
    return f'<div style="{style}">{"".join(rows)}</div>'


# ---- reading the structure -----------------------------------------------------------------------


@dataclass(frozen=True)
class _Residue:
    chain: str
    number: int
    ligand: bool
    atoms: tuple[tuple[str, float], ...]  # (atom name, B-factor = pLDDT 0–100 in Boltz output)

    @property
    def mean_b(self) -> float:
        return sum(b for _, b in self.atoms) / len(self.atoms)


def _read_structure(text: str, fmt: StructureFormat) -> gemmi.Structure:
    if fmt == "pdb":
        return gemmi.read_pdb_string(text)
    return gemmi.make_structure_from_block(gemmi.cif.read_string(text).sole_block())


def _residues(text: str, fmt: StructureFormat, ligand_chains: Iterable[str]) -> list[_Residue]:
    """Residues of the first model, with auth chain and number: the ids 3Dmol.js selects on."""
    ligands = set(ligand_chains)
    structure = _read_structure(text, fmt)
    if len(structure) == 0:
        return []
    return [_residue(chain.name, residue, ligands) for chain in structure[0] for residue in chain if len(residue)]


def _residue(chain: str, residue: gemmi.Residue, ligand_chains: set[str]) -> _Residue:
    atoms = tuple((atom.name, atom.b_iso) for atom in residue)
    return _Residue(chain, residue.seqid.num, chain in ligand_chains or residue.het_flag == "H", atoms)


def _ranges(numbers: Iterable[int]) -> list[int | str]:
    """Residue numbers as 3Dmol.js `resi` items, consecutive runs folded into "a-b" to keep the HTML small."""
    runs: list[list[int]] = []
    for number in sorted(set(numbers)):
        if runs and number == runs[-1][1] + 1:
            runs[-1][1] = number
        else:
            runs.append([number, number])
    return [start if start == end else f"{start}-{end}" for start, end in runs]


def _chain_order(residues: Sequence[_Residue]) -> list[str]:
    return list(dict.fromkeys(residue.chain for residue in residues))


# ---- styling -------------------------------------------------------------------------------------


def _style_polymers_by_plddt(view: py3Dmol.view, residues: Sequence[_Residue]) -> None:
    groups: dict[tuple[str, str], list[int]] = defaultdict(list)
    for residue in residues:
        if not residue.ligand:
            groups[(residue.chain, plddt_band(residue.mean_b).colour)].append(residue.number)
    for (chain, colour), numbers in groups.items():
        view.setStyle({"model": 0, "chain": chain, "resi": _ranges(numbers)}, {"cartoon": {"color": colour}})


def _style_polymers_by_chain(view: py3Dmol.view, chains: Sequence[str]) -> None:
    for index, chain in enumerate(chains):
        view.setStyle({"model": 0, "chain": chain}, {"cartoon": {"color": chain_colour(index)}})


def _style_ligands(
    view: py3Dmol.view, residues: Sequence[_Residue], colour_by: ColourBy, chains: list[str], model_colour: str
) -> None:
    """Ligands as ball-and-stick, coloured by element with magenta carbons in pLDDT mode so a ligand never
    disappears into a cartoon of its own band colour (its per-atom pLDDT is in the Confidence tab)."""
    for residue in (r for r in residues if r.ligand):
        where = {"model": 0, "chain": residue.chain, "resi": residue.number}
        if colour_by != "plddt":
            colour = model_colour if colour_by == "model" else chain_colour(chains.index(residue.chain))
            view.setStyle(where, {"stick": {"color": colour}})
            continue
        view.setStyle(where, {"stick": {"colorscheme": LIGAND_SCHEME, "radius": 0.25},
                              "sphere": {"colorscheme": LIGAND_SCHEME, "scale": 0.3}})  # fmt: skip


def _add_highlights(view: py3Dmol.view, highlight: Highlight) -> None:
    for index, (label, sites) in enumerate(highlight.items()):
        colour = HIGHLIGHT_COLOURS[index % len(HIGHLIGHT_COLOURS)]
        by_chain: dict[str, list[int]] = defaultdict(list)
        for chain, number in sites:
            by_chain[chain].append(number)
        for chain, numbers in by_chain.items():
            where = {"model": 0, "chain": chain, "resi": _ranges(numbers)}
            view.addStyle(where, {"stick": {"color": colour, "radius": 0.22}})
            view.addSurface("VDW", {"opacity": 0.35, "color": colour}, where)
        if by_chain:
            first_chain, numbers = next(iter(by_chain.items()))
            view.addLabel(label, {"backgroundColor": colour, "fontColor": "white", "fontSize": 12,
                                  "backgroundOpacity": 0.85, "inFront": True},
                          {"model": 0, "chain": first_chain, "resi": _ranges(numbers)})  # fmt: skip


def _add_overlay(view: py3Dmol.view, overlay: Overlay, index: int) -> None:
    # The caller superposes (e.g. a variant onto wild type); here it is only drawn, faint, over model 0.
    view.addModel(overlay.text, overlay.fmt)
    style = {"color": overlay.colour, "opacity": overlay.opacity}
    view.setStyle({"model": index}, {"cartoon": style})
    view.setStyle({"model": index, "hetflag": True}, {"stick": style})


def _script_safe(fragment: str) -> str:
    """Escape `</` and `<!--` inside py3Dmol's <script>, where only JSON strings (structure text) can hold them."""
    head, _, rest = fragment.partition("<script>")
    body, _, tail = rest.rpartition("</script>")
    body = body.replace("</", "<\\/").replace("<!--", "<\\!--")
    return f"{head}<script>{body}</script>{tail}"


def _build_view(structure_text: str, fmt: StructureFormat, height: int, js: str | None) -> py3Dmol.view:
    options = {"width": "100%", "height": height, "data": structure_text, "format": fmt}
    return py3Dmol.view(**options, js=js) if js else py3Dmol.view(**options)


def structure_view_html(
    structure_text: str,
    fmt: StructureFormat,
    *,
    color_by: ColourBy = "plddt",
    ligand_chains: Iterable[str] = (),
    highlight: Highlight | None = None,
    overlay: str | None = None,
    overlays: Sequence[Overlay] = (),
    model_label: str = "",
    model_colour: str = CHAIN_COLOURS[0],
    height: int = 520,
) -> str:
    """A whole HTML document showing one structure: cartoon by pLDDT band or chain, ligands as sticks.

    `highlight` maps a label (a pocket, "K2A") to (chain letter, residue number) pairs, drawn as sticks
    plus a translucent surface; `overlay` is a second, already superposed structure in the same format,
    drawn grey as "Superposed structure"; `overlays` are further ones, each in its own colour and legend entry.
    With color_by="model", the structure is drawn in `model_colour` and named `model_label` in the legend.
    With `.cache/3dmol/3Dmol-min.js` present, the script is inlined and `$3Dmolpromise` defined ahead of
    py3Dmol's loader, so nothing is fetched. Without it (setup skipped), the document is py3Dmol's own
    HTML, which loads 3Dmol.js from py3Dmol's CDN URL: it works online and stays blank offline.
    """
    highlight = dict(highlight or {})
    residues = _residues(structure_text, fmt, ligand_chains)
    chains = _chain_order(residues)
    script = _local_script()
    view = _build_view(structure_text, fmt, height, _INLINE_MARKER if script else None)
    view.setStyle({"model": 0}, {"cartoon": {"color": "#C8C8C8"}})  # anything not styled below still shows
    if color_by == "plddt":
        _style_polymers_by_plddt(view, residues)
    elif color_by == "chain":
        _style_polymers_by_chain(view, chains)
    else:
        view.setStyle({"model": 0}, {"cartoon": {"color": model_colour}})
    _style_ligands(view, residues, color_by, chains, model_colour)
    _add_highlights(view, highlight)
    drawn = ([Overlay(overlay, fmt)] if overlay else []) + list(overlays)
    for index, extra in enumerate(drawn, start=1):
        _add_overlay(view, extra, index)
    view.zoomTo({"model": 0})
    head = f"<script>{script}</script>\n{PROMISE_SCRIPT}\n" if script else ""
    has_ligand = any(r.ligand for r in residues)
    legend = _legend_html(color_by, chains, highlight, drawn, has_ligand, (model_colour, model_label))
    body = _script_safe(view.write_html()) + legend
    return (
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8">'
        "<style>html,body{margin:0;padding:0;background:#fff;}</style>\n"
        f"{head}</head>\n<body>\n{body}\n</body></html>\n"
    )


def show_structure(html: str, height: int = 520) -> None:
    """Render a `structure_view_html` document; `height` is the viewer's, the legend's rows are added."""
    import streamlit as st  # only here, so the pure functions above load and test without Streamlit

    st.iframe(html, height=height + LEGEND_HEIGHT)
