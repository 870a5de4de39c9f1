"""A SMILES is parsed once per validation: the parsed ligand travels with the validated input into the plan."""

from __future__ import annotations

import pytest

from omtx_core import chem
from omtx_core.config import Settings
from omtx_core.tasks import validate_task_input
from tests.examples import ASPIRIN, CARAZOLOL, IBUPROFEN, LYSOZYME, UBIQUITIN

SALTED = CARAZOLOL + ".[Cl-]"
CASES = {
    "protein_ligand_binding": ({"protein_sequence": LYSOZYME, "ligand_smiles": SALTED}, 1),
    "binding_site_prediction": ({"protein_sequence": LYSOZYME, "ligand_smiles": ASPIRIN}, 1),
    "variant_comparison": (
        {"wildtype_sequence": UBIQUITIN, "variants": [{"mutations": "K6A"}, {"mutations": "K48R"}],
         "ligand_smiles": IBUPROFEN},
        1,
    ),
    "protein_complex": (
        {"chains": [{"type": "protein", "sequence": UBIQUITIN, "copies": 2}, {"type": "ligand", "smiles": ASPIRIN},
                    {"type": "ligand", "smiles": IBUPROFEN}]},
        2,
    ),
    "drug_discovery": (
        {"protein_sequence": LYSOZYME, "compounds": [{"smiles": ASPIRIN}, {"smiles": IBUPROFEN}, {"smiles": SALTED}]},
        3,
    ),
    "protein_structure": ({"protein_sequence": UBIQUITIN}, 0),
}  # fmt: skip


@pytest.fixture
def parses(monkeypatch) -> list[str]:
    """Every SMILES handed to chem.parse_smiles, the one module function every task parses through."""
    seen: list[str] = []
    real = chem.parse_smiles

    def counting(text: str) -> chem.Ligand:
        seen.append(text)
        return real(text)

    monkeypatch.setattr(chem, "parse_smiles", counting)
    return seen


@pytest.mark.parametrize("task", list(CASES))
def test_each_smiles_is_parsed_once_per_validation_and_plan(task, parses):
    data, expected = CASES[task]
    validated = validate_task_input(task, data, Settings())  # validates, then plans
    assert len(validated.plan.runs) >= 1
    assert len(parses) == expected, parses
    assert len(set(parses)) == expected  # each SMILES as given, never its canonical form a second time


def test_the_kept_ligand_is_the_one_the_plan_uses(parses):
    validated = validate_task_input("protein_ligand_binding", CASES["protein_ligand_binding"][0], Settings())
    ligand = validated.input.ligand
    assert ligand is not None and ligand.removed_fragments == ("[Cl-]",) and ligand.heavy_atoms == 22
    assert type(validated.input.ligand_smiles) is str  # the stored input holds plain text
    assert validated.input.model_dump(mode="json")["ligand_smiles"] == ligand.smiles
    assert ligand.smiles in validated.plan.runs[0].yaml_text
    assert [w.field for w in validated.warnings] == ["ligand_smiles"]  # the salt warning, from the one parse
    assert parses == [SALTED]


def test_a_model_built_without_validation_still_plans(parses):
    from omtx_core.tasks.drug_discovery import Compound

    compound = Compound.model_construct(name="aspirin", smiles=ASPIRIN)
    assert compound.ligand.heavy_atoms == 13 and parses == [ASPIRIN]
