"""Shared pytest fixtures for OMTX-Hub."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    """Real Boltz output, kept outside the repo in the sibling `shared/` folder (never copied in)."""
    path = (REPO_ROOT / ".." / "shared" / "fixtures" / "boltz2").resolve()
    if not path.is_dir():
        pytest.fail(f"Boltz fixtures not found at {path}: the shared/ folder must sit beside the repo.")
    return path
