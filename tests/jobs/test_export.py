"""Job downloads over a real SQLite store and fixture-engine results: local folder, PDB, metrics CSV, ZIPs."""

from __future__ import annotations

import csv
import io
import json
import threading
import zipfile

import gemmi
import numpy as np
import pytest

from omtx_core.boltz.outputs import parse_boltz_output
from omtx_core.config import Settings
from omtx_core.domain.job import JobStatus
from omtx_core.errors import OmtxError
from omtx_core.jobs.export import (
    METRIC_COLUMNS,
    job_zip,
    jobs_zip,
    materialize,
    metrics_csv,
    metrics_rows,
    pdb_from_cif,
)
from omtx_core.jobs.results import read_result_document
from omtx_core.tasks import validate_task_input
from omtx_core.tasks.protein_ligand_binding import BindingAnalysis
from tests.boltz_fixture_output import AFFINITY_CASE, AFFINITY_NAME
from tests.examples import VALID_INPUTS
from tests.services import job_service

CARAZOLOL_PIC50 = 6 + 4.068795204162598
PREDICTION = AFFINITY_CASE / "predictions" / AFFINITY_NAME
CIF = PREDICTION / f"{AFFINITY_NAME}_model_0.cif"


def completed(store, worker, task="protein_ligand_binding"):
    job = job_service(store).submit(task, VALID_INPUTS[task]).job
    done = worker.run_once()
    assert done.id == job.id and done.status == JobStatus.COMPLETED
    return done


def zip_names(data: bytes) -> list[str]:
    return zipfile.ZipFile(io.BytesIO(data)).namelist()


def test_materialize_downloads_a_parsable_boltz_folder_once(store, artifacts, worker, tmp_path, monkeypatch):
    job = completed(store, worker)
    folder = materialize(job, artifacts, tmp_path / "cache")
    assert folder == tmp_path / "cache" / job.id / "boltz_results"
    (prediction,) = parse_boltz_output(folder)
    assert prediction.name == "binding" and [c.id for c in prediction.chains] == ["A", "L"]
    assert prediction.affinity.pic50 == pytest.approx(CARAZOLOL_PIC50)
    assert (folder / "processed" / "records" / "binding.json").is_file()
    assert [p.name for p in folder.parent.iterdir()] == ["boltz_results"]  # no temporary folder left behind
    monkeypatch.setattr(artifacts, "get", lambda key: pytest.fail(f"downloaded {key} again"))
    assert materialize(job, artifacts, tmp_path / "cache") == folder


def test_concurrent_materialize_calls_agree_on_one_whole_folder(store, artifacts, worker, tmp_path):
    job = completed(store, worker)
    found, errors = [], []

    def fetch():
        try:
            found.append(materialize(job, artifacts, tmp_path / "cache"))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=fetch) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors and len(set(found)) == 1
    assert [p.name for p in found[0].parent.iterdir()] == ["boltz_results"]
    assert parse_boltz_output(found[0])[0].affinity is not None


def test_materialize_refuses_a_job_without_results(store, artifacts, tmp_path):
    job = job_service(store).submit("protein_structure", VALID_INPUTS["protein_structure"]).job
    with pytest.raises(OmtxError, match="no results: it is pending"):
        materialize(job, artifacts, tmp_path / "cache")


def test_pdb_from_cif_keeps_chains_plddt_and_ligand_as_hetatm():
    pdb = pdb_from_cif(CIF.read_text())
    lines = pdb.splitlines()
    atoms = [line for line in lines if line.startswith("ATOM")]
    hetatms = [line for line in lines if line.startswith("HETATM")]
    assert len(hetatms) == 22 and all(line[17:20] == "LIG" and line[21] == "L" for line in hetatms)
    assert {line[21] for line in atoms} == {"A"}
    plddt = np.load(PREDICTION / f"plddt_{AFFINITY_NAME}_model_0.npz")["plddt"]
    ca_b = np.array([float(line[60:66]) for line in atoms if line[12:16] == " CA "])
    assert len(ca_b) == 413 and np.allclose(ca_b, plddt[:413] * 100, atol=0.01)
    ligand_b = np.array([float(line[60:66]) for line in hetatms])
    assert np.allclose(ligand_b, plddt[413:] * 100, atol=0.01)
    parsed = gemmi.read_pdb_string(pdb)
    assert [chain.name for chain in parsed[0]] == ["A", "L"]


def _structure_text(chain_name: str, atoms: int) -> str:
    structure = gemmi.Structure()
    structure.add_model(gemmi.Model("1"))
    chain = gemmi.Chain(chain_name)
    for number in range(1, atoms // 10 + 1):
        residue = gemmi.Residue()
        residue.name, residue.seqid = "ALA", gemmi.SeqId(number, " ")
        for k in range(10):
            atom = gemmi.Atom()
            atom.name, atom.element, atom.pos = "CA", gemmi.Element("C"), gemmi.Position(number * 0.1, k, 0)
            residue.add_atom(atom)
        chain.add_residue(residue)
    structure[0].add_chain(chain)
    return structure.make_mmcif_document().as_string()


@pytest.mark.parametrize(
    ("chain_name", "atoms", "message"),
    [("ABC", 20, "Chain id ABC is too long"), ("A", 100_010, "100,010 atoms")],
)
def test_pdb_from_cif_refuses_what_pdb_cannot_hold(chain_name, atoms, message):
    with pytest.raises(OmtxError, match=message) as raised:
        pdb_from_cif(_structure_text(chain_name, atoms))
    assert ".cif" in raised.value.hint


def test_pdb_from_cif_writes_two_letter_chain_ids_and_refuses_non_cif():
    assert pdb_from_cif(_structure_text("AB", 10)).splitlines()[-3][20:22] == "AB"
    with pytest.raises(OmtxError, match="cannot be read as mmCIF"):
        pdb_from_cif("this is not a structure")


def test_metrics_csv_has_one_row_per_run_with_lab_units(store, artifacts, worker):
    job = completed(store, worker)
    text = metrics_csv(job, read_result_document(job.id, artifacts))
    reader = csv.DictReader(io.StringIO(text))
    assert tuple(reader.fieldnames) == METRIC_COLUMNS
    (row,) = list(reader)
    assert row["run"] == "binding" and row["status"] == "completed" and row["model_rank"] == "0"
    assert float(row["pIC50"]) == pytest.approx(CARAZOLOL_PIC50)
    assert float(row["IC50_nM"]) == pytest.approx(10 ** (6 - CARAZOLOL_PIC50) * 1000)
    assert float(row["dG_kcal_per_mol"]) == pytest.approx(-CARAZOLOL_PIC50 * 1.364)
    assert float(row["binder_probability"]) == pytest.approx(0.99879, abs=1e-4)
    assert float(row["log10_IC50_uM_head2"]) == pytest.approx(-4.0315, abs=1e-4)
    assert float(row["ligand_ipTM"]) == pytest.approx(0.98928, abs=1e-4) and row["failure_reason"] == ""


def test_metrics_csv_gives_plddt_on_the_0_100_scale_with_the_unit_in_the_header(store, artifacts, worker):
    job = completed(store, worker)
    reader = csv.DictReader(io.StringIO(metrics_csv(job, read_result_document(job.id, artifacts))))
    (row,) = list(reader)
    plddt = [name for name in reader.fieldnames if "pLDDT" in name]
    assert plddt == ["complex_pLDDT_0_100", "complex_ipLDDT_0_100", "mean_pLDDT_0_100"]
    # Boltz's confidence JSON: complex_plddt 0.7887, complex_iplddt 0.8839 (0–1); the CSV reads as the B-factors do.
    assert float(row["complex_pLDDT_0_100"]) == pytest.approx(78.87, abs=0.01)
    assert float(row["complex_ipLDDT_0_100"]) == pytest.approx(88.39, abs=0.01)
    assert float(row["mean_pLDDT_0_100"]) == pytest.approx(78.87, abs=0.01)


def test_metrics_rows_list_failed_runs_with_their_reason(store, artifacts, worker, engine):
    runs = [
        run.name for run in validate_task_input("drug_discovery", VALID_INPUTS["drug_discovery"], Settings()).plan.runs
    ]
    engine.missing_runs = (runs[1],)
    job = completed(store, worker, "drug_discovery")
    rows = metrics_rows(job, read_result_document(job.id, artifacts))
    assert [(row["run"], row["status"]) for row in rows] == [
        (runs[0], "completed"),
        (runs[2], "completed"),
        (runs[1], "failed"),
    ]
    failed = rows[-1]
    assert "ran out of memory" in failed["failure_reason"] and failed["pIC50"] is None
    assert all(row["pIC50"] > 10 for row in rows[:2])


def test_job_zip_holds_the_whole_job_in_a_fixed_order(store, artifacts, worker):
    job = completed(store, worker)
    data = job_zip(job, artifacts)
    names = zip_names(data)
    prediction = "results/boltz_results/predictions/binding"
    expected = {"job.json", "input.json", "inputs/binding.yaml", "logs/engine.log", "metrics.csv", "result.json",
                f"{prediction}/binding_model_0.cif", f"{prediction}/affinity_binding.json",
                "results/boltz_results/processed/records/binding.json", "results/result.json"}  # fmt: skip
    assert expected <= set(names) and names == sorted(names)
    archive = zipfile.ZipFile(io.BytesIO(data))
    document = read_result_document(job.id, artifacts, analysis_model=BindingAnalysis)
    assert json.loads(archive.read("result.json")) == document.model_dump(mode="json")
    assert json.loads(archive.read("result.json"))["analysis"]["contacts"]  # the task's analysis, whole
    assert json.loads(archive.read("job.json"))["id"] == job.id
    assert json.loads(archive.read("input.json")) == job.input
    assert "pIC50" in archive.read("metrics.csv").decode()
    assert job_zip(job, artifacts) == data  # deterministic


def test_cache_hit_zip_carries_the_source_jobs_results(store, artifacts, worker):
    source = completed(store, worker)
    hit = job_service(store).submit("protein_ligand_binding", VALID_INPUTS["protein_ligand_binding"]).job
    assert hit.cache_hit and hit.results_from == source.id
    archive = zipfile.ZipFile(io.BytesIO(job_zip(hit, artifacts)))
    cif = "results/boltz_results/predictions/binding/binding_model_0.cif"
    assert archive.read(cif) == artifacts.get(
        f"results/{source.id}/boltz_results/predictions/binding/binding_model_0.cif"
    )
    assert json.loads(archive.read("job.json"))["id"] == hit.id
    assert {"inputs/binding.yaml", "logs/engine.log", "metrics.csv"} <= set(archive.namelist())
    assert hit.id in archive.read("metrics.csv").decode()


def test_jobs_zip_puts_each_job_in_its_own_folder(store, artifacts, worker, engine):
    first = completed(store, worker)
    second = completed(store, worker, "protein_structure")
    engine.fail_message = "Boltz exited with status 1: CUDA error."
    failed = job_service(store).submit("protein_complex", VALID_INPUTS["protein_complex"]).job
    failed = worker.run_once()
    assert failed.status == JobStatus.FAILED
    names = zip_names(jobs_zip([first, second, failed, first], artifacts))
    folders = {name.split("/")[0] for name in names}
    assert folders == {f"Protein_ligand_binding_KVFGRCEL_129_aa_C-{first.id[:8]}",  # slugs stop at 40 characters
                       f"Protein_structure_MQIFVKTL_76_aa-{second.id[:8]}",
                       f"Complex_2_protein_protein_dna_ligand-{failed.id[:8]}"}  # fmt: skip
    failed_files = {name.split("/", 1)[1] for name in names if name.startswith("Complex")}
    assert {"job.json", "input.json", "logs/engine.log"} <= failed_files and "result.json" not in failed_files


# Text a spreadsheet would run as a formula (OWASP's list: = + - @ tab carriage return).
FORMULA_NAMES = ['=HYPERLINK("http://x")', "+1", "-2+3", "@SUM(1)", "\tx", "\rx"]


def test_metrics_csv_and_job_zip_quote_formula_text_but_keep_numbers(store, artifacts, worker):
    job = completed(store, worker)
    document = read_result_document(job.id, artifacts)
    for name in FORMULA_NAMES:
        named = job.model_copy(update={"job_name": name})
        in_zip = zipfile.ZipFile(io.BytesIO(job_zip(named, artifacts))).read("metrics.csv").decode()
        for text in (metrics_csv(named, document), in_zip):
            (row,) = csv.DictReader(io.StringIO(text, newline=""))
            assert row["job_name"] == f"'{name}"
            assert float(row["log10_IC50_uM"]) == pytest.approx(-4.0688, abs=1e-4)  # negative numbers stay numbers
            assert float(row["dG_kcal_per_mol"]) == pytest.approx(-CARAZOLOL_PIC50 * 1.364)
