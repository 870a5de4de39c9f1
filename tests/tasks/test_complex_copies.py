"""A complex chain given one id and `copies: N` gets that id plus the next free ids, with a warning naming them."""

from __future__ import annotations

import pytest
import yaml

from omtx_core.config import Settings
from omtx_core.errors import InputError
from omtx_core.tasks import validate_task_input
from tests.examples import ASPIRIN, LYSOZYME, UBIQUITIN


def validated(*chains: dict):
    return validate_task_input("protein_complex", {"chains": list(chains)}, Settings())


def ids(result) -> list:
    return [chain.id for chain in result.input.chains]


def test_one_id_with_copies_takes_the_next_free_ids_and_says_which():
    result = validated(
        {"id": "A", "type": "protein", "sequence": UBIQUITIN, "copies": 3},
        {"id": "B", "type": "protein", "sequence": LYSOZYME},
        {"type": "ligand", "smiles": ASPIRIN},
    )
    assert ids(result) == [["A", "C", "D"], "B", "E"]  # B is taken, so the copies of A are A, C and D
    (warning,) = [w for w in result.warnings if w.field == "chains.0.id"]
    assert "3 copies" in warning.message and "A, C and D" in warning.message
    document = yaml.safe_load(result.plan.runs[0].yaml_text)
    protein_ids = [entry["protein"]["id"] for entry in document["sequences"] if "protein" in entry]
    assert protein_ids == [["A", "C", "D"], "B"]  # three copies of one entity, each its own Boltz chain


def test_numbered_ids_count_on_and_letters_run_past_z():
    assert ids(validated({"id": "H1", "type": "protein", "sequence": UBIQUITIN, "copies": 3})) == [["H1", "H2", "H3"]]
    assert ids(validated({"id": "z", "type": "dna", "sequence": "ACGTACGT", "copies": 3})) == [["Z", "AA", "AB"]]
    chains = ({"id": "H1", "type": "protein", "sequence": UBIQUITIN, "copies": 2}, {"id": "H2", "type": "dna",
              "sequence": "ACGT"})  # fmt: skip
    assert ids(validated(*chains)) == [["H1", "H3"], "H2"]


def test_the_normalised_input_validates_again_to_the_same_chains_without_a_warning():
    first = validated({"id": "A", "type": "protein", "sequence": UBIQUITIN, "copies": 2})
    again = validate_task_input("protein_complex", first.input.model_dump(mode="json"), Settings())
    assert ids(again) == ids(first) == [["A", "B"]] and not again.warnings


def test_explicit_id_lists_and_single_copies_keep_working():
    assert ids(validated({"id": ["X", "Y"], "type": "protein", "sequence": UBIQUITIN})) == [["X", "Y"]]
    plain = validated({"id": "A", "type": "protein", "sequence": UBIQUITIN}, {"type": "dna", "sequence": "ACGT"})
    assert ids(plain) == ["A", "B"] and not plain.warnings
    with pytest.raises(InputError) as caught:
        validated({"id": ["A", "B"], "type": "protein", "sequence": UBIQUITIN, "copies": 3})
    assert [p.field for p in caught.value.problems] == ["chains.0.id"]


def test_a_copy_id_never_takes_an_id_given_later_in_the_list():
    result = validated(
        {"id": "A", "type": "protein", "sequence": UBIQUITIN, "copies": 2},
        {"type": "protein", "sequence": LYSOZYME},
        {"id": "b", "type": "rna", "sequence": "ACGU"},
    )
    assert ids(result) == [["A", "C"], "D", "B"]
