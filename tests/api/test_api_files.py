"""Results and files over HTTP on SQLite: the carazolol fixture imported, downloads checked for content, ETags, logs,
unsafe imports refused, and a screen's ranked CSV and SDF."""

from __future__ import annotations

import csv
import io
import zipfile

import pytest

from omtx_core.jobs.worker import Worker, WorkerTiming
from tests.boltz_fixture_output import AFFINITY_CASE, AFFINITY_NAME
from tests.crafted_output import zip_case
from tests.engines import FixtureEngine
from tests.examples import VALID_INPUTS
from tests.jobs.test_importer import zip_folder, zip_members

V1 = "/api/v1"
RUN = AFFINITY_NAME
FAST = WorkerTiming(poll_s=0.01, idle_s=0.01, retry_backoff_s=0.01, log_every_s=0.0, partial_every_s=0.0)


def upload(api, data: bytes, **form):
    return api.post(f"{V1}/import", files={"file": ("results.zip", data, "application/zip")}, data=form)


@pytest.fixture
def imported(api) -> str:
    """The carazolol fixture imported through the API: a completed protein–ligand job."""
    answer = upload(api, zip_folder(AFFINITY_CASE, f"{AFFINITY_CASE.name}/"), job_name="carazolol")
    assert answer.status_code == 201, answer.text
    job = answer.json()
    assert job["status"] == "completed" and job["job_name"] == "carazolol"
    return job["id"]


def test_the_result_document_is_typed_by_task(api, imported):
    result = api.get(f"{V1}/jobs/{imported}/result").json()
    assert result["job_id"] == imported and result["task_type"] == "protein_ligand_binding"
    assert result["runs"][RUN]["affinity"]["pic50"] == pytest.approx(10.07, abs=0.005)
    assert result["analysis"]["contacts"]  # the task's own analysis, whole


def test_the_file_list_names_every_download_with_its_type(api, imported):
    files = {f["name"]: f for f in api.get(f"{V1}/jobs/{imported}/files").json()["files"]}
    cif = f"boltz_results/predictions/{RUN}/{RUN}_model_0.cif"
    assert {"job.zip", "result.json", "metrics.csv", "engine.log", cif} <= set(files)
    assert files[cif]["content_type"] == "chemical/x-mmcif" and files[cif]["size"] > 100_000
    assert files["metrics.csv"]["content_type"].startswith("text/csv") and files["job.zip"]["size"] is None
    assert any(name.endswith(".npz") for name in files) and "compounds.csv" not in files  # not a screen


def test_downloads_have_their_content_type_and_content(api, imported):
    base = f"{V1}/jobs/{imported}/files"
    cif = api.get(f"{base}/boltz_results/predictions/{RUN}/{RUN}_model_0.cif")
    assert cif.status_code == 200 and cif.headers["content-type"] == "chemical/x-mmcif"
    assert cif.text.startswith("data_") and f'filename="{RUN}_model_0.cif"' in cif.headers["content-disposition"]
    (row,) = csv.DictReader(io.StringIO(api.get(f"{base}/metrics.csv").text))
    assert float(row["pIC50"]) == pytest.approx(10.07, abs=0.005) and row["job_id"] == imported
    archive = zipfile.ZipFile(io.BytesIO(api.get(f"{base}/job.zip").content))
    assert {"result.json", "metrics.csv", "job.json"} <= set(archive.namelist())
    assert api.get(f"{base}/result.json").json()["runs"][RUN]["affinity"]["pic50"] > 10
    missing = api.get(f"{base}/no-such-file.txt")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "artifact_not_found"


def test_etag_answers_304_when_unchanged(api, imported):
    url = f"{V1}/jobs/{imported}/files/metrics.csv"
    first = api.get(url)
    etag = first.headers["etag"]
    assert etag.startswith('"') and api.get(url).headers["etag"] == etag  # stable
    unchanged = api.get(url, headers={"If-None-Match": etag})
    assert unchanged.status_code == 304 and unchanged.content == b"" and unchanged.headers["etag"] == etag
    assert api.get(url, headers={"If-None-Match": '"other"'}).status_code == 200


def test_large_downloads_are_gzipped_on_request(api, imported):
    url = f"{V1}/jobs/{imported}/files/boltz_results/predictions/{RUN}/{RUN}_model_0.cif"
    zipped = api.get(url, headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["content-encoding"] == "gzip" and zipped.text.startswith("data_")  # httpx unpacks it


def test_logs_since_gives_only_the_new_text(api, imported):
    from omtx_core.domain.layout import JobFiles

    first = api.get(f"{V1}/jobs/{imported}/logs").json()
    assert first["text"] and first["finished"] is True and first["next"] == len(first["text"].encode())
    assert api.get(f"{V1}/jobs/{imported}/logs", params={"since": first["next"]}).json()["text"] == ""
    artifacts = api.app.state.stores[1]
    key = JobFiles(imported).engine_log
    artifacts.put(key, artifacts.get(key) + "more: ünïcode\n".encode())
    later = api.get(f"{V1}/jobs/{imported}/logs", params={"since": first["next"]}).json()
    assert later["text"] == "more: ünïcode\n" and later["next"] == first["next"] + len("more: ünïcode\n".encode())
    assert api.get(f"{V1}/jobs/{imported}/logs", params={"since": 10**9}).json()["text"] == ""
    assert api.get(f"{V1}/jobs/{imported}/logs", params={"since": -1}).status_code == 422


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"not a zip at all", "not a ZIP"),
        (zip_members(("../evil.txt", b"x")), "outside the archive"),
        (zip_members(("/etc/passwd", b"x")), "absolute path"),
        (zip_case(extra={"../../escape.json": b"{}"}), "outside the archive"),
    ],
)
def test_unsafe_imports_are_refused_with_the_reason(api, data, words):
    answer = upload(api, data)
    assert answer.status_code == 400
    error = answer.json()["error"]
    assert error["code"] == "import_refused" and words in error["message"] and error["hint"]
    assert api.get(f"{V1}/jobs").json()["total"] == 0


def test_an_upload_over_the_size_limit_is_413(tmp_path):
    from fastapi.testclient import TestClient

    from omtx_core.api.app import create_app
    from omtx_core.config import Settings

    settings = Settings(data_dir=tmp_path / "data", api_open=True, import_max_mb=1)
    with TestClient(create_app(settings)) as api:
        too_big = upload(api, b"PK" + b"\0" * (2**20 + 10))
        assert too_big.status_code == 413 and too_big.json()["error"]["code"] == "import_refused"
        bomb = zip_members(("boltz_results_x/predictions/x/big.json", b"0" * (2 * 2**20)))  # expands past 1 MB
        assert upload(api, bomb).status_code == 413
        assert api.post(f"{V1}/import").status_code == 422  # no file at all


def test_a_screen_has_its_ranked_csv_and_poses(api):
    answer = api.post(
        f"{V1}/predict", json={"task_type": "drug_discovery", "input_data": VALID_INPUTS["drug_discovery"]}
    )
    job_id = answer.json()["job_id"]
    store, artifacts = api.app.state.stores
    done = Worker(store, artifacts, FixtureEngine(), api.app.state.settings, worker_id="w", timing=FAST).run_once()
    assert done.id == job_id and done.status == "completed"
    names = {f["name"] for f in api.get(f"{V1}/jobs/{job_id}/files").json()["files"]}
    assert {"compounds.csv", "poses.sdf", "metrics.csv", "job.zip"} <= names
    table = api.get(f"{V1}/jobs/{job_id}/files/compounds.csv")
    assert table.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(table.text)))
    assert len(rows) == 4 and {"aspirin", "carazolol"} <= {cell for row in rows[1:] for cell in row}
    sdf = api.get(f"{V1}/jobs/{job_id}/files/poses.sdf")
    assert sdf.headers["content-type"] == "chemical/x-mdl-sdfile" and sdf.text.count("$$$$") == 3
    assert "carazolol" in sdf.text
