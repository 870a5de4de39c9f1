"""Names and other free text: control characters refused, blank names generated, stored input valid again."""

from __future__ import annotations

import copy

import pytest

from omtx_core.config import Settings
from omtx_core.errors import InputError
from omtx_core.tasks import TASKS, validate_task_input
from tests.examples import ASPIRIN, UBIQUITIN, VALID_INPUTS

# NUL is what PostgreSQL refuses; the others only hurt display (terminal escapes, bidi reversal, hidden marks).
HOSTILE = ["a\x00b", "a\x1b[31mred", "bell\x07", "a\x85b", "\u202eevil", "a\u2066b", "zero\u200bwidth", "a\u2028b"]


def problems(task: str, data: dict) -> dict[str, str]:
    with pytest.raises(InputError) as caught:
        validate_task_input(task, data, Settings())
    return {p.field: f"{p.message} {p.hint}" for p in caught.value.problems}


def with_changes(task: str, **changes) -> dict:
    data = copy.deepcopy(VALID_INPUTS[task])
    data.update(changes)
    return data


def revalidated(task: str, data: dict):
    """The normalised input, checked to validate again to itself (what the worker does with a stored job)."""
    first = validate_task_input(task, data, Settings()).input
    stored = first.model_dump(mode="json")
    again = validate_task_input(task, stored, Settings()).input
    assert again.model_dump(mode="json") == stored
    return first


@pytest.mark.parametrize("task", TASKS)
@pytest.mark.parametrize("text", HOSTILE)
def test_control_characters_in_the_job_name_are_refused(task, text):
    found = problems(task, with_changes(task, job_name=text))
    assert set(found) == {"job_name"} and "character" in found["job_name"]


@pytest.mark.parametrize("text", HOSTILE)
def test_control_characters_in_every_other_name_are_refused(text):
    binding = problems("protein_ligand_binding", with_changes("protein_ligand_binding", ligand_name=text))
    assert set(binding) == {"ligand_name"}
    compounds = [{"name": "ok", "smiles": ASPIRIN}, {"name": text, "smiles": "CCO"}]
    assert set(problems("drug_discovery", with_changes("drug_discovery", compounds=compounds))) == {"compounds.1.name"}
    variants = [{"mutations": "K6A"}, {"name": text, "mutations": "K48R"}]
    assert set(problems("variant_comparison", with_changes("variant_comparison", variants=variants))) == {
        "variants.1.name"
    }


def test_the_message_names_the_character_and_its_position():
    found = problems("protein_structure", with_changes("protein_structure", job_name="run\x00one"))
    assert "U+0000" in found["job_name"] and "position 4" in found["job_name"]


def test_tabs_and_newlines_in_a_fasta_paste_are_still_cleaned():
    pasted = ">ubiquitin\r\n" + UBIQUITIN[:30] + "\n\t" + UBIQUITIN[30:] + "\n"
    assert revalidated("protein_structure", {"protein_sequence": pasted}).protein_sequence == UBIQUITIN


def test_ordinary_unicode_names_are_kept():
    data = with_changes("protein_structure", job_name="Lysozym · Ångström-Test α/β 😀")
    assert revalidated("protein_structure", data).job_name == "Lysozym · Ångström-Test α/β 😀"


def test_blank_compound_and_variant_names_are_generated_and_valid_again():
    compounds = [{"name": "   ", "smiles": ASPIRIN}, {"name": "\t", "smiles": "CCO"}]
    screen = revalidated("drug_discovery", with_changes("drug_discovery", compounds=compounds))
    assert [c.name for c in screen.compounds] == ["compound_1", "compound_2"]
    variants = revalidated(
        "variant_comparison", with_changes("variant_comparison", variants=[{"name": " ", "mutations": "K6A"}])
    )
    assert variants.variants[0].name == "K6A"


def test_a_blank_ligand_name_is_no_name():
    binding = revalidated("protein_ligand_binding", with_changes("protein_ligand_binding", ligand_name="   "))
    assert binding.ligand_name is None and not binding.job_name.endswith(" ")


def test_a_variant_of_many_mutations_gets_a_name_within_the_limit():
    mutations = "/".join(f"{UBIQUITIN[i - 1]}{i}A" for i in range(2, 16))  # 14 substitutions, 61 characters
    variant = revalidated("variant_comparison", with_changes("variant_comparison", variants=[{"mutations": mutations}]))
    name = variant.variants[0].name
    assert len(name) <= 60 and name.startswith("Q2A/I3A/") and "more" in name
    assert variant.variants[0].mutations == mutations


def test_a_generated_job_name_cut_at_a_space_is_valid_again():
    # "Complex: 2×ligand + dna + dna …" cut at 200 characters ends in a space.
    chains = [{"type": "ligand", "ccd": "ATP", "copies": 2}] + [{"type": "dna", "sequence": "ACGT"}] * 40
    complex_input = revalidated("protein_complex", {"chains": chains})
    assert complex_input.job_name == complex_input.job_name.strip() and len(complex_input.job_name) <= 200


def test_variant_names_that_collide_after_truncation_plan_to_distinct_runs():
    variants = [
        {"name": "a" * 53 + " " + "b" * 6, "mutations": "K6A"},
        {"name": "a" * 53 + " " + "b" * 5 + "c", "mutations": "K48R"},
    ]
    plan = validate_task_input(
        "variant_comparison", with_changes("variant_comparison", variants=variants), Settings()
    ).plan
    names = [run.name for run in plan.runs]
    assert len(set(names)) == 3 and all(len(name) <= 64 for name in names)
