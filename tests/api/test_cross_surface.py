"""The API, the app and the CLI over one data folder see the same jobs: submitted in one, listed in the others."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from omtx_core.config import load_settings
from tests.examples import LYSOZYME, UBIQUITIN

REPO = Path(__file__).resolve().parents[2]
APP = REPO / "app.py"


@pytest.fixture
def data_dir(tmp_path, monkeypatch) -> Path:
    """One data folder for all three, given the way each reads it: the environment (as tests/ui/conftest.py does)."""
    folder = tmp_path / "data"
    monkeypatch.setenv("OMTX_DATA_DIR", str(folder))
    monkeypatch.setenv("OMTX_WORKER", "false")
    monkeypatch.setenv("OMTX_BOLTZ_COMMAND", str(tmp_path / "no-boltz-installed"))
    monkeypatch.setenv("OMTX_API_OPEN", "true")  # the local user, as in the app without sign-in and the CLI
    monkeypatch.setenv("HOME", str(tmp_path))  # no ~/.modal.toml for the CLI
    return folder


@pytest.fixture
def api(data_dir):
    from omtx_core.api.app import create_app

    with TestClient(create_app(load_settings())) as client:
        yield client


def cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ}  # the test's OMTX_* variables (clean_environment dropped the developer's)
    return subprocess.run([sys.executable, "-m", "omtx_core", *args], cwd=REPO, env=env, input=stdin,
                          capture_output=True, text=True, timeout=120)  # fmt: skip


def jobs_page_names(monkeypatch) -> list[str]:
    """The names in the app's job list, rendered by AppTest the way tests/ui drives pages."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from omtx_core.ui import navigation

    monkeypatch.setattr(navigation, "inside_app", lambda: None)  # see tests/ui/conftest.py pages_run_as_switched
    st.cache_resource.clear()  # a fresh process's resources, opened over this test's data folder
    try:
        at = AppTest.from_file(str(APP), default_timeout=30).run()
        at.switch_page("pages/jobs.py").run()
        assert not at.exception, [e.value for e in at.exception]
        (table,) = at.dataframe
        return list(table.value["Name"])
    finally:
        st.cache_resource.clear()


def test_a_job_submitted_through_the_api_is_in_the_app_and_the_cli(api, monkeypatch):
    body = {"task_type": "protein_structure", "input_data": {"protein_sequence": UBIQUITIN}, "job_name": "from api"}
    response = api.post("/api/v1/predict", json=body)
    assert response.status_code == 201, response.text
    job_id = response.json()["job_id"]

    assert jobs_page_names(monkeypatch) == ["from api"]
    listed = cli("jobs", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    assert [(job["id"], job["job_name"]) for job in json.loads(listed.stdout)] == [(job_id, "from api")]
    shown = json.loads(cli("jobs", "show", job_id, "--json").stdout)
    assert shown["status"] == response.json()["status"] == "pending"


def test_a_job_submitted_by_the_cli_is_in_the_api(api):
    submitted = cli("submit", "protein_structure", "-", stdin=json.dumps({"protein_sequence": LYSOZYME,
                                                                          "job_name": "from cli"}))  # fmt: skip
    assert submitted.returncode == 0, submitted.stderr
    job_id = submitted.stdout.strip().splitlines()[-1]

    listed = api.get("/api/v1/jobs")
    assert listed.status_code == 200, listed.text
    page = listed.json()
    jobs = page["jobs"] if isinstance(page, dict) else page
    assert [(job["id"], job["job_name"]) for job in jobs] == [(job_id, "from cli")]
    one = api.get(f"/api/v1/jobs/{job_id}")
    assert one.status_code == 200 and one.json()["task_type"] == "protein_structure"
