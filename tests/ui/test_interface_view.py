"""The Interfaces tab reads ipTM and mean PAE one way per row, in words: "ligand L placed relative to protein A"."""

from __future__ import annotations

import numpy as np
import pytest

from omtx_core.config import load_settings
from omtx_core.store.local_artifacts import LocalArtifactStore
from omtx_core.store.sqlite import SqliteJobStore
from tests.ui.test_job_page import finished_job, open_job
from tests.ui.test_legacy_results import with_legacy_results

LIGAND_ON_PROTEIN = "ligand L placed relative to protein A"
PROTEIN_ON_LIGAND = "protein A placed relative to ligand L"


@pytest.fixture
def stores(app_data_dir):
    settings = load_settings()  # the app's settings: the UI fixtures point them at a temporary folder
    return SqliteJobStore(settings.database_path), LocalArtifactStore(settings.artifacts_dir), settings


def interface_rows(at) -> dict[str, dict]:
    table = next(frame.value for frame in at.dataframe if "Placement" in frame.value.columns)
    return {row["Placement"]: row for row in table.to_dict("records")}


def test_the_ligand_placed_on_the_protein_shows_boltz_ligand_iptm_and_its_own_pae(stores, carazolol):
    at = open_job(finished_job(stores, "protein_complex").id)
    rows = interface_rows(at)
    pae = np.load(carazolol.best.pae_path)["pae"]
    assert rows[LIGAND_ON_PROTEIN]["ipTM"] == pytest.approx(0.989, abs=5e-4)  # = the run's ligand_iptm
    assert rows[LIGAND_ON_PROTEIN]["Mean PAE (Å)"] == pytest.approx(pae[:413, 413:].mean(), abs=5e-3)
    assert rows[PROTEIN_ON_LIGAND]["ipTM"] == pytest.approx(0.595, abs=5e-4)
    assert rows[PROTEIN_ON_LIGAND]["Mean PAE (Å)"] == pytest.approx(pae[413:, :413].mean(), abs=5e-3)
    assert any("placed relative to" in caption.value for caption in at.caption)


def test_a_legacy_document_reads_the_same_way(stores):
    # Written by the version before: iptm {"A→L": 0.595, "L→A": 0.989}, mean_pae_A {"A→L": 10.011, "L→A": 16.647}.
    at = open_job(with_legacy_results(stores, "protein_complex").id)
    rows = interface_rows(at)
    assert (rows[LIGAND_ON_PROTEIN]["ipTM"], rows[LIGAND_ON_PROTEIN]["Mean PAE (Å)"]) == (0.989, 10.011)
    assert (rows[PROTEIN_ON_LIGAND]["ipTM"], rows[PROTEIN_ON_LIGAND]["Mean PAE (Å)"]) == (0.595, 16.647)
