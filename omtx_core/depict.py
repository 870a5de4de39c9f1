"""2D depictions of small molecules (RDKit SVG) for forms and tables: cached, and None rather than an error."""

from __future__ import annotations

import base64
import html
import re
import warnings
from dataclasses import dataclass, replace
from functools import lru_cache

from omtx_core.chem import check_ccd, parse_smiles
from omtx_core.errors import FieldProblem

THUMBNAIL = (150, 90)  # wide: drug-like molecules are longer than tall, and the table row sets the height
FORM = (320, 220)
_CACHE = 4096  # depictions kept per size: a 10,000-compound screen keeps its first pages drawn
_HEADER = re.compile(r"<\?xml[^>]*\?>\s*|<!--.*?-->\s*", re.S)
_SPACE = re.compile(r">\s+<")
# RDKit writes these defaults into every path's style; the SVG defaults are the same, so dropping them is lossless
# and halves a thumbnail, which matters when hundreds go into one table.
_DEFAULT_STYLE = ("fill-rule:evenodd;", ";stroke-linecap:butt;stroke-linejoin:miter;stroke-opacity:1")


@dataclass(frozen=True)
class Depiction:
    """A molecule drawn as SVG, with the formula and heavy-atom count of what was drawn."""

    svg: str
    formula: str
    heavy_atoms: int
    label: str  # the canonical SMILES, or the CCD code, that was drawn
    removed: tuple[str, ...] = ()  # fragments of the SMILES left out (salts, counter-ions), as the job leaves them

    @property
    def data_uri(self) -> str:
        return svg_data_uri(self.svg)


def svg_data_uri(svg: str) -> str:
    """The SVG as a base64 data URI, which an <img> and Streamlit's ImageColumn both accept."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def depict_smiles(text: str, size: tuple[int, int] = FORM) -> Depiction | None:
    """The molecule a job would use for this SMILES (canonical, salts stripped), drawn; None when it is not valid."""
    try:
        ligand = parse_smiles(text)
    except FieldProblem:
        return None
    depiction = _depict_canonical(ligand.smiles, size)
    return replace(depiction, removed=ligand.removed_fragments) if depiction and ligand.removed_fragments else depiction


def depict_ccd(text: str, size: tuple[int, int] = FORM) -> Depiction | None:
    """A Chemical Component Dictionary entry drawn from biotite's CCD; None when unknown or not buildable."""
    try:
        code = check_ccd(text).ccd
    except FieldProblem:
        return None
    return _depict_ccd(code, size) if code else None


@lru_cache(maxsize=_CACHE)
def thumbnail_uri(smiles: str) -> str | None:
    """A table thumbnail of the SMILES as a data URI; None when it cannot be drawn."""
    depiction = depict_smiles(smiles, THUMBNAIL)
    return depiction.data_uri if depiction else None


@lru_cache(maxsize=_CACHE)
def _depict_canonical(smiles: str, size: tuple[int, int]) -> Depiction | None:
    from rdkit import Chem

    mol = Chem.MolFromSmiles(smiles)
    return _draw(mol, smiles, size) if mol is not None else None


@lru_cache(maxsize=256)
def _depict_ccd(code: str, size: tuple[int, int]) -> Depiction | None:
    try:
        mol = _ccd_mol(code)
    except Exception:  # biotite and RDKit raise many types for entries they cannot build (metals, odd valences)
        return None
    return _draw(mol, code, size) if mol is not None else None


def _ccd_mol(code: str):
    from biotite.interface.rdkit import to_mol
    from biotite.structure.info import residue
    from rdkit import Chem, rdBase

    with warnings.catch_warnings(), rdBase.BlockLogs():
        warnings.simplefilter("ignore")  # biotite's notes on missing ideal coordinates: no user's concern here
        atoms = residue(code, allow_missing_coord=True)
        mol = to_mol(atoms)
    if mol.GetNumConformers() and not any(c != c for c in atoms.coord.ravel()):  # NaN: no coordinates to read
        Chem.AssignStereochemistryFrom3D(mol)
    mol = Chem.RemoveHs(mol, sanitize=False)
    Chem.SanitizeMol(mol)
    return mol


def _draw(mol, label: str, size: tuple[int, int]) -> Depiction | None:
    from rdkit import Chem, rdBase
    from rdkit.Chem import rdDepictor, rdMolDescriptors
    from rdkit.Chem.Draw import rdMolDraw2D

    # Failures become None; RDKit's own log lines (dative bonds, layout notes) would only clutter the server log.
    with rdBase.BlockLogs():
        try:
            mol = Chem.Mol(mol)
            mol.RemoveAllConformers()  # a flat drawing: 3D coordinates from the CCD would draw as a projection
            with rdDepictor.UsingCoordGen(True):  # cleaner macrocycles and fused rings; scoped, not process-wide
                rdDepictor.Compute2DCoords(mol)
            drawer = rdMolDraw2D.MolDraw2DSVG(size[0], size[1], -1, -1, True)  # True: <text> labels, not glyph paths
            options = drawer.drawOptions()
            options.padding = 0.08
            options.maxFontSize = 22  # small molecules would otherwise get labels as tall as a ring
            options.bondLineWidth = 1.5 if size[0] <= THUMBNAIL[0] else 2
            rdMolDraw2D.PrepareAndDrawMolecule(drawer, mol)
            drawer.FinishDrawing()
            svg = _compact(drawer.GetDrawingText(), label)
            return Depiction(svg, rdMolDescriptors.CalcMolFormula(mol), mol.GetNumHeavyAtoms(), label)
        except Exception:  # RDKit raises several unrelated types for molecules it cannot lay out or draw
            return None


def _compact(svg: str, label: str) -> str:
    """Drop the XML header and default styles; title the drawing with its (escaped) SMILES or code."""
    svg = _SPACE.sub("><", _HEADER.sub("", svg)).strip()
    for default in _DEFAULT_STYLE:
        svg = svg.replace(default, "")
    opening = svg.index(">") + 1
    return f"{svg[:opening]}<title>{html.escape(label)}</title>{svg[opening:]}"
