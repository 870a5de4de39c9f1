"""An imported job's page shows every tab a run of its task shows, its analysis included."""

from __future__ import annotations

import pytest

from omtx_core.config import load_settings
from omtx_core.store.local_artifacts import LocalArtifactStore
from omtx_core.store.sqlite import SqliteJobStore
from tests.boltz_fixture_output import AFFINITY_CASE, FIXTURES
from tests.renamed_chains import screen_case
from tests.services import job_service
from tests.ui.rendered import as_text
from tests.ui.test_job_page import TASK_TABS, open_job

PMHC = FIXTURES / "BOLTZ1_multichain_pmhc_4chain"
COMMON_TABS = {"Overview", "Confidence", "Structure", "Parameters", "Logs"}


def import_into_the_app(source):
    """Import through the job service over the app's own stores (its settings point at the test's folder)."""
    settings = load_settings()
    store, artifacts = SqliteJobStore(settings.database_path), LocalArtifactStore(settings.artifacts_dir)
    return job_service(store, artifacts, settings=settings).import_results(source)


@pytest.mark.parametrize(("source", "task"), [(AFFINITY_CASE, "protein_ligand_binding"), (PMHC, "protein_complex")])
def test_an_imported_fixture_shows_every_tab_a_run_of_its_task_shows(source, task):
    job = import_into_the_app(source)
    assert job.task_type == task
    at = open_job(job.id)
    labels = {tab.label for tab in at.tabs}
    assert COMMON_TABS | TASK_TABS[task] <= labels, labels
    assert not at.error, [e.value for e in at.error]


def test_an_imported_ligand_of_unknown_smiles_still_shows_affinity_and_contacts(monkeypatch):
    monkeypatch.setattr("omtx_core.jobs.import_input.recover_smiles", lambda atoms: None)
    job = import_into_the_app(AFFINITY_CASE)
    at = open_job(job.id)
    assert COMMON_TABS | {"Affinity", "Contacts"} <= {tab.label for tab in at.tabs}
    assert not at.error and any("A:113:ASP" in str(frame.value) for frame in at.dataframe)
    assert "SMILES is unknown" in as_text(" ".join(code.value for code in at.code))  # the log says so
    assert any("SMILES is unknown" in as_text(info.value) for info in at.info)  # and the Overview


def test_an_imported_screen_shows_its_compounds(tmp_path):
    job = import_into_the_app(screen_case(tmp_path))
    assert job.task_type == "drug_discovery"
    at = open_job(job.id)
    assert COMMON_TABS | TASK_TABS["drug_discovery"] <= {tab.label for tab in at.tabs}
    assert not at.error, [e.value for e in at.error]
