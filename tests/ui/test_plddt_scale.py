"""pLDDT reads on the 0–100 scale wherever a person reads it on the job page, its formulas included."""

from __future__ import annotations

import pytest

from omtx_core.config import load_settings
from omtx_core.store.local_artifacts import LocalArtifactStore
from omtx_core.store.sqlite import SqliteJobStore
from tests.ui.test_job_page import finished_job, open_job


@pytest.fixture
def stores(app_data_dir):
    settings = load_settings()
    return SqliteJobStore(settings.database_path), LocalArtifactStore(settings.artifacts_dir), settings


def test_the_overview_reads_plddt_on_the_0_100_scale(stores):
    at = open_job(finished_job(stores, "protein_ligand_binding").id)
    metrics = {m.label: m for m in at.metric}
    assert metrics["Mean pLDDT"].value == "78.9" and "0–100" in metrics["Mean pLDDT"].proto.help
    # The confidence score is Boltz's (4 × complex_plddt + ipTM) / 5 with pLDDT as a fraction: 0.829, not 63.3.
    assert metrics["Confidence score"].value == "0.829"
    assert "pLDDT / 100" in metrics["Confidence score"].proto.help
