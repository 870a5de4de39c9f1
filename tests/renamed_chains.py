"""Boltz output made elsewhere: the carazolol fixture with its chains named as another author chose."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tests.boltz_fixture_output import AFFINITY_CASE, AFFINITY_NAME


def renamed_case(folder: Path, names: dict[str, str], mutations: dict[int, str] | None = None) -> Path:
    """A copy of the carazolol `boltz_results_*` folder under `folder`, chains renamed (`{"A": "R", "L": "X"}`) in
    the structure and in the processed record, as if its author's YAML had used those ids; returns the copy.

    `mutations` renames protein residues by number (`{113: "ALA"}`), so the copy reads as a prediction of a point
    mutant (the coordinates stay the fixture's)."""
    import gemmi

    target = folder / AFFINITY_CASE.name
    shutil.copytree(AFFINITY_CASE, target)
    for cif in (target / "predictions" / AFFINITY_NAME).glob("*_model_*.cif"):
        structure = gemmi.read_structure(str(cif))
        for chain in structure[0]:
            new = names.get(chain.name, chain.name)
            for residue in chain:
                residue.subchain = new  # label_asym_id too: Boltz writes the same id in both columns
                if chain.name == "A" and residue.seqid.num in (mutations or {}):
                    residue.name = mutations[residue.seqid.num]
            chain.name = new
        structure.setup_entities()
        structure.make_mmcif_document().write_file(str(cif))
    record = target / "processed" / "records" / f"{AFFINITY_NAME}.json"
    data = json.loads(record.read_text())
    for chain in data["chains"]:
        chain["chain_name"] = names.get(chain["chain_name"], chain["chain_name"])
    record.write_text(json.dumps(data))
    return target


def screen_case(folder: Path) -> Path:
    """A `boltz_results_screen` folder of two predictions of the fixture's target: carazolol, and an analogue whose
    hydroxyl O is an NH2 (the fixture's coordinates, one element changed), as a screen made elsewhere."""
    import gemmi

    from tests.boltz_fixture_output import write_prediction

    results = folder / "boltz_results_screen"
    write_prediction(results, "carazolol")
    analogue = write_prediction(results, "amino_analogue") / "amino_analogue_model_0.cif"
    structure = gemmi.read_structure(str(analogue))
    atom = structure[0]["L"][0]["O24"][0]
    atom.element, atom.name = gemmi.Element("N"), "N24"
    structure.setup_entities()
    structure.make_mmcif_document().write_file(str(analogue))
    return results
