"""Each task's analysis finds the protein and ligand chains by their types in the output, whatever their letters."""

from __future__ import annotations

import pytest

from omtx_core.boltz.outputs import parse_boltz_output
from omtx_core.config import Settings
from omtx_core.tasks import validate_task_input
from tests.examples import CARAZOLOL
from tests.jobs.test_task_analysis import b2ar
from tests.renamed_chains import renamed_case


@pytest.fixture(scope="module")
def renamed(tmp_path_factory):
    """The carazolol prediction as another author's YAML named it: the protein R, the ligand X (not A and L)."""
    return parse_boltz_output(renamed_case(tmp_path_factory.mktemp("renamed"), {"A": "R", "L": "X"}))[0]


def analysed(task: str, data: dict, prediction, **others):
    """The task's analysis with every run of its plan answered by `prediction` (or by `others`, by run name)."""
    validated = validate_task_input(task, data, Settings())
    predictions = {run.name: others.get(run.name, prediction) for run in validated.plan.runs}
    return validated.input.analyse(validated.plan, predictions, {})


def test_binding_contacts_and_pocket_check_on_the_chains_the_output_names(renamed):
    data = {"protein_sequence": b2ar(), "ligand_smiles": CARAZOLOL, "pocket_residues": [113, 312]}
    analysis = analysed("protein_ligand_binding", data, renamed)
    assert analysis.contacts[0].residue == "R:113:ASP" and {c.chain for c in analysis.contacts} == {"R"}
    assert [(c.residue, c.satisfied) for c in analysis.pocket_check] == [("R:113:ASP", True), ("R:312:ASN", True)]


def test_binding_site_contacts_and_ligand_pocket_on_the_chains_the_output_names(renamed):
    analysis = analysed("binding_site_prediction", {"protein_sequence": b2ar(), "ligand_smiles": CARAZOLOL}, renamed)
    assert analysis.contacts[0].residue == "R:113:ASP" and analysis.ligand_pocket == "P1"
    assert all(residue.startswith("R:") for residue in analysis.pockets[0].residues)


def test_variant_comparison_on_the_protein_chain_the_output_names(renamed, tmp_path):
    mutant = parse_boltz_output(renamed_case(tmp_path, {"A": "R", "L": "X"}, {113: "ALA"}))[0]
    data = {"wildtype_sequence": b2ar(), "variants": [{"mutations": "D113A"}]}
    (row,) = analysed("variant_comparison", data, renamed, variant_D113A=mutant).variants
    assert row.tm_score == pytest.approx(1.0) and row.rmsd_A == pytest.approx(0.0, abs=1e-3)


def test_screen_rows_and_complex_interfaces_on_the_chains_the_output_names(renamed):
    screen = analysed("drug_discovery", {"protein_sequence": b2ar(), "compounds": [{"smiles": CARAZOLOL}]}, renamed)
    assert screen.rows[0].pocket_plddt == pytest.approx(90.7, abs=0.05)
    chains = [{"type": "protein", "sequence": b2ar()}, {"type": "ligand", "smiles": CARAZOLOL}]
    (interface,) = analysed("protein_complex", {"chains": chains}, renamed).interfaces
    assert set(interface.chains) == {"R", "X"}
