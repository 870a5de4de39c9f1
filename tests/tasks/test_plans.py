"""Every task's plan: the runs, their YAML (checked against Boltz-2's schema rules) and CLI flags."""

from __future__ import annotations

import pytest

from omtx_core.boltz.plan import safe_name
from omtx_core.config import Settings
from omtx_core.tasks import TASKS, validate_task_input
from tests.boltz_rules import check_boltz_yaml
from tests.examples import ASPIRIN, CARAZOLOL, IBUPROFEN, LYSOZYME, UBIQUITIN, VALID_INPUTS


def plan_of(task: str, data: dict):
    return validate_task_input(task, data, Settings()).plan


def documents(plan) -> dict[str, dict]:
    return {run.name: check_boltz_yaml(run.yaml_text, run.cli_args()) for run in plan.runs}


@pytest.mark.parametrize("task", TASKS)
@pytest.mark.parametrize("use_msa_server", [True, False])
def test_every_plan_satisfies_boltz_schema_rules(task, use_msa_server):
    data = dict(VALID_INPUTS[task], options={"use_msa_server": use_msa_server})
    plan = plan_of(task, data)
    assert plan.task_type == task
    for name, document in documents(plan).items():
        assert safe_name(name) == name
        proteins = [entry["protein"] for entry in document["sequences"] if "protein" in entry]
        assert all(("msa" in p) != use_msa_server for p in proteins)
        if not use_msa_server:
            assert all(p["msa"] == "empty" for p in proteins)


def test_binding_plan_has_pocket_and_affinity():
    plan = plan_of("protein_ligand_binding", VALID_INPUTS["protein_ligand_binding"])
    (document,) = documents(plan).values()
    assert document["sequences"] == [
        {"protein": {"id": "A", "sequence": LYSOZYME}},
        {"ligand": {"id": "L", "smiles": ASPIRIN}},
    ]
    assert document["constraints"] == [
        {"pocket": {"binder": "L", "contacts": [["A", 35], ["A", 52]], "max_distance": 6.0, "force": False}}
    ]
    assert document["properties"] == [{"affinity": {"binder": "L"}}]
    args = plan.runs[0].cli_args()
    assert args[args.index("--diffusion_samples_affinity") + 1] == "5"


def test_binding_without_affinity_has_no_affinity_property_or_flags():
    data = {"protein_sequence": LYSOZYME, "ligand_ccd": "HEM", "predict_affinity": False}
    plan = plan_of("protein_ligand_binding", data)
    (document,) = documents(plan).values()
    assert "properties" not in document and document["sequences"][1] == {"ligand": {"id": "L", "ccd": "HEM"}}
    assert "--sampling_steps_affinity" not in plan.runs[0].cli_args()


def test_options_map_to_boltz_flags():
    options = {
        "recycling_steps": 10,
        "sampling_steps": 100,
        "diffusion_samples": 5,
        "use_potentials": True,
        "seed": 7,
        "step_scale": 1.2,
        "affinity_mw_correction": True,
        "use_msa_server": False,
    }
    args = (
        plan_of("protein_ligand_binding", {**VALID_INPUTS["protein_ligand_binding"], "options": options})
        .runs[0]
        .cli_args()
    )
    pairs = {args[i]: args[i + 1] for i in range(len(args) - 1) if args[i].startswith("--")}
    assert pairs["--recycling_steps"] == "10" and pairs["--sampling_steps"] == "100"
    assert pairs["--diffusion_samples"] == "5" and pairs["--seed"] == "7" and pairs["--step_scale"] == "1.2"
    assert pairs["--model"] == "boltz2"
    assert "--use_potentials" in args and "--affinity_mw_correction" in args and "--use_msa_server" not in args


def test_complex_keeps_every_chain_separate_and_merges_identical_ones():
    plan = plan_of("protein_complex", VALID_INPUTS["protein_complex"])
    (document,) = documents(plan).values()
    assert document["sequences"] == [
        {"protein": {"id": ["A", "B"], "sequence": UBIQUITIN}},
        {"protein": {"id": "C", "sequence": LYSOZYME}},
        {"dna": {"id": "D", "sequence": "ATGCGTACGTTAGC"}},
        {"ligand": {"id": "E", "ccd": "ATP"}},
    ]
    assert plan.runs[0].tokens == 2 * 76 + 129 + 14 + 31  # ATP has 31 heavy atoms


def test_complex_identical_chains_given_separately_share_one_entry():
    chains = [
        {"type": "protein", "sequence": UBIQUITIN},
        {"type": "protein", "sequence": LYSOZYME},
        {"type": "protein", "sequence": UBIQUITIN},
    ]
    (document,) = documents(plan_of("protein_complex", {"chains": chains})).values()
    assert [next(iter(e.values()))["id"] for e in document["sequences"]] == [["A", "C"], "B"]


def test_variants_plan_wildtype_plus_one_run_per_distinct_sequence():
    variants = [
        {"mutations": "K6A"},
        {"mutations": "I44A/K48R"},
        {"name": "same as K6A", "sequence": UBIQUITIN[:5] + "A" + UBIQUITIN[6:]},
    ]
    plan = plan_of(
        "variant_comparison", {"wildtype_sequence": UBIQUITIN, "variants": variants, "ligand_smiles": IBUPROFEN}
    )
    assert [(r.name, r.members) for r in plan.runs] == [
        ("wildtype", ("wildtype",)),
        ("variant_K6A", ("K6A", "same as K6A")),
        ("variant_I44A_K48R", ("I44A/K48R",)),
    ]
    docs = documents(plan)
    assert docs["variant_K6A"]["sequences"][0]["protein"]["sequence"][5] == "A"
    assert docs["variant_I44A_K48R"]["sequences"][0]["protein"]["sequence"][43] == "A"
    assert all(d["properties"] == [{"affinity": {"binder": "L"}}] for d in docs.values())
    assert len(plan.shared_proteins) == 3


def test_drug_discovery_one_run_per_compound_sharing_the_target():
    plan = plan_of("drug_discovery", VALID_INPUTS["drug_discovery"])
    assert [r.name for r in plan.runs] == ["c00001_aspirin", "c00002_compound_2", "c00003_carazolol"]
    assert plan.shared_proteins == {LYSOZYME: tuple(r.name for r in plan.runs)}
    docs = documents(plan)
    assert docs["c00003_carazolol"]["sequences"][1] == {"ligand": {"id": "L", "smiles": CARAZOLOL}}


def test_run_names_are_file_system_safe_and_unique():
    compounds = [
        {"name": "a/b c", "smiles": ASPIRIN},
        {"name": "a b/c", "smiles": IBUPROFEN},
        {"name": "../../etc", "smiles": CARAZOLOL},
    ]
    names = [r.name for r in plan_of("drug_discovery", {"protein_sequence": LYSOZYME, "compounds": compounds}).runs]
    assert names == ["c00001_a_b_c", "c00002_a_b_c", "c00003_etc"]


def test_plan_writes_one_yaml_per_run(tmp_path):
    plan = plan_of("variant_comparison", VALID_INPUTS["variant_comparison"])
    files = plan.write(tmp_path / "inputs")
    assert sorted(p.name for p in (tmp_path / "inputs").iterdir()) == sorted(files)
    assert len(files) == len(plan.runs) == 4


def test_large_screen_plans_quickly():
    compounds = [{"smiles": "C" * (i % 50 + 1) + "N" + "C" * (i // 50 + 1) + "O"} for i in range(2000)]
    plan = plan_of("drug_discovery", {"protein_sequence": LYSOZYME, "compounds": compounds})
    assert len(plan.runs) == 2000 and len(plan.shared_proteins[LYSOZYME]) == 2000


def test_names_that_clash_after_the_length_cut_stay_safe_and_distinct():
    from omtx_core.boltz.plan import MAX_RUN_NAME, unique_run_names

    labels = ["x" * 61 + "_yz1", "x" * 61 + "_yz2", "x" * 61 + "_yz3"]  # all cut to one base ending in '_yz'
    names = unique_run_names(labels)
    assert len(set(names)) == 3 and all(len(n) <= MAX_RUN_NAME and "__" not in n for n in names)
