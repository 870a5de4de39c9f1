"""The job commands on the embedded default (SQLite in a temporary data folder), as a user runs them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.examples import LYSOZYME, VALID_INPUTS

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def cli(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OMTX_", "MODAL_"))}
    env["OMTX_DATA_DIR"] = str(tmp_path / "data")
    env["OMTX_BOLTZ_COMMAND"] = str(tmp_path / "no-boltz-installed")
    env["HOME"] = str(tmp_path)  # no ~/.modal.toml

    def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "omtx_core", *args], cwd=REPO, env=env, input=stdin,
                              capture_output=True, text=True, timeout=120)  # fmt: skip

    return run


def submit(cli, data: dict, *extra: str) -> str:
    result = cli("submit", "protein_structure", "-", *extra, stdin=json.dumps(data))
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


def test_submit_list_show_cancel_rerun_delete(cli):
    first = submit(cli, {"protein_sequence": LYSOZYME, "job_name": "lysozyme"})
    second = submit(cli, VALID_INPUTS["protein_structure"])
    listed = json.loads(cli("jobs", "list", "--json").stdout)
    assert [job["id"] for job in listed] == [second, first]
    shown = json.loads(cli("jobs", "show", first, "--json").stdout)
    assert {"id", "status", "task_type", "job_name", "created_at", "result", "error"} <= set(shown)
    assert shown["status"] == "pending" and shown["job_name"] == "lysozyme"

    assert cli("jobs", "cancel", first).stdout.strip() == f"{first} cancelled"
    assert [j["id"] for j in json.loads(cli("jobs", "list", "--status", "cancelled", "--json").stdout)] == [first]
    rerun = cli("jobs", "rerun", first).stdout.strip()
    assert json.loads(cli("jobs", "show", rerun, "--json").stdout)["parent_id"] == first

    assert cli("jobs", "delete", second).returncode == 0
    missing = cli("jobs", "show", second)
    assert missing.returncode == 2 and "no job" in missing.stderr and "Traceback" not in missing.stderr
    assert "lysozyme" in cli("jobs", "list").stdout


def test_invalid_submission_is_refused_and_nothing_stored(cli):
    result = cli("submit", "protein_structure", "-", stdin=json.dumps({"protein_sequence": "MK1"}))
    assert result.returncode == 2 and "protein_sequence" in result.stderr
    assert json.loads(cli("jobs", "list", "--json").stdout) == []


def test_wait_without_an_engine_times_out_with_the_job_still_queued(cli):
    result = cli("submit", "protein_structure", "-", "--wait", "--timeout", "1",  # no boltz, no Modal
                 stdin=json.dumps(VALID_INPUTS["protein_structure"]))  # fmt: skip
    assert result.returncode == 3 and "status: pending" in result.stdout
    worker = cli("worker", "--once")
    assert worker.returncode == 0 and "No compute engine" in worker.stderr
    job_id = result.stdout.strip().splitlines()[-1]
    assert json.loads(cli("jobs", "show", job_id, "--json").stdout)["status"] == "pending"


def test_missing_supabase_settings_are_reported_plainly(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("OMTX_")}
    env.update(OMTX_STORE="supabase", OMTX_DATA_DIR=str(tmp_path))
    result = subprocess.run([sys.executable, "-m", "omtx_core", "jobs", "list"], cwd=REPO, env=env,
                            capture_output=True, text=True, timeout=60)  # fmt: skip
    assert result.returncode == 2 and "OMTX_SUPABASE_URL" in result.stderr and "Traceback" not in result.stderr
