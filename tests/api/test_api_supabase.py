"""The API on the Supabase test server (real PostgreSQL, row-level security): two key owners each see only their own
jobs, act with a token minted for them, and download an import's files."""

from __future__ import annotations

import csv
import io
import uuid

import psycopg
import pytest
from fastapi.testclient import TestClient

from omtx_core.config import Settings
from omtx_core.domain.identity import Identity
from omtx_core.store import factory
from omtx_core.store.factory import open_stores_for
from tests.boltz_fixture_output import AFFINITY_CASE, AFFINITY_NAME
from tests.examples import LYSOZYME, UBIQUITIN
from tests.jobs.test_importer import zip_folder

V1 = "/api/v1"
ALICE, BOB = str(uuid.uuid4()), str(uuid.uuid4())


@pytest.fixture
def settings(server, supabase_db, tmp_path):
    with psycopg.connect(supabase_db, autocommit=True) as conn:
        conn.execute("truncate public.api_keys")
    made = Settings(store="supabase", supabase_url=server.url, supabase_key=server.service_key,
                    supabase_jwt_secret=server.secret, data_dir=tmp_path / "data")  # fmt: skip
    yield made
    for slot, (opened, stores) in list(factory._opened.items()):  # close the clients this test opened
        if opened is made:
            del factory._opened[slot]
            stores[0].client.options.httpx_client.close()


@pytest.fixture
def clients(settings):
    """(alice, bob): HTTP clients of one API app, each sending its own key."""
    from omtx_core.api.app import create_app
    from omtx_core.api.keys import create_key, open_key_store

    keys = open_key_store(settings)
    tokens = [create_key(keys, owner, email=f"{name}@lab.example")[1] for owner, name in ((ALICE, "a"), (BOB, "b"))]
    app = create_app(settings, keys=keys)
    with TestClient(app) as alice, TestClient(app) as bob:
        alice.headers["Authorization"] = f"Bearer {tokens[0]}"
        bob.headers["X-API-Key"] = tokens[1]
        yield alice, bob


def test_each_key_owner_sees_and_acts_on_their_own_jobs_only(clients, settings):
    alice, bob = clients
    body = {"task_type": "protein_structure", "input_data": {"protein_sequence": UBIQUITIN}, "job_name": "alice's"}
    answer = alice.post(f"{V1}/predict", json=body)
    assert answer.status_code == 201, answer.text
    job_id = answer.json()["job_id"]
    bob.post(f"{V1}/predict", json={**body, "input_data": {"protein_sequence": LYSOZYME}, "job_name": "bob's"})

    assert [job["job_name"] for job in alice.get(f"{V1}/jobs").json()["jobs"]] == ["alice's"]
    assert [job["job_name"] for job in bob.get(f"{V1}/jobs").json()["jobs"]] == ["bob's"]
    assert alice.get(f"{V1}/jobs/{job_id}").json()["owner"] == ALICE
    for method, path in (("GET", ""), ("POST", "/cancel"), ("DELETE", ""), ("GET", "/files")):
        assert bob.request(method, f"{V1}/jobs/{job_id}{path}").status_code == 404
    # RLS, not only the service: the store Bob's requests use cannot read Alice's row either
    bob_store, _ = open_stores_for(settings, Identity(BOB))
    assert bob_store.get(job_id) is None
    assert alice.post(f"{V1}/jobs/{job_id}/cancel").json()["status"] == "cancelled"
    assert alice.delete(f"{V1}/jobs/{job_id}").status_code == 204


def test_an_import_is_the_owners_and_its_files_download(clients):
    alice, bob = clients
    data = zip_folder(AFFINITY_CASE, f"{AFFINITY_CASE.name}/")
    answer = alice.post(f"{V1}/import", files={"file": ("r.zip", data, "application/zip")})
    assert answer.status_code == 201, answer.text
    job_id = answer.json()["id"]
    files = f"{V1}/jobs/{job_id}/files"
    cif = alice.get(f"{files}/boltz_results/predictions/{AFFINITY_NAME}/{AFFINITY_NAME}_model_0.cif")
    assert cif.status_code == 200 and cif.text.startswith("data_")
    (row,) = csv.DictReader(io.StringIO(alice.get(f"{files}/metrics.csv").text))
    assert float(row["pIC50"]) == pytest.approx(10.07, abs=0.005)
    assert alice.get(f"{V1}/jobs/{job_id}/result").json()["runs"][AFFINITY_NAME]["affinity"]["pic50"] > 10
    assert bob.get(f"{files}/metrics.csv").status_code == 404
    assert bob.get(f"{V1}/jobs/{job_id}/result").status_code == 404


def test_an_unknown_key_is_refused(clients):
    alice, _bob = clients
    answer = alice.get(f"{V1}/jobs", headers={"Authorization": "Bearer omtx_0123456789abcdef_nope"})
    assert answer.status_code == 401 and answer.json()["error"]["code"] == "unauthorized"
