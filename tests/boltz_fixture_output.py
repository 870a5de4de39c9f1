"""Writes real Boltz output (the shared fixtures, renamed per run) the way `boltz predict` lays it out."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[1].parent / "shared" / "fixtures" / "boltz2"
AFFINITY_CASE = FIXTURES / "protein_ligand_affinity_b2ar_carazolol" / "boltz_results_b2ar_carazolol_affinity"
AFFINITY_NAME = "b2ar_carazolol_affinity"


def write_prediction(results_dir: Path, run_name: str, protein_sequence: str | None = None) -> Path:
    """Copy the carazolol prediction into `results_dir` as run `run_name` (files and record renamed).

    With a `protein_sequence` of the fixture's length (a point mutant of it), chain A's residue names are made to
    match it, so the output reads as a prediction of that sequence (the coordinates stay the fixture's).
    """
    source = AFFINITY_CASE / "predictions" / AFFINITY_NAME
    target = results_dir / "predictions" / run_name
    target.mkdir(parents=True, exist_ok=True)
    for path in source.iterdir():
        shutil.copyfile(path, target / path.name.replace(AFFINITY_NAME, run_name))
    if protein_sequence:
        _rename_residues(target / f"{run_name}_model_0.cif", protein_sequence)
    record = json.loads((AFFINITY_CASE / "processed" / "records" / f"{AFFINITY_NAME}.json").read_text())
    record["id"] = run_name
    records = results_dir / "processed" / "records"
    records.mkdir(parents=True, exist_ok=True)
    (records / f"{run_name}.json").write_text(json.dumps(record))
    return target


def _rename_residues(cif: Path, sequence: str) -> None:
    import gemmi

    structure = gemmi.read_structure(str(cif))
    chain = structure[0]["A"]
    if len(chain) != len(sequence):
        return
    for residue, letter in zip(chain, sequence, strict=True):
        if gemmi.find_tabulated_residue(residue.name).one_letter_code.upper() != letter:
            residue.name = gemmi.expand_one_letter(letter, gemmi.ResidueKind.AA)
    structure.setup_entities()
    structure.make_mmcif_document().write_file(str(cif))
