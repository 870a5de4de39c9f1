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
