"""The one reader of structure files (.cif/.pdb): every predicted structure the code opens is read here."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from omtx_core.boltz.results import shown
from omtx_core.errors import BoltzOutputError

if TYPE_CHECKING:
    import gemmi

RERUN_HINT = "Re-run the prediction."


def read_structure(
    path: str | Path,
    *,
    keep_hydrogens: bool = False,
    keep_waters: bool = False,
    keep_altlocs: bool = False,
    hint: str = RERUN_HINT,
) -> gemmi.Structure:
    """The first model of a structure file, entities set up; hydrogens, waters and alternative locations removed
    unless kept. Any problem is a BoltzOutputError naming the file (folder and name only) with `hint`.

    Boltz writes no hydrogens, waters or alternative locations, so the defaults only matter for files made
    elsewhere (imports); a caller that re-emits the file as it was (the 3D overlay) keeps everything.
    """
    import gemmi  # heavy: only loaded when a structure is read

    path = Path(path)
    if not path.is_file():
        raise BoltzOutputError(f"{shown(path)} is missing.", hint)
    try:
        structure = gemmi.read_structure(str(path))
    except Exception as exc:  # gemmi's parser raises several types (an empty file: IndexError); all mean unreadable
        reason = str(exc) if path.stat().st_size else "the file is empty"
        raise BoltzOutputError(f"{shown(path)} cannot be read as a structure ({reason}).", hint) from exc
    if len(structure) == 0:
        raise BoltzOutputError(f"{shown(path)} holds no model.", hint)
    # Boltz writes one model per file; extra models (NMR-style files) would double every atom.
    for index in range(len(structure) - 1, 0, -1):
        del structure[index]
    structure.setup_entities()
    if not keep_hydrogens:
        structure.remove_hydrogens()
    if not keep_waters:
        structure.remove_waters()
    if not keep_altlocs:
        structure.remove_alternative_conformations()
    return structure
