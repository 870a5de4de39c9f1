"""`import PATH` and `jobs result ID` on the embedded default (SQLite in a temporary data folder), in-process."""

from __future__ import annotations

import json

import pytest

from omtx_core.cli import main
from tests.boltz_fixture_output import AFFINITY_CASE, AFFINITY_NAME, FIXTURES
from tests.examples import VALID_INPUTS
from tests.jobs.test_importer import zip_folder, zip_members

CARAZOLOL_FOLDER = FIXTURES / "protein_ligand_affinity_b2ar_carazolol"
PMHC_FOLDER = FIXTURES / "BOLTZ1_multichain_pmhc_4chain"
CARAZOLOL_PIC50 = 6 + 4.068795204162598


@pytest.fixture
def cli(tmp_path, monkeypatch, capsys):
    """Run one command as `python -m omtx_core ...` would: its exit code, stdout and stderr."""
    monkeypatch.setenv("OMTX_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("OMTX_BOLTZ_COMMAND", str(tmp_path / "no-boltz-installed"))

    def run(*args: str) -> tuple[int, str, str]:
        code = main([str(arg) for arg in args])
        out, err = capsys.readouterr()
        return code, out, err

    return run


def imported(cli, *args) -> str:
    code, out, err = cli("import", *args)
    assert code == 0, err
    return out.strip().splitlines()[-1]


def result(cli, job_id: str) -> dict:
    code, out, err = cli("jobs", "result", job_id, "--json")
    assert code == 0, err
    return json.loads(out)


def test_importing_the_binding_fixture_gives_the_task_and_analysis_a_run_would(cli):
    job_id = imported(cli, CARAZOLOL_FOLDER)
    document = result(cli, job_id)
    assert document["task_type"] == "protein_ligand_binding" and document["job_id"] == job_id
    assert document["runs"][AFFINITY_NAME]["affinity"]["pic50"] == pytest.approx(CARAZOLOL_PIC50)
    assert document["analysis"]["contacts"][0]["residue"] == "A:113:ASP"


def test_importing_the_complex_fixture_gives_its_interfaces(cli):
    document = result(cli, imported(cli, PMHC_FOLDER))
    assert document["task_type"] == "protein_complex"
    assert {tuple(i["chains"]) for i in document["analysis"]["interfaces"]} >= {("B", "C"), ("B", "D"), ("A", "B")}


def test_a_zip_with_a_name_and_a_readable_result(cli, tmp_path):
    archive = tmp_path / "run.zip"
    archive.write_bytes(zip_folder(AFFINITY_CASE, f"{AFFINITY_CASE.name}/"))
    code, out, err = cli("import", archive, "--name", "β2AR from the cluster")
    assert code == 0 and out.splitlines()[0].startswith("β2AR from the cluster (protein_ligand_binding): 1 prediction")
    assert "recovered from its coordinates" in err and "bond orders perceived" in err  # how the ligand was read
    code, out, _ = cli("jobs", "result", out.strip().splitlines()[-1])
    assert code == 0 and out.startswith("β2AR from the cluster (protein_ligand_binding)")
    assert "affinity: pIC50 10.07" in out and "binder probability 0.999" in out and "mean pLDDT 78.9 (0–100)" in out
    assert "contacts: 18 row(s)" in out and "A:113:ASP" in out


def test_an_unsafe_archive_or_name_is_refused_and_nothing_is_stored(cli, tmp_path):
    archive = tmp_path / "evil.zip"
    archive.write_bytes(zip_members(("boltz_results_x/../../evil.json", b"{}")))
    code, out, err = cli("import", archive)
    assert code == 2 and "outside the archive" in err and "Traceback" not in err and out == ""
    code, _, err = cli("import", PMHC_FOLDER, "--name", "bad\x1bname")  # a name that cannot be stored: said so
    assert code == 2 and "control or invisible character U+001B at position 4" in err
    code, out, _ = cli("jobs", "list", "--json")
    assert code == 0 and json.loads(out) == []


def test_a_missing_path_and_an_unfinished_job_are_plain_errors(cli, tmp_path):
    code, _, err = cli("import", tmp_path / "nowhere")
    assert code == 2 and "no file or folder" in err
    code, _, err = cli("jobs", "result", "0123456789abcdef")
    assert code == 2 and "no job" in err
    data = tmp_path / "input.json"
    data.write_text(json.dumps(VALID_INPUTS["protein_structure"]))
    code, out, _ = cli("submit", "protein_structure", data)  # no engine: it stays pending
    code, _, err = cli("jobs", "result", out.strip().splitlines()[-1])
    assert code == 2 and "has no results: it is pending" in err


def test_jobs_show_gives_plddt_on_the_0_100_scale(cli):
    job_id = imported(cli, CARAZOLOL_FOLDER)
    code, out, err = cli("jobs", "show", job_id)
    assert code == 0, err
    assert "complex_pLDDT_0_100 78.873" in out and "complex_plddt" not in out
