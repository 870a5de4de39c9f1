"""Every task accepts its valid input with defaults filled, and rejects bad input naming field and fix."""

from __future__ import annotations

import copy

import pytest

from omtx_core.config import Settings
from omtx_core.errors import InputError
from omtx_core.tasks import TASKS, validate_task_input
from tests.examples import ASPIRIN, CARAZOLOL, IBUPROFEN, LYSOZYME, UBIQUITIN, VALID_INPUTS


def problems(task: str, data: dict, settings: Settings | None = None) -> dict[str, str]:
    with pytest.raises(InputError) as caught:
        validate_task_input(task, data, settings)
    return {p.field: f"{p.message} {p.hint}" for p in caught.value.problems}


def with_changes(task: str, **changes) -> dict:
    data = copy.deepcopy(VALID_INPUTS[task])
    data.update(changes)
    return data


@pytest.mark.parametrize("task", TASKS)
def test_valid_example_is_accepted_with_defaults_filled(task):
    validated = validate_task_input(task, VALID_INPUTS[task], Settings())
    dumped = validated.input.model_dump(mode="json")
    assert dumped["options"] == {
        "use_msa_server": True,
        "recycling_steps": 3,
        "sampling_steps": 200,
        "diffusion_samples": 1,
        "use_potentials": False,
        "seed": None,
        "step_scale": None,
        "affinity_mw_correction": False,
        "sampling_steps_affinity": 200,
        "diffusion_samples_affinity": 5,
    }
    assert 1 <= len(dumped["job_name"]) <= 200
    assert validate_task_input(task, dumped, Settings()).input == validated.input  # normalised input is a fixed point


@pytest.mark.parametrize("task", TASKS)
def test_extra_fields_are_rejected(task):
    assert "colour" in problems(task, with_changes(task, colour="blue"))


@pytest.mark.parametrize("task", TASKS)
def test_options_out_of_bounds_are_rejected_per_field(task):
    bad = {"recycling_steps": 0, "diffusion_samples": 26, "seed": -1, "step_scale": 9.0, "turbo": True}
    found = problems(task, with_changes(task, options=bad))
    assert set(found) == {f"options.{name}" for name in bad}


@pytest.mark.parametrize("task", TASKS)
def test_job_name_is_kept_trimmed_and_bounded(task):
    assert validate_task_input(task, with_changes(task, job_name="  my run "), Settings()).input.job_name == "my run"
    assert "job_name" in problems(task, with_changes(task, job_name="x" * 201))


def test_fasta_header_whitespace_and_case_are_normalised():
    text = ">sp|P0CG48|UBQ\n" + UBIQUITIN[:40].lower() + "\n  " + UBIQUITIN[40:] + "*\n"
    validated = validate_task_input("protein_structure", {"protein_sequence": text}, Settings())
    assert validated.input.protein_sequence == UBIQUITIN


def test_bad_residue_is_reported_with_its_position():
    found = problems("protein_structure", {"protein_sequence": UBIQUITIN[:10] + "B" + UBIQUITIN[10:]})
    assert "Residue 11 is 'B'" in found["protein_sequence"]
    assert "X" in found["protein_sequence"]


def test_length_window_per_task():
    assert "at least 10" in problems("protein_structure", {"protein_sequence": "MKV"})["protein_sequence"]
    found = problems("drug_discovery", {"protein_sequence": UBIQUITIN[:15], "compounds": [{"smiles": ASPIRIN}]})
    assert "at least 20" in found["protein_sequence"]


def test_token_limit_comes_from_settings_and_counts_ligand_atoms():
    data = VALID_INPUTS["protein_ligand_binding"]  # 129 residues + 13 aspirin heavy atoms
    validate_task_input("protein_ligand_binding", data, Settings(max_tokens=142))
    found = problems("protein_ligand_binding", data, Settings(max_tokens=141))
    assert "142 tokens" in found["protein_sequence"] and "OMTX_MAX_TOKENS" in found["protein_sequence"]


def test_dna_looking_protein_gets_a_warning():
    validated = validate_task_input("protein_structure", {"protein_sequence": "ACGT" * 10}, Settings())
    assert any("DNA" in w.message for w in validated.warnings)


class TestProteinLigandBinding:
    def test_exactly_one_ligand(self):
        assert "ligand_smiles" in problems("protein_ligand_binding", {"protein_sequence": LYSOZYME})
        both = {"protein_sequence": LYSOZYME, "ligand_smiles": ASPIRIN, "ligand_ccd": "ATP"}
        assert "ligand_ccd" in problems("protein_ligand_binding", both)

    def test_smiles_is_canonical_and_salts_removed_with_warning(self):
        data = {"protein_sequence": LYSOZYME, "ligand_smiles": "OC(=O)c1ccccc1OC(C)=O.[Na+]"}
        validated = validate_task_input("protein_ligand_binding", data, Settings())
        assert validated.input.ligand_smiles == ASPIRIN
        assert any("[Na+]" in w.message and w.field == "ligand_smiles" for w in validated.warnings)

    def test_bad_smiles_names_the_field_and_problem(self):
        found = problems("protein_ligand_binding", {"protein_sequence": LYSOZYME, "ligand_smiles": "C1CC"})
        assert "unclosed ring" in found["ligand_smiles"]

    def test_ccd_codes(self):
        ok = validate_task_input(
            "protein_ligand_binding", {"protein_sequence": LYSOZYME, "ligand_ccd": " atp "}, Settings()
        )
        assert ok.input.ligand_ccd == "ATP"
        for code in ("ATP-1", "TOOLONG", "ZZZZZ"):
            assert "ligand_ccd" in problems(
                "protein_ligand_binding", {"protein_sequence": LYSOZYME, "ligand_ccd": code}
            )

    def test_affinity_ligand_size_rules(self):
        big = "C" * 57
        validated = validate_task_input(
            "protein_ligand_binding", {"protein_sequence": LYSOZYME, "ligand_smiles": big}, Settings()
        )
        assert any("56" in w.message for w in validated.warnings)
        huge = {"protein_sequence": LYSOZYME, "ligand_smiles": "C" * 129}
        assert "128" in problems("protein_ligand_binding", huge)["ligand_smiles"]
        no_affinity = dict(huge, predict_affinity=False)
        assert validate_task_input("protein_ligand_binding", no_affinity, Settings()).input.predict_affinity is False

    def test_pocket_residues(self):
        data = with_changes("protein_ligand_binding", pocket_residues=[52, 35, 52])
        assert validate_task_input("protein_ligand_binding", data, Settings()).input.pocket_residues == [35, 52]
        found = problems("protein_ligand_binding", with_changes("protein_ligand_binding", pocket_residues=[0, 130]))
        assert "0, 130" in found["pocket_residues"] and "1–129" in found["pocket_residues"]
        found = problems("protein_ligand_binding", with_changes("protein_ligand_binding", pocket_max_distance=3))
        assert "pocket_max_distance" in found


class TestProteinComplex:
    def test_ids_are_assigned_around_given_ones(self):
        chains = [
            {"type": "protein", "sequence": UBIQUITIN, "copies": 2},
            {"id": "B", "type": "protein", "sequence": LYSOZYME},
            {"type": "ligand", "smiles": ASPIRIN},
        ]
        validated = validate_task_input("protein_complex", {"chains": chains}, Settings())
        assert [c.id for c in validated.input.chains] == [["A", "C"], "B", "D"]

    def test_needs_two_chains_counting_copies(self):
        one = {"chains": [{"type": "protein", "sequence": UBIQUITIN}]}
        assert "chains" in problems("protein_complex", one)
        two = {"chains": [{"type": "protein", "sequence": UBIQUITIN, "copies": 2}]}
        assert validate_task_input("protein_complex", two, Settings()).plan.runs[0].tokens == 2 * len(UBIQUITIN)

    def test_duplicate_ids_and_bad_ids(self):
        chains = [{"id": "A", "type": "protein", "sequence": UBIQUITIN}, {"id": "a", "type": "dna", "sequence": "ACGT"}]
        assert "used twice" in problems("protein_complex", {"chains": chains})["chains.1.id"]
        chains[1]["id"] = "A-1"
        assert "chains.1.id" in problems("protein_complex", {"chains": chains})

    def test_alphabet_per_molecule_type(self):
        chains = [{"type": "protein", "sequence": UBIQUITIN}, {"type": "dna", "sequence": "ACGU"}]
        assert "RNA" in problems("protein_complex", {"chains": chains})["chains.1.sequence"]
        chains[1]["type"] = "rna"
        assert validate_task_input("protein_complex", {"chains": chains}, Settings()).input.chains[1].sequence == "ACGU"

    def test_ligand_chain_needs_one_of_smiles_or_ccd(self):
        chains = [{"type": "protein", "sequence": UBIQUITIN}, {"type": "ligand", "sequence": "ACGT"}]
        assert "chains.1.smiles" in problems("protein_complex", {"chains": chains})
        chains = [{"type": "protein", "sequence": UBIQUITIN}, {"type": "ligand", "ccd": "HEM", "smiles": ASPIRIN}]
        assert "chains.1.smiles" in problems("protein_complex", {"chains": chains})

    def test_id_list_must_match_copies(self):
        chains = [{"id": ["A", "B"], "type": "protein", "sequence": UBIQUITIN, "copies": 3}]
        assert "chains.0.id" in problems("protein_complex", {"chains": chains})
        chains[0].pop("copies")
        assert validate_task_input("protein_complex", {"chains": chains}, Settings()).input.chains[0].copies == 2


class TestVariantComparison:
    def test_mutation_notations_are_normalised(self):
        variants = [
            {"mutations": "K48R,I44A"},
            {"mutations": "p.Lys6Ala"},
            {"name": "hydrophobic", "mutations": "L8A; V26A"},
        ]
        validated = validate_task_input(
            "variant_comparison", {"wildtype_sequence": UBIQUITIN, "variants": variants}, Settings()
        )
        assert [(v.name, v.mutations) for v in validated.input.variants] == [
            ("I44A/K48R", "I44A/K48R"),
            ("K6A", "K6A"),
            ("hydrophobic", "L8A/V26A"),
        ]

    def test_wrong_wildtype_residue_names_position_and_actual_residue(self):
        found = problems("variant_comparison", {"wildtype_sequence": UBIQUITIN, "variants": [{"mutations": "A2K"}]})
        assert "position 2 is Q in the wild type, not A" in found["variants.0.mutations"]

    def test_out_of_range_unknown_residue_and_syntax(self):
        data = {
            "wildtype_sequence": UBIQUITIN,
            "variants": [{"mutations": "K100A"}, {"mutations": "K6B"}, {"mutations": "K6del"}, {"mutations": "K6K"}],
        }
        found = problems("variant_comparison", data)
        assert "outside the wild type (residues 1–76)" in found["variants.0.mutations"]
        assert "not a standard amino acid" in found["variants.1.mutations"]
        assert "not a point mutation" in found["variants.2.mutations"]
        assert "does not change" in found["variants.3.mutations"]

    def test_sequence_variants(self):
        base = {"wildtype_sequence": UBIQUITIN}
        assert "variants.0.name" in problems("variant_comparison", base | {"variants": [{"sequence": UBIQUITIN}]})
        found = problems("variant_comparison", base | {"variants": [{"name": "short", "sequence": UBIQUITIN[:-1]}]})
        assert "75 residues" in found["variants.0.sequence"]
        found = problems("variant_comparison", base | {"variants": [{"name": "same", "sequence": UBIQUITIN}]})
        assert "identical to the wild type" in found["variants.0.sequence"]
        both = [{"name": "x", "mutations": "K6A", "sequence": UBIQUITIN}]
        assert "variants.0.mutations" in problems("variant_comparison", base | {"variants": both})

    def test_count_limits_and_duplicate_names(self):
        base = {"wildtype_sequence": UBIQUITIN}
        assert "variants" in problems("variant_comparison", base | {"variants": []})
        many = [{"mutations": f"K6{aa}"} for aa in "ACDEFGHILMNPQRSTVWY"] + [
            {"mutations": "K11A"},
            {"mutations": "K27A"},
        ]
        assert "variants" in problems("variant_comparison", base | {"variants": many})
        twice = [{"name": "v", "mutations": "K6A"}, {"name": "v", "mutations": "K11A"}]
        assert "used twice" in problems("variant_comparison", base | {"variants": twice})["variants.1.name"]

    def test_msa_warning_and_repeat_warning(self):
        variants = [{"mutations": "K6A"}, {"name": "same", "sequence": UBIQUITIN[:5] + "A" + UBIQUITIN[6:]}]
        validated = validate_task_input(
            "variant_comparison", {"wildtype_sequence": UBIQUITIN, "variants": variants}, Settings()
        )
        messages = " ".join(w.message for w in validated.warnings)
        assert "MSA" in messages and "predicted once" in messages


class TestDrugDiscovery:
    def test_names_default_and_smiles_canonical(self):
        data = {
            "protein_sequence": LYSOZYME,
            "compounds": [{"smiles": "OC(=O)c1ccccc1OC(C)=O"}, {"name": " ibu ", "smiles": IBUPROFEN}],
        }
        compounds = validate_task_input("drug_discovery", data, Settings()).input.compounds
        assert [(c.name, c.smiles) for c in compounds] == [
            ("compound_1", ASPIRIN),
            ("ibu", "CC(C)Cc1ccc(C(C)C(=O)O)cc1"),
        ]

    def test_every_bad_row_is_reported_with_its_position(self):
        data = {
            "protein_sequence": LYSOZYME,
            "compounds": [{"smiles": ASPIRIN}, {"smiles": "C1CC"}, {"smiles": IBUPROFEN}, {"smiles": "N(C)(C)(C)(C)C"}],
        }
        assert set(problems("drug_discovery", data)) == {"compounds.1.smiles", "compounds.3.smiles"}

    def test_duplicates_are_reported(self):
        data = {
            "protein_sequence": LYSOZYME,
            "compounds": [
                {"name": "a", "smiles": ASPIRIN},
                {"name": "b", "smiles": "OC(=O)c1ccccc1OC(C)=O"},
                {"name": "a", "smiles": CARAZOLOL},
            ],
        }
        found = problems("drug_discovery", data)
        assert "same molecule as 'a'" in found["compounds.1.smiles"]
        assert "compounds.2.name" in found

    def test_compound_count_limits_and_size(self):
        assert "compounds" in problems("drug_discovery", {"protein_sequence": LYSOZYME, "compounds": []})
        huge = {"protein_sequence": LYSOZYME, "compounds": [{"smiles": "C" * 130}]}
        assert "128" in problems("drug_discovery", huge)["compounds.0.smiles"]
        big = {"protein_sequence": LYSOZYME, "compounds": [{"smiles": "C" * 60}, {"smiles": ASPIRIN}]}
        assert any(
            "1 compound(s)" in w.message for w in validate_task_input("drug_discovery", big, Settings()).warnings
        )


def test_binding_site_ligand_is_optional_but_single():
    assert (
        validate_task_input("binding_site_prediction", {"protein_sequence": LYSOZYME}, Settings()).plan.runs[0].name
        == "apo"
    )
    both = {"protein_sequence": LYSOZYME, "ligand_smiles": ASPIRIN, "ligand_ccd": "NAG"}
    assert "ligand_ccd" in problems("binding_site_prediction", both)


@pytest.mark.parametrize("data", [[], "text", 3, None])
def test_non_object_input_is_invalid(data):
    assert "" in problems("protein_structure", data)


def test_unknown_task_is_invalid():
    assert "task" in problems("folding", {})
