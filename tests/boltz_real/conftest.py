"""The real `boltz predict` 2.2.1 from .boltz-venv/ (scripts/install_boltz.sh) over a tiny random-model cache."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.boltz_cache import build_cache

REPO = Path(__file__).resolve().parents[2]
BOLTZ_VENV = REPO / ".boltz-venv"


@pytest.fixture(scope="session")
def boltz_cache(tmp_path_factory) -> Path:
    """A cache Boltz loads as its own (molecules, tiny checkpoints), built once per test session in seconds."""
    if not (BOLTZ_VENV / "bin" / "boltz").is_file():
        pytest.fail("Boltz 2.2.1 is not installed in .boltz-venv/: run `bash scripts/setup.sh --dev` first.")
    return build_cache(tmp_path_factory.mktemp("boltz-cache"), BOLTZ_VENV / "bin" / "python")
