"""`python -m omtx_core health`: exit 0 only with a usable store and a reachable engine; reasons on failure."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from omtx_core.cli import main
from omtx_core.cli_health import Check, _bounded
from tests.fake_boltz_env import FAKE_BOLTZ_COMMAND

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("OMTX_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("OMTX_ENGINE", "local")
    monkeypatch.setenv("OMTX_BOLTZ_COMMAND", FAKE_BOLTZ_COMMAND)
    return tmp_path / "data"


def test_healthy_with_a_working_store_and_the_local_engine(data_dir):
    result = subprocess.run([sys.executable, "-m", "omtx_core", "health"], cwd=REPO, capture_output=True, text=True,
                            timeout=60)  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines() == ["store: ok - sqlite, 0 job(s) queued", "engine: ok - local is configured"]


def test_a_damaged_store_is_unhealthy_with_its_reason(data_dir, capsys):
    data_dir.mkdir(parents=True)
    (data_dir / "jobs.sqlite3").write_bytes(b"not a database " * 400)
    assert main(["health"]) == 1
    store, engine = capsys.readouterr().out.splitlines()
    assert store.startswith("store: FAILED - The job database") and "damaged" in store
    assert engine == "engine: ok - local is configured"


def test_no_engine_is_unhealthy_with_its_reason(data_dir, monkeypatch, capsys):
    monkeypatch.setenv("OMTX_ENGINE", "auto")
    monkeypatch.setenv("OMTX_BOLTZ_COMMAND", str(data_dir / "no-boltz-here"))
    assert main(["health"]) == 1
    store, engine = capsys.readouterr().out.splitlines()
    assert store.startswith("store: ok")
    assert engine.startswith("engine: FAILED - ") and len(engine) > 30


def test_a_bad_setting_is_unhealthy(data_dir, monkeypatch, capsys):
    monkeypatch.setenv("OMTX_LEASE_S", "-1")
    assert main(["health"]) == 1
    assert capsys.readouterr().out.startswith("settings: FAILED - A setting is invalid: OMTX_LEASE_S")


def test_a_check_that_hangs_fails_after_its_timeout():
    started = time.monotonic()
    check = _bounded("engine", lambda: time.sleep(5) or Check("engine", True, ""), 0.2)
    assert time.monotonic() - started < 2
    assert check == Check("engine", False, "no answer within 0.2 s")


def test_a_check_that_raises_reports_the_error():
    def broken() -> Check:
        raise ConnectionError("refused")

    assert _bounded("store", broken, 1) == Check("store", False, "ConnectionError: refused")
