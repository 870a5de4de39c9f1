"""The 2D protein–ligand interaction diagram as SVG: the ligand drawn by RDKit, residues around it, lines by kind."""

from __future__ import annotations

import html
import re
import textwrap
from dataclasses import dataclass
from typing import Any

import numpy as np

from omtx_core.analysis.interaction_diagram import (
    LINE_KINDS,
    Link,
    ResidueSpot,
    anchor_point,
    place_residues,
    posed_ligand,
    residue_spots,
)
from omtx_core.analysis.models import Contact
from omtx_core.analysis.structure import StructureSource, load_structure

WIDTH, HEIGHT = 700, 560  # the least canvas; a crowded diagram grows it rather than cutting anything off
BOND_PX = 40.0
MARGIN = 16.0
FONT = "Helvetica, Arial, sans-serif"

# Line style per kind: colour, width, dash pattern (None: solid), words in the legend.
STYLES: dict[str, tuple[str, float, str | None, str]] = {
    "hydrogen_bond": ("#1a9850", 2.0, "5 3", "H-bond"),
    "possible_hydrogen_bond": ("#8fb996", 1.8, "3 3", "possible H-bond"),
    "salt_bridge": ("#c2185b", 2.0, "7 3", "salt bridge"),
    "pi_stacking": ("#7b3fb5", 2.0, "6 3", "π-stacking"),
    "hydrophobic": ("#a3a042", 2.2, "0.5 4", "hydrophobic"),
    "clash": ("#d7191c", 3.2, None, "clash"),
}
CONTACT_ONLY = "within 4 Å, no specific interaction"
# Box colours by residue class (fill, outline), as PoseView and Maestro colour them.
_CLASSES = {
    "acidic": ({"ASP", "GLU"}, "#fde2e1", "#c0392b"),
    "basic": ({"LYS", "ARG", "HIS"}, "#dde8fb", "#2c5aa0"),
    "polar": ({"SER", "THR", "ASN", "GLN", "CYS", "TYR"}, "#dcf3f1", "#16877f"),
    "hydrophobic": ({"ALA", "VAL", "LEU", "ILE", "MET", "PHE", "TRP", "PRO"}, "#e8f3dc", "#5b8c2a"),
}
_OTHER = ("#efefef", "#777777")


@dataclass(frozen=True)
class InteractionDiagram:
    """The diagram as SVG text and what it could not show as it should (shown under it as well)."""

    svg: str
    notes: list[str]


def residue_text(contact: Contact) -> str:
    """The box label: `Asp113 A` (residue name, number, chain) for `A:113:ASP`."""
    name = contact.name.capitalize() if len(contact.name) == 3 and contact.name.isalpha() else contact.name
    return f"{name}{contact.number} {contact.chain}"


def interaction_diagram(
    contacts: list[Contact], structure: StructureSource, ligand_chain: str, smiles: str | None = None
) -> InteractionDiagram:
    """The diagram of `contacts` around the ligand of `ligand_chain`; raises PoseError when it has no atoms."""
    structure = load_structure(structure)
    ligand = posed_ligand(structure, ligand_chain, smiles)
    spots = residue_spots(contacts, structure, ligand)
    body, atom_xy, size = _ligand_drawing(ligand.mol)
    for spot in spots:
        spot.size = (8.2 * len(residue_text(spot.contact)) + 18.0, 26.0)
    neighbours = [[n.GetIdx() for n in atom.GetNeighbors()] for atom in ligand.mol.GetAtoms()]
    place_residues(spots, atom_xy, neighbours)
    notes = [ligand.note] if ligand.note else []
    return InteractionDiagram(_compose(body, atom_xy, size, spots, ligand.mol, notes), notes)


def _ligand_drawing(mol: Any) -> tuple[str, np.ndarray, tuple[float, float]]:
    """RDKit's SVG of the ligand in 2D (no background), its atoms' positions in it (px), and its size."""
    from rdkit import Chem
    from rdkit.Chem import rdDepictor
    from rdkit.Chem.Draw import rdMolDraw2D

    flat = Chem.Mol(mol)
    if flat.NeedsUpdatePropertyCache():
        flat.UpdatePropertyCache(strict=False)
    Chem.FastFindRings(flat)
    rdDepictor.SetPreferCoordGen(True)
    rdDepictor.Compute2DCoords(flat)
    xy = flat.GetConformer().GetPositions()[:, :2]
    span = xy.max(axis=0) - xy.min(axis=0) if len(xy) else np.zeros(2)
    bond = _mean_bond(flat, xy)
    width, height = (span / bond * BOND_PX + 2 * 36.0).tolist()
    drawer = rdMolDraw2D.MolDraw2DSVG(int(width), int(height))
    options = drawer.drawOptions()
    options.clearBackground = False
    options.fixedBondLength = BOND_PX
    options.bondLineWidth = 2
    options.minFontSize = 15
    options.maxFontSize = 18
    options.addStereoAnnotation = False
    drawer.DrawMolecule(flat)
    drawer.FinishDrawing()
    points = np.array([[p.x, p.y] for p in (drawer.GetDrawCoords(i) for i in range(flat.GetNumAtoms()))])
    body = re.sub(r"<\?xml[^>]*\?>\s*", "", drawer.GetDrawingText())
    return body, points.reshape(-1, 2), (float(int(width)), float(int(height)))


def _mean_bond(mol: Any, xy: np.ndarray) -> float:
    lengths = [float(np.linalg.norm(xy[b.GetBeginAtomIdx()] - xy[b.GetEndAtomIdx()])) for b in mol.GetBonds()]
    return float(np.mean(lengths)) if lengths else 1.5


def _compose(
    body: str, atom_xy: np.ndarray, size: tuple[float, float], spots: list[ResidueSpot], mol: Any, notes: list[str]
) -> str:
    """The whole picture: lines under the ligand and the boxes, then the legend and notes below."""
    notes = [line for note in notes for line in textwrap.wrap(note, 100)]
    low = np.minimum([0.0, 0.0], np.min([s.centre - np.array(s.size) / 2 for s in spots], axis=0) if spots else 0)
    high = np.maximum(size, np.max([s.centre + np.array(s.size) / 2 for s in spots], axis=0) if spots else 0)
    kinds = [kind for kind in LINE_KINDS if any(link.kind == kind for s in spots for link in s.links)]
    legend_rows = (len(kinds) + any(not s.links for s in spots) + 2) // 3 + len(notes)
    width = max(WIDTH, float(high[0] - low[0]) + 2 * MARGIN)
    block = float(high[1] - low[1]) + 24.0 * legend_rows + 12.0  # the drawing, then the legend right under it
    height = max(HEIGHT, block + 2 * MARGIN)
    # Centre the drawing and its legend together on the canvas.
    shift = np.array([(width - float(high[0] - low[0])) / 2, (height - block) / 2]) - low
    heteroatoms = {a.GetIdx() for a in mol.GetAtoms() if a.GetAtomicNum() != 6}
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" font-family="{FONT}" class="interaction-diagram">',
        "<title>Protein–ligand interaction diagram</title>",
        f'<rect width="{width:.0f}" height="{height:.0f}" fill="#ffffff"/>',
    ]
    for spot in spots:
        parts += _lines(spot, atom_xy + shift, spot.centre + shift, heteroatoms)
    parts.append(re.sub(r"<svg\b", f'<svg x="{shift[0]:.1f}" y="{shift[1]:.1f}"', body, count=1))
    parts += [_box(spot, spot.centre + shift) for spot in spots]
    legend_top = (height - block) / 2 + float(high[1] - low[1]) + 20.0
    parts += _legend(kinds, any(not s.links for s in spots), notes, width, legend_top)
    parts.append("</svg>")
    return "\n".join(parts)


def _lines(spot: ResidueSpot, atom_xy: np.ndarray, centre: np.ndarray, heteroatoms: set[int]) -> list[str]:
    """One line per link; links to the same atom are drawn side by side, so an H-bond and salt bridge both show."""
    out = []
    by_target: dict[tuple[int, ...], list[Link]] = {}
    for link in spot.links:
        by_target.setdefault(link.atoms, []).append(link)
    for atoms, links in by_target.items():
        end = anchor_point(links[0], atom_xy)
        direction = centre - end
        length = float(np.linalg.norm(direction)) or 1.0
        unit = direction / length
        normal = np.array([-unit[1], unit[0]])
        # Stop short of a labelled atom (N, O ...) so the line does not run into its letter.
        start = end + unit * (9.0 if len(atoms) == 1 and atoms[0] in heteroatoms else 3.0)
        for k, link in enumerate(links):
            offset = normal * 3.5 * (k - (len(links) - 1) / 2)
            out.append(_line(link, start + offset, centre + offset))
        if links[0].kind == "pi_stacking":
            colour = STYLES["pi_stacking"][0]
            out.append(f'<circle cx="{end[0]:.1f}" cy="{end[1]:.1f}" r="3.5" fill="{colour}"/>')
    return out


def _line(link: Link, a: np.ndarray, b: np.ndarray) -> str:
    colour, width, dash, words = STYLES[link.kind]
    dashed = f' stroke-dasharray="{dash}"' if dash else ""
    tip = f"{words}, {link.distance_A:.2f} Å" if link.distance_A is not None else words
    return (
        f'<line class="link {link.kind}" x1="{a[0]:.1f}" y1="{a[1]:.1f}" x2="{b[0]:.1f}" y2="{b[1]:.1f}" '
        f'stroke="{colour}" stroke-width="{width}"{dashed} stroke-linecap="round"><title>{_e(tip)}</title></line>'
    )


def _box(spot: ResidueSpot, centre: np.ndarray) -> str:
    contact = spot.contact
    fill, outline = next(((f, o) for names, f, o in _CLASSES.values() if contact.name in names), _OTHER)
    dash = "" if spot.links else ' stroke-dasharray="3 2"'
    if not spot.links:
        fill = "#f7f7f7"
    w, h = spot.size
    x, y = centre[0] - w / 2, centre[1] - h / 2
    name = residue_text(contact)
    main, chain = name.rsplit(" ", 1)
    kinds = ", ".join(STYLES[k][3] for k in contact.kinds if k in STYLES) or CONTACT_ONLY
    return (
        f'<g class="residue" data-residue="{_e(contact.residue)}">'
        f"<title>{_e(f'{contact.residue}: {kinds}; closest {contact.distance_A:.2f} Å')}</title>"
        f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" rx="12" fill="{fill}" '
        f'stroke="{outline}" stroke-width="1.4"{dash}/>'
        f'<text class="residue-label" x="{centre[0]:.1f}" y="{centre[1] + 4.5:.1f}" text-anchor="middle" '
        f'font-size="14" fill="#222">{_e(main)} <tspan font-size="12" fill="#666">{_e(chain)}</tspan></text></g>'
    )


def _legend(kinds: list[str], contact_only: bool, notes: list[str], width: float, top: float) -> list[str]:
    """Line samples with their words, three to a row, then the notes, each on its own line."""
    entries = [(STYLES[k][3], k) for k in kinds] + ([(CONTACT_ONLY, None)] if contact_only else [])
    out = ['<g class="legend" font-size="12" fill="#333">']
    column = (width - 2 * MARGIN) / 3
    for n, (words, kind) in enumerate(entries):
        x, y = MARGIN + column * (n % 3), top + 24.0 * (n // 3)
        if kind:
            colour, stroke, dash, _ = STYLES[kind]
            dashed = f' stroke-dasharray="{dash}"' if dash else ""
            out.append(
                f'<line x1="{x:.1f}" y1="{y:.1f}" x2="{x + 34:.1f}" y2="{y:.1f}" stroke="{colour}" '
                f'stroke-width="{stroke}"{dashed} stroke-linecap="round"/>'
            )
        else:
            out.append(
                f'<rect x="{x:.1f}" y="{y - 7:.1f}" width="34" height="14" rx="7" fill="#f7f7f7" stroke="#777" '
                'stroke-dasharray="3 2"/>'
            )
        out.append(f'<text class="legend-entry" x="{x + 42:.1f}" y="{y + 4:.1f}">{_e(words)}</text>')
    rows = (len(entries) + 2) // 3
    for n, note in enumerate(notes):
        y = top + 24.0 * (rows + n) + 4
        out.append(f'<text class="note" x="{MARGIN:.1f}" y="{y:.1f}" fill="#8a5a00">{_e(note)}</text>')
    out.append("</g>")
    return out


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)
