"""The command line contract: validate, plan and inspect, with exit code 2 and no traceback on bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.examples import VALID_INPUTS

REPO = Path(__file__).resolve().parents[1]


def cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "omtx_core", *args], cwd=REPO, input=stdin, capture_output=True, text=True, timeout=120
    )


def write(tmp_path: Path, data, name: str = "input.json") -> str:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return str(path)


def test_validate_prints_normalised_json_and_warnings_on_stderr(tmp_path):
    data = {
        "protein_sequence": ">x\n" + VALID_INPUTS["protein_structure"]["protein_sequence"].lower(),
        "options": {"seed": 3},
    }
    result = cli("validate", "protein_structure", write(tmp_path, data))
    assert result.returncode == 0, result.stderr
    output = json.loads(result.stdout)
    assert output["protein_sequence"] == VALID_INPUTS["protein_structure"]["protein_sequence"]
    assert output["options"]["seed"] == 3 and output["options"]["diffusion_samples"] == 1

    salty = {"protein_sequence": output["protein_sequence"] * 2, "ligand_smiles": "CCO.Cl"}
    result = cli("validate", "protein_ligand_binding", write(tmp_path, salty))
    assert result.returncode == 0 and "warning: ligand_smiles" in result.stderr


@pytest.mark.parametrize(
    ("task", "content", "expected"),
    [
        ("protein_structure", {"protein_sequence": "MKX1"}, "protein_sequence: Residue 4 is '1'"),
        (
            "drug_discovery",
            {
                "protein_sequence": VALID_INPUTS["drug_discovery"]["protein_sequence"],
                "compounds": [{"smiles": "CCO"}, {"smiles": "C1CC"}],
            },
            "compounds.1.smiles: ",
        ),
        ("protein_structure", "[1, 2]", "must be a JSON object"),
        ("protein_structure", "{not json", "is not valid JSON"),
        ("folding", {}, "Unknown task 'folding'"),
    ],
)
def test_invalid_input_exits_2_with_one_line_per_problem(tmp_path, task, content, expected):
    result = cli("validate", task, write(tmp_path, content))
    assert result.returncode == 2
    assert expected in result.stderr and "Traceback" not in result.stderr and result.stdout == ""


def test_two_problems_give_two_lines(tmp_path):
    result = cli("validate", "protein_ligand_binding", write(tmp_path, {"protein_sequence": "MK", "extra": 1}))
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2 and len(lines) == 2
    assert lines[0].startswith("protein_sequence: ") and lines[1].startswith("extra: ")


def test_missing_file_is_invalid_input(tmp_path):
    result = cli("validate", "protein_structure", str(tmp_path / "nope.json"))
    assert result.returncode == 2 and "Cannot read" in result.stderr and "Traceback" not in result.stderr


def test_plan_writes_yaml_files_and_prints_run_names(tmp_path):
    out = tmp_path / "runs"
    result = cli("plan", "variant_comparison", write(tmp_path, VALID_INPUTS["variant_comparison"]), "--out", str(out))
    assert result.returncode == 0, result.stderr
    names = result.stdout.split()
    assert names == ["wildtype", "variant_K6A", "variant_I44A_K48R", "variant_L8S"]
    assert sorted(p.name for p in out.iterdir()) == sorted(f"{n}.yaml" for n in names)
    assert (out / "wildtype.yaml").read_text().startswith("version: 1\n")


def test_plan_reads_stdin_and_rejects_bad_input(tmp_path):
    result = cli(
        "plan", "protein_structure", "-", "--out", str(tmp_path), stdin=json.dumps(VALID_INPUTS["protein_structure"])
    )
    assert result.returncode == 0 and result.stdout.strip() == "structure"
    result = cli("plan", "protein_structure", "-", "--out", str(tmp_path / "x"), stdin="{}")
    assert result.returncode == 2 and "protein_sequence: This field is required" in result.stderr
    assert not (tmp_path / "x").exists()


def test_inspect_json_on_both_fixtures(fixtures_dir):
    result = cli("inspect", str(fixtures_dir / "protein_ligand_affinity_b2ar_carazolol"), "--json")
    assert result.returncode == 0, result.stderr
    (prediction,) = json.loads(result.stdout)["predictions"]
    assert [c["id"] for c in prediction["chains"]] == ["A", "L"]
    assert prediction["affinity"]["pic50"] == pytest.approx(10.0688, abs=1e-3)
    assert set(prediction["models"][0]["chains_ptm"]) == {"A", "L"}

    folder = fixtures_dir / "BOLTZ1_multichain_pmhc_4chain" / "boltz_results_input_folder"
    (prediction,) = json.loads(cli("inspect", str(folder), "--json").stdout)["predictions"]
    assert [m["rank"] for m in prediction["models"]] == [0, 1, 2]
    assert list(prediction["models"][0]["pair_chains_iptm"]) == ["A", "B", "C", "D"]
    assert prediction["affinity"] is None


def test_inspect_table_and_not_boltz_output(fixtures_dir, tmp_path):
    result = cli("inspect", str(fixtures_dir / "protein_ligand_affinity_b2ar_carazolol"))
    assert "pIC50 10.07" in result.stdout
    result = cli("inspect", str(tmp_path), "--json")
    assert result.returncode == 2 and "not Boltz output" in result.stderr and "Traceback" not in result.stderr


def test_inspect_table_shows_plddt_on_the_0_100_scale(fixtures_dir, capsys):
    from omtx_core import cli as command

    assert command.main(["inspect", str(fixtures_dir / "protein_ligand_affinity_b2ar_carazolol")]) == 0
    out = capsys.readouterr().out
    assert "mean pLDDT 78.9 (0–100)" in out and "pLDDT 0.789" not in out  # the npz holds 0.7887
    assert command.main(["inspect", str(fixtures_dir / "BOLTZ1_multichain_pmhc_4chain")]) == 0
    pmhc = capsys.readouterr().out
    assert "model 0:" in pmhc and "mean pLDDT 95.4 (0–100)" in pmhc
