"""Shared pytest fixtures for OMTX-Hub."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

from tests.markers import markers_for

REPO_ROOT = Path(__file__).resolve().parents[1]
_CONFIG_PREFIXES = ("OMTX_", "MODAL_")


@pytest.hookimpl(tryfirst=True)  # before pytest's own `-m` filter runs, so `-m "not slow"` sees these markers
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Markers by rule instead of by hand in every file (rules and the list of slow tests: tests/markers.py).

    browser: everything under tests/e2e; boltz: everything under tests/boltz_real (the real Boltz);
    postgres: tests using the PostgreSQL fixtures or tests/pg.py; slow: the tests in `SLOW`.
    The inner loop is `pytest -m "not slow and not browser"`.
    """
    for item in items:
        for name in sorted(markers_for(item.nodeid, item.fixturenames, getattr(item, "module", None))):
            item.add_marker(name)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch, tmp_path_factory):
    """Every test starts from the defaults: no OMTX_* or MODAL_* variable of the developer's shell leaks in.

    Settings are built from the environment wherever an entry point needs them, so a clean environment means
    fresh default settings; tests that need others set variables (monkeypatch) or pass `Settings(...)`. Modal's
    own config file (~/.modal.toml) is hidden too, so no test can find real Modal credentials.
    """
    for name in [name for name in os.environ if name.startswith(_CONFIG_PREFIXES)]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("MODAL_CONFIG_PATH", str(tmp_path_factory.getbasetemp() / "no-modal.toml"))


@pytest.fixture(autouse=True)
def no_log_handler_left_behind():
    """Every CLI command a test runs in-process configures logging (omtx_core/logs.py puts its handler, named
    "omtx", on the root logger): take it off again, with the level, so no test starts with another's handler."""
    root = logging.getLogger()
    before, level = list(root.handlers), root.level
    yield
    for handler in [h for h in root.handlers if h.get_name() == "omtx" and h not in before]:
        root.removeHandler(handler)
    root.setLevel(level)


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    """Real Boltz output, kept outside the repo in the sibling `shared/` folder (never copied in)."""
    path = (REPO_ROOT / ".." / "shared" / "fixtures" / "boltz2").resolve()
    if not path.is_dir():
        pytest.fail(f"Boltz fixtures not found at {path}: the shared/ folder must sit beside the repo.")
    return path


@pytest.fixture(scope="session")
def carazolol(fixtures_dir: Path):
    """The parsed Boltz-2 protein–ligand fixture (β2-adrenergic receptor + carazolol, with affinity)."""
    from omtx_core.boltz.outputs import parse_boltz_output

    return parse_boltz_output(fixtures_dir / "protein_ligand_affinity_b2ar_carazolol")[0]


@pytest.fixture(scope="session")
def pmhc(fixtures_dir: Path):
    """The parsed 4-chain complex fixture (binder, HLA heavy chain, β2-microglobulin, peptide; 3 models)."""
    from omtx_core.boltz.outputs import parse_boltz_output

    return parse_boltz_output(fixtures_dir / "BOLTZ1_multichain_pmhc_4chain")[0]


@pytest.fixture(scope="session")
def complex4(pmhc):
    return pmhc


@pytest.fixture(scope="session")
def redis():
    """URL of a real Redis database for the tests: the machine's server (db 15), else one started for the session."""
    from tests.redis_server import redis_url

    url, process = redis_url()
    yield url
    if process is not None:
        process.terminate()
