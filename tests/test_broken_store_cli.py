"""The command line over a damaged database, an unreachable Supabase and a full disk: one plain line, exit 2."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from omtx_core.cli import main
from tests.examples import UBIQUITIN
from tests.store_failures import closed_port_url, damage, full_database, service_key  # noqa: F401 - a fixture

REPO = Path(__file__).resolve().parents[1]


def jobs_list(**variables: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OMTX_", "MODAL_"))} | variables
    return subprocess.run([sys.executable, "-m", "omtx_core", "jobs", "list"], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=120)  # fmt: skip


def test_a_damaged_database_is_one_line_naming_the_file(tmp_path):
    damage(tmp_path / "jobs.sqlite3")
    result = jobs_list(OMTX_DATA_DIR=str(tmp_path))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert str(tmp_path / "jobs.sqlite3") in result.stderr and "Move it aside" in result.stderr


def test_an_unreachable_supabase_is_one_line(tmp_path):
    result = jobs_list(OMTX_DATA_DIR=str(tmp_path), OMTX_STORE="supabase", OMTX_SUPABASE_URL=closed_port_url(),
                       OMTX_SUPABASE_KEY=service_key())  # fmt: skip
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "Supabase could not be reached" in result.stderr and service_key() not in result.stderr


def test_a_full_disk_is_one_line_naming_the_folder(full_database, capsys):  # noqa: F811
    source = full_database / "input.json"
    source.write_text(json.dumps({"protein_sequence": UBIQUITIN * 60}))  # a record larger than a database page
    assert main(["submit", "protein_structure", str(source)]) == 2
    shown = capsys.readouterr().err
    assert "full" in shown and str(full_database) in shown and "Free up space" in shown
