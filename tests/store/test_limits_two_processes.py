"""Two OS processes submitting at once over one store never get more past a limit than it allows: the store counts
and inserts atomically (SQLite: one BEGIN IMMEDIATE transaction; Supabase: an advisory lock in one SQL function)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
EACH = 8  # submissions per process
LIMIT = 10
# One process: say it is ready, wait for the signal, then submit EACH distinct inputs at once, counting refusals.
SUBMITTER = """
import json, os, sys, time
from pathlib import Path
from omtx_core.config import load_settings
from omtx_core.domain.identity import identity_for
from omtx_core.errors import LimitExceeded
from omtx_core.jobs.service import JobService
from omtx_core.store.factory import open_stores

settings = load_settings()
store, artifacts = open_stores(settings)
key = settings.supabase_key.get_secret_value() if settings.supabase_key else None
jobs = JobService(settings=settings, store=store, artifacts=artifacts, identity=identity_for(settings.store, key))
jobs.validate("protein_structure", {"protein_sequence": "MQIFVKTLTG"})  # the task modules imported: ready
go = Path(sys.argv[1])
Path(f"{go}.ready.{os.getpid()}").touch()
while not go.exists():
    time.sleep(0.005)
accepted = refused = 0
for seed in range(int(sys.argv[2])):
    try:
        jobs.submit("protein_structure", {"protein_sequence": "MQIFVKTLTG", "options": {"seed": seed + os.getpid()}})
        accepted += 1
    except LimitExceeded:
        refused += 1
print(json.dumps({"accepted": accepted, "refused": refused}))
"""


def race(tmp_path: Path, envs: list[dict[str, str]]) -> list[dict[str, int]]:
    """Start one submitter per environment, let them all go at once, and return what each counted."""
    go = tmp_path / f"go-{uuid.uuid4().hex}"
    base = {k: v for k, v in os.environ.items() if not k.startswith(("OMTX_", "MODAL_"))}
    base |= {"OMTX_DATA_DIR": str(tmp_path / "data"), "OMTX_WORKER": "false", "HOME": str(tmp_path),
             "PYTHONPATH": str(REPO)}  # fmt: skip
    procs = [subprocess.Popen([sys.executable, "-c", SUBMITTER, str(go), str(EACH)], cwd=REPO, env=base | env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for env in envs]  # fmt: skip
    deadline = time.monotonic() + 120
    while len(list(tmp_path.glob(f"{go.name}.ready.*"))) < len(procs):  # all past their imports, polling
        assert time.monotonic() < deadline and all(p.poll() is None for p in procs), "a submitter did not start"
        time.sleep(0.01)
    go.touch()
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        results.append(json.loads(out.strip().splitlines()[-1]))
    return results


def check(results: list[dict[str, int]]) -> None:
    assert sum(r["accepted"] for r in results) == LIMIT, results
    assert sum(r["refused"] for r in results) == 2 * EACH - LIMIT, results


@pytest.mark.parametrize("limit", ["OMTX_RATE_LIMIT_PER_MIN", "OMTX_MAX_ACTIVE_JOBS_PER_USER", "OMTX_MAX_ACTIVE_JOBS"])
def test_two_processes_on_one_sqlite_store(tmp_path, limit):
    env = {"OMTX_STORE": "sqlite", limit: str(LIMIT)}
    check(race(tmp_path, [env, env]))


def test_two_processes_on_one_supabase_store_as_one_user(tmp_path, server):
    key = server.user_key(str(uuid.uuid4()))
    env = {"OMTX_STORE": "supabase", "OMTX_SUPABASE_URL": server.url, "OMTX_SUPABASE_KEY": key,
           "OMTX_RATE_LIMIT_PER_MIN": str(LIMIT)}  # fmt: skip
    check(race(tmp_path, [env, env]))


def test_two_users_in_two_processes_share_the_global_cap_on_supabase(tmp_path, server):
    # Each user's key sees only their own rows: the global count goes through count_active_jobs().
    envs = [{"OMTX_STORE": "supabase", "OMTX_SUPABASE_URL": server.url, "OMTX_MAX_ACTIVE_JOBS": str(LIMIT),
             "OMTX_SUPABASE_KEY": server.user_key(str(uuid.uuid4()))} for _ in range(2)]  # fmt: skip
    check(race(tmp_path, envs))
