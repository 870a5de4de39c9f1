"""End to end on the command line: a worker process with the local engine over the stand-in `boltz`."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.examples import ASPIRIN, CARAZOLOL, IBUPROFEN, LYSOZYME, VALID_INPUTS
from tests.fake_boltz_env import fake_boltz, recorded

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def env(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OMTX_", "MODAL_", "FAKE_BOLTZ"))}
    record = str(tmp_path / "calls.jsonl")  # the stand-in's settings travel in its command: Boltz gets no others
    env.update(OMTX_DATA_DIR=str(tmp_path / "data"), OMTX_ENGINE="local", OMTX_BOLTZ_COMMAND=fake_boltz(record=record),
               OMTX_BOLTZ_ACCELERATOR="gpu", OMTX_WORKER_POLL_S="0.05", FAKE_BOLTZ_RECORD=record,
               HOME=str(tmp_path))  # fmt: skip
    worker = subprocess.Popen([sys.executable, "-m", "omtx_core", "worker"], cwd=REPO, env=env)
    yield env
    worker.send_signal(signal.SIGTERM)
    assert worker.wait(timeout=30) == 0


def cli(env, *args, stdin=None):
    return subprocess.run([sys.executable, "-m", "omtx_core", *args], cwd=REPO, env=env, input=stdin,
                          capture_output=True, text=True, timeout=120)  # fmt: skip


def submit_and_wait(env, task: str, data: dict, *extra: str) -> str:
    result = cli(env, "submit", task, "-", "--wait", "--timeout", "60", *extra, stdin=json.dumps(data))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "status: completed" in result.stdout
    return result.stdout.strip().splitlines()[-1]


def test_binding_job_completes_with_the_fixture_affinity(env):
    job_id = submit_and_wait(env, "protein_ligand_binding", VALID_INPUTS["protein_ligand_binding"])
    shown = json.loads(cli(env, "jobs", "show", job_id, "--json").stdout)
    assert shown["status"] == "completed" and shown["engine"] == "local" and shown["error"] is None
    (numbers,) = shown["result"]["runs"].values()
    assert numbers["pic50"] == pytest.approx(10.0688, abs=1e-3)
    assert numbers["binder_probability"] == pytest.approx(0.99879, abs=1e-4)


def test_a_screen_asks_for_its_target_msa_once_then_reuses_it(env):
    calls_file = Path(env["FAKE_BOLTZ_RECORD"])
    screen = {"protein_sequence": LYSOZYME, "compounds": [{"smiles": s} for s in (ASPIRIN, IBUPROFEN, CARAZOLOL)]}
    first = submit_and_wait(env, "drug_discovery", screen)
    calls, msa_requests = recorded(calls_file)
    assert msa_requests == [LYSOZYME] and len(calls) == 2
    assert "--use_msa_server" in calls[0] and "--use_msa_server" not in calls[1]
    assert json.loads(cli(env, "jobs", "show", first, "--json").stdout)["result"]["runs_completed"] == 3

    calls_file.unlink()
    again = dict(screen, compounds=[{"smiles": s} for s in ("CCO", "CCN", "c1ccccc1O")])
    submit_and_wait(env, "drug_discovery", again, "--no-cache")
    calls, msa_requests = recorded(calls_file)
    assert msa_requests == [] and len(calls) == 1
