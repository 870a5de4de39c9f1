"""Writes real Boltz output (the shared fixtures, renamed per run) the way `boltz predict` lays it out."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[1].parent / "shared" / "fixtures" / "boltz2"
AFFINITY_CASE = FIXTURES / "protein_ligand_affinity_b2ar_carazolol" / "boltz_results_b2ar_carazolol_affinity"
AFFINITY_NAME = "b2ar_carazolol_affinity"


def write_prediction(results_dir: Path, run_name: str) -> Path:
    """Copy the carazolol prediction into `results_dir` as run `run_name` (files and record renamed)."""
    source = AFFINITY_CASE / "predictions" / AFFINITY_NAME
    target = results_dir / "predictions" / run_name
    target.mkdir(parents=True, exist_ok=True)
    for path in source.iterdir():
        shutil.copyfile(path, target / path.name.replace(AFFINITY_NAME, run_name))
    record = json.loads((AFFINITY_CASE / "processed" / "records" / f"{AFFINITY_NAME}.json").read_text())
    record["id"] = run_name
    records = results_dir / "processed" / "records"
    records.mkdir(parents=True, exist_ok=True)
    (records / f"{run_name}.json").write_text(json.dumps(record))
    return target
