"""Importing Boltz output made elsewhere: real fixture folders zipped in the test, stored in real SQLite."""

from __future__ import annotations

import io
import json
import shutil
import stat
import zipfile
from pathlib import Path

import pytest

from omtx_core.boltz.outputs import parse_boltz_output
from omtx_core.domain.identity import LOCAL_OWNER
from omtx_core.domain.job import JobQuery, JobStatus
from omtx_core.errors import ImportRefused
from omtx_core.jobs.export import materialize
from omtx_core.jobs.import_input import infer_input
from omtx_core.jobs.importer import import_boltz_results
from omtx_core.tasks.protein_ligand_binding import BindingAnalysis
from tests.boltz_fixture_output import AFFINITY_CASE, AFFINITY_NAME, FIXTURES, write_prediction
from tests.services import job_service

CARAZOLOL_PIC50 = 6 + 4.068795204162598
# Neutral carazolol with the stereo centre of the predicted pose (the submitted SMILES was the protonated R form).
CARAZOLOL_AS_PREDICTED = "CC(C)NC[C@H](O)COc1cccc2[nH]c3ccccc3c12"
PMHC = FIXTURES / "BOLTZ1_multichain_pmhc_4chain" / "boltz_results_input_folder"


def zip_folder(folder: Path, prefix: str) -> bytes:
    """A ZIP of every file under `folder`, named `<prefix><path relative to folder>`."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, prefix + path.relative_to(folder).as_posix())
    return buffer.getvalue()


def zip_members(*members: tuple[zipfile.ZipInfo | str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for info, data in members:
            archive.writestr(info, data)
    return buffer.getvalue()


def special(name: str, mode: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.create_system = 3
    info.external_attr = mode << 16
    return info


def do_import(source, store, artifacts, **kwargs):
    return import_boltz_results(source, store=store, artifacts=artifacts, **({"owner": LOCAL_OWNER} | kwargs))


def test_zip_import_is_a_completed_protein_ligand_binding_job(store, artifacts, tmp_path):
    data = zip_folder(AFFINITY_CASE, f"{AFFINITY_CASE.name}/")
    job = do_import(data, store, artifacts)
    assert store.get(job.id) == job and job.status == JobStatus.COMPLETED and job.engine == "import"
    assert job.task_type == "protein_ligand_binding" and job.job_name == f"Imported: {AFFINITY_NAME}"
    assert job.input["ligand_smiles"] == CARAZOLOL_AS_PREDICTED and job.input["predict_affinity"] is True
    assert len(job.input["protein_sequence"]) == 413 and job.input["protein_sequence"].startswith("MGQPGNGSAF")
    assert job.progress_done == job.progress_total == 1 and job.started_at and job.finished_at
    assert job.result["runs"][AFFINITY_NAME]["pic50"] == pytest.approx(CARAZOLOL_PIC50)
    document = json.loads(artifacts.get(f"results/{job.id}/result.json"))
    run = document["runs"][AFFINITY_NAME]
    assert [c["id"] for c in run["chains"]] == ["A", "L"] and artifacts.exists(run["models"][0]["structure_path"])
    typed = job_service(store, artifacts).result_document(job)  # analysed as a run: the task's model, filled
    assert isinstance(typed.analysis, BindingAnalysis) and typed.analysis.contacts
    assert typed.runs[AFFINITY_NAME].affinity.pic50 == pytest.approx(CARAZOLOL_PIC50)
    assert set(job.artifacts) == set(artifacts.list(f"results/{job.id}/")) | {f"logs/{job.id}/engine.log"}
    assert "did not run this job" in artifacts.get(f"logs/{job.id}/engine.log").decode()
    (prediction,) = parse_boltz_output(materialize(job, artifacts, tmp_path / "cache"))
    assert prediction.affinity.pic50 == pytest.approx(CARAZOLOL_PIC50)


def test_imported_jobs_are_never_served_as_cache_hits(store, artifacts, worker):
    job = do_import(zip_folder(AFFINITY_CASE, ""), store, artifacts, job_name="From the cluster")
    assert job.job_name == "From the cluster" and job.input_hash.startswith("import:") and not job.cache_hit
    real = job_service(store).submit(job.task_type, job.input).job
    assert not real.cache_hit and real.status == JobStatus.PENDING
    assert real.input_hash == job.input_hash.removeprefix("import:")


@pytest.mark.parametrize(
    ("folder", "prefix"),
    [
        (AFFINITY_CASE, "downloads/run 3/"),  # the output inside a wrapping folder
        (AFFINITY_CASE / "predictions", "predictions/"),
        (AFFINITY_CASE / "predictions" / AFFINITY_NAME, ""),  # only the prediction's files
    ],
)
def test_zip_layouts_boltz_users_make_are_found(store, artifacts, folder, prefix):
    job = do_import(zip_folder(folder, prefix), store, artifacts)
    assert job.task_type == "protein_ligand_binding" and list(job.result["runs"]) == [AFFINITY_NAME]
    assert artifacts.exists(f"results/{job.id}/boltz_results/predictions/{AFFINITY_NAME}/affinity_{AFFINITY_NAME}.json")


def test_folder_import_of_a_four_chain_complex(store, artifacts):
    job = do_import(PMHC, store, artifacts, owner="alice")
    assert job.owner == "alice" and job.task_type == "protein_complex"
    assert [(c["id"], c["type"], len(c["sequence"])) for c in job.input["chains"]] == [
        ("A", "protein", 144),
        ("B", "protein", 276),
        ("C", "protein", 100),
        ("D", "protein", 9),
    ]
    assert job.input["options"]["diffusion_samples"] == 3 and job.result["runs_completed"] == 1
    document = json.loads(artifacts.get(f"results/{job.id}/result.json"))
    assert len(document["runs"]["pmhc_binder_multi_target_chain"]["models"]) == 3
    assert "the folder boltz_results_input_folder" in artifacts.get(f"logs/{job.id}/engine.log").decode()


def test_a_ligand_without_recoverable_bond_orders_or_affinity_falls_back_to_the_protein(
    store, artifacts, tmp_path, monkeypatch
):
    monkeypatch.setattr("omtx_core.jobs.import_input.recover_smiles", lambda atoms: None)
    folder = tmp_path / AFFINITY_CASE.name
    shutil.copytree(AFFINITY_CASE, folder)
    (folder / "predictions" / AFFINITY_NAME / f"affinity_{AFFINITY_NAME}.json").unlink()  # not a binding job
    job = do_import(folder, store, artifacts)
    assert job.task_type == "protein_structure" and len(job.input["protein_sequence"]) == 413
    log = artifacts.get(f"logs/{job.id}/engine.log").decode()
    assert "SMILES is unknown" in log and "chain L is left out" in log


def test_a_ccd_ligand_keeps_its_code(tmp_path):
    results = tmp_path / "boltz_results_atp"
    folder = write_prediction(results, "atp")
    cif = folder / "atp_model_0.cif"
    cif.write_text(cif.read_text().replace("LIG1", "ATP"))
    (prediction,) = parse_boltz_output(results)
    task, data, notes = infer_input(prediction, "ATP site")
    assert task == "protein_ligand_binding" and data["ligand_ccd"] == "ATP" and data["ligand_smiles"] is None
    assert data["job_name"] == "ATP site" and notes == ["The ligand in chain L is the CCD component ATP."]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (zip_members((zipfile.ZipInfo("/etc/boltz.json"), b"{}")), "an absolute path"),
        (zip_members(("boltz_results_x/../../evil.json", b"{}")), r"outside the archive \('\.\.'\)"),
        (zip_members((special("boltz_results_x/link", stat.S_IFLNK | 0o777), b"/etc/passwd")), "a symbolic link"),
        (zip_members((special("boltz_results_x/pipe", stat.S_IFIFO | 0o644), b"")), "not a regular file"),
        (zip_members(("notes/readme.txt", b"hello")), "not Boltz output"),
        (b"PK but not really a zip", "not a ZIP archive"),
    ],
    ids=["absolute", "dotdot", "symlink", "fifo", "not-boltz", "not-zip"],
)
def test_unsafe_or_foreign_archives_are_refused_with_a_reason(store, artifacts, data, message):
    with pytest.raises(ImportRefused, match=message) as refused:
        do_import(data, store, artifacts)
    assert refused.value.hint and "/tmp" not in refused.value.message
    assert store.list(JobQuery()).total == 0 and artifacts.list("results") == []


def test_encrypted_members_are_refused(store, artifacts):
    data = bytearray(zip_members(("boltz_results_x/a.json", b"{}")))
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):  # the "encrypted" flag, in both headers
        data[data.index(signature) + offset] |= 0x1
    with pytest.raises(ImportRefused, match="password-protected"):
        do_import(bytes(data), store, artifacts)


def test_archives_expanding_past_the_limit_are_refused(store, artifacts):
    data = zip_folder(AFFINITY_CASE, "")
    with pytest.raises(ImportRefused, match=r"expands to .* more than the 1000 bytes allowed"):
        do_import(data, store, artifacts, max_bytes=1000)


def test_a_zip_bomb_with_lying_sizes_is_stopped(store, artifacts):
    data = bytearray(zip_members(("boltz_results_x/predictions/x/big.json", b"0" * 5_000_000)))
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):  # local and central uncompressed size
        at = data.index(signature) + offset
        data[at : at + 4] = (100).to_bytes(4, "little")
    with pytest.raises(ImportRefused, match="damaged|expands"):
        do_import(bytes(data), store, artifacts, max_bytes=1000)
    assert artifacts.list("results") == []


def test_folder_sources_with_links_or_unstorable_names_are_refused(store, artifacts, tmp_path):
    linked = tmp_path / "linked"
    shutil.copytree(AFFINITY_CASE, linked)
    pae = linked / "predictions" / AFFINITY_NAME / f"pae_{AFFINITY_NAME}_model_0.npz"
    pae.unlink()
    pae.symlink_to(AFFINITY_CASE / "predictions" / AFFINITY_NAME / pae.name)
    with pytest.raises(ImportRefused, match="link or special file"):
        do_import(linked, store, artifacts)
    spaced = tmp_path / "boltz_results_spaced"
    write_prediction(spaced, "my run")
    with pytest.raises(ImportRefused, match="name the job store cannot hold"):
        do_import(zip_folder(spaced, ""), store, artifacts)
    with pytest.raises(ImportRefused, match="no file or folder"):
        do_import(tmp_path / "missing", store, artifacts)
