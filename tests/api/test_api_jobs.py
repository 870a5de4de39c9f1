"""The job endpoints over HTTP on SQLite: submit, list with a cursor, show, cancel, re-run, delete; the error shape."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from omtx_core.domain.identity import Identity
from omtx_core.domain.job import JobStatus
from tests.examples import LYSOZYME, UBIQUITIN, VALID_INPUTS

V1 = "/api/v1"
BOB = Identity("bob")


def predict(api: TestClient, task: str = "protein_structure", data: dict | None = None, **extra):
    return api.post(f"{V1}/predict", json={"task_type": task, "input_data": data or VALID_INPUTS[task], **extra})


def submitted(api: TestClient, name: str, sequence: str = UBIQUITIN) -> str:
    answer = predict(api, data={"protein_sequence": sequence}, job_name=name)
    assert answer.status_code == 201, answer.text
    return answer.json()["job_id"]


def complete(api: TestClient, job_id: str) -> None:
    """Mark a job completed as a worker would (its status path), without running anything."""
    store = api.app.state.stores[0]
    store.update(job_id, {"status": JobStatus.RUNNING}, expect_status=JobStatus.PENDING)
    store.update(job_id, {"status": JobStatus.COMPLETED, "result": {}}, expect_status=JobStatus.RUNNING)


def test_predict_stores_a_queued_job_with_an_estimate(api):
    answer = predict(api, "protein_ligand_binding", job_name="lysozyme + aspirin", options={"diffusion_samples": 2})
    assert answer.status_code == 201
    body = answer.json()
    assert body["task_type"] == "protein_ligand_binding" and body["status"] == "pending"
    assert body["cache_hit"] is False and body["estimated_completion_seconds"] > 35  # model load at least
    job = api.get(f"{V1}/jobs/{body['job_id']}").json()
    assert job["job_name"] == "lysozyme + aspirin" and job["options"]["diffusion_samples"] == 2
    assert job["owner"] == "local" and "lease_owner" not in job and "input_hash" not in job


def test_identical_input_is_a_cache_hit_unless_forced(api):
    first = submitted(api, "ubiquitin")
    complete(api, first)
    again = predict(api, data={"protein_sequence": UBIQUITIN}, job_name="ubiquitin").json()
    assert again["cache_hit"] is True and again["status"] == "completed"
    assert again["estimated_completion_seconds"] == 0 and first in again["message"]
    forced = predict(api, data={"protein_sequence": UBIQUITIN}, job_name="ubiquitin", force_rerun=True).json()
    assert forced["cache_hit"] is False and forced["status"] == "pending"


def test_invalid_input_lists_every_problem_with_its_field_path(api):
    compounds = [*VALID_INPUTS["drug_discovery"]["compounds"], {"name": "broken", "smiles": "C1CC(=O"}]
    answer = predict(api, "drug_discovery", {"protein_sequence": LYSOZYME, "compounds": compounds})
    assert answer.status_code == 422
    error = answer.json()["error"]
    assert error["code"] == "input_invalid" and error["message"] and error["hint"]
    (problem,) = error["problems"]
    assert problem["field"] == "compounds.3.smiles" and problem["message"]
    assert api.get(f"{V1}/jobs").json()["total"] == 0  # nothing stored


def test_a_malformed_request_body_has_the_same_error_shape(api):
    answer = api.post(f"{V1}/predict", json={"input_data": [], "colour": "red"})
    assert answer.status_code == 422
    error = answer.json()["error"]
    fields = {p["field"]: p for p in error["problems"]}
    assert error["code"] == "input_invalid" and {"task_type", "input_data", "colour"} <= set(fields)
    assert fields["task_type"]["message"] == "This field is required." and fields["task_type"]["hint"]
    unknown = predict(api, "protein_folding", {"protein_sequence": UBIQUITIN})
    assert unknown.status_code == 422 and unknown.json()["error"]["problems"]
    assert api.get(f"{V1}/jobs", params={"limit": 0}).json()["error"]["problems"][0]["field"] == "limit"


def test_jobs_list_filters_and_pages_newest_first_with_a_cursor(api):
    ids = [submitted(api, f"job {i}", UBIQUITIN[: 40 + i]) for i in range(7)]
    seen, cursor = [], None
    for _ in range(5):
        page = api.get(f"{V1}/jobs", params={"limit": 3, **({"cursor": cursor} if cursor else {})}).json()
        assert page["total"] == 7 + (1 if seen else 0)
        seen += [job["id"] for job in page["jobs"]]
        if not seen[3:]:  # a job submitted between pages shows on none of the later pages, and shifts nothing
            submitted(api, "late", LYSOZYME)
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == ids[::-1]
    assert api.get(f"{V1}/jobs", params={"search": "JOB 6"}).json()["jobs"][0]["id"] == ids[6]
    api.post(f"{V1}/jobs/{ids[0]}/cancel")
    cancelled = api.get(f"{V1}/jobs", params={"status": "cancelled", "task": "protein_structure"}).json()
    assert [job["id"] for job in cancelled["jobs"]] == [ids[0]] and cancelled["next_cursor"] is None
    bad = api.get(f"{V1}/jobs", params={"cursor": "not-a-cursor"})
    assert bad.status_code == 422 and bad.json()["error"]["problems"][0]["field"] == "cursor"


def test_cancel_rerun_and_delete(api):
    job_id = submitted(api, "to cancel")
    cancelled = api.post(f"{V1}/jobs/{job_id}/cancel")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    rerun = api.post(f"{V1}/jobs/{job_id}/rerun")
    assert rerun.status_code == 201
    assert rerun.json()["parent_id"] == job_id and rerun.json()["status"] == "pending"
    assert api.delete(f"{V1}/jobs/{job_id}").status_code == 204
    gone = api.get(f"{V1}/jobs/{job_id}")
    assert gone.status_code == 404 and gone.json()["error"]["code"] == "job_not_found"
    assert api.delete(f"{V1}/jobs/{job_id}").status_code == 404


def test_another_owners_job_is_not_found_on_every_endpoint(api):
    theirs = api.app.state.service_for(BOB).submit("protein_structure", {"protein_sequence": UBIQUITIN}).job
    mine = submitted(api, "mine")
    for method, path in (("get", ""), ("post", "/cancel"), ("post", "/rerun"), ("get", "/result"),
                         ("get", "/files"), ("get", "/files/job.zip"), ("get", "/logs"), ("delete", "")):  # fmt: skip
        answer = api.request(method.upper(), f"{V1}/jobs/{theirs.id}{path}")
        assert answer.status_code == 404, (method, path)
        assert answer.json()["error"] == {"code": "job_not_found", "message": f"There is no job {theirs.id}.",
                                          "hint": "Check the job id, or look it up in the job list."}  # fmt: skip
    assert [job["id"] for job in api.get(f"{V1}/jobs").json()["jobs"]] == [mine]
    assert api.app.state.service_for(BOB).get(theirs.id).status == JobStatus.PENDING  # untouched


def test_rate_limit_answers_429_with_retry_after(tmp_path, monkeypatch):
    from omtx_core.api.app import create_app
    from omtx_core.config import load_settings

    monkeypatch.setenv("OMTX_RATE_LIMIT_PER_MIN", "2")
    monkeypatch.setenv("OMTX_API_OPEN", "true")
    monkeypatch.setenv("OMTX_DATA_DIR", str(tmp_path / "data"))
    with TestClient(create_app(load_settings())) as api:
        assert [submitted(api, f"job {i}", UBIQUITIN[: 50 + i]) for i in range(2)]
        refused = predict(api, data={"protein_sequence": LYSOZYME})
        assert refused.status_code == 429
        assert refused.json()["error"]["code"] == "limit_exceeded" and refused.json()["error"]["hint"]
        assert 1 <= int(refused.headers["Retry-After"]) <= 60
        assert api.get(f"{V1}/jobs").json()["total"] == 2


def test_an_unexpected_fault_is_a_500_with_an_error_id_and_no_details(api, monkeypatch, caplog):
    from omtx_core.jobs.service import JobService

    def broken(self, job_id):
        raise RuntimeError("/secret/path/to/db")

    monkeypatch.setattr(JobService, "get", broken)
    answer = api.get(f"{V1}/jobs/abc")
    assert answer.status_code == 500
    error = answer.json()["error"]
    assert error["code"] == "unexpected" and error["error_id"] in error["message"] and error["hint"]
    assert "secret" not in answer.text and "Traceback" not in answer.text
    assert error["error_id"] in caplog.text  # the traceback is in the log, under the id


@pytest.mark.parametrize("path", ["/openapi.json", "/docs"])
def test_the_schema_and_its_docs_are_served(api, path):
    assert api.get(path).status_code == 200


def test_lists_are_gzipped_for_clients_that_accept_it(api):
    for i in range(5):
        submitted(api, f"job {i}", UBIQUITIN[: 50 + i])
    answer = api.get(f"{V1}/jobs", headers={"Accept-Encoding": "gzip"})
    assert answer.headers["content-encoding"] == "gzip" and answer.json()["total"] == 5
    plain = api.get(f"{V1}/jobs", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers


def test_health_and_metrics(api):
    health = api.get(f"{V1}/health")
    body = health.json()
    assert health.status_code == 503 and body["ok"] is False  # no engine: `boltz` is not installed here
    checks = {check["name"]: check for check in body["checks"]}
    assert checks["store"]["ok"] is True and checks["engine"]["ok"] is False and checks["engine"]["detail"]
    submitted(api, "counted")
    metrics = api.get(f"{V1}/metrics")
    assert metrics.status_code == 200 and metrics.headers["content-type"].startswith("text/plain")
    assert 'omtx_jobs_submitted_total{task="protein_structure"}' in metrics.text
    assert "omtx_queue_depth 1.0" in metrics.text


def test_without_open_mode_a_key_is_needed_and_acts_as_its_owner(tmp_path):
    from omtx_core.api.app import create_app
    from omtx_core.api.keys import create_key, open_key_store
    from omtx_core.config import Settings

    settings = Settings(data_dir=tmp_path / "data")
    _key, token = create_key(open_key_store(settings), "local")
    with TestClient(create_app(settings)) as api:
        assert api.get(f"{V1}/jobs").status_code == 401
        body = {"task_type": "protein_structure", "input_data": {"protein_sequence": UBIQUITIN}}
        answer = api.post(f"{V1}/predict", json=body, headers={"X-API-Key": token})
        assert answer.status_code == 201
        listed = api.get(f"{V1}/jobs", headers={"Authorization": f"Bearer {token}"}).json()
        assert [job["id"] for job in listed["jobs"]] == [answer.json()["job_id"]]
