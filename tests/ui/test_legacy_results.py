"""The job page and the job list open results stored by the version before typed results (tests/data/legacy/).

Each job is run by today's worker on the fixture engine (so its Boltz files exist), then its `result.json` (and, for
the screen, its record's summary) is replaced by the legacy one written for the same input.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from omtx_core.config import load_settings
from omtx_core.domain.layout import JobFiles
from omtx_core.store.local_artifacts import LocalArtifactStore
from omtx_core.store.sqlite import SqliteJobStore
from tests.engines import FixtureEngine
from tests.ui.rendered import as_text
from tests.ui.test_job_page import APP, TASK_TABS, finished_job, open_job

LEGACY = Path(__file__).resolve().parents[1] / "data" / "legacy"
COMMON_TABS = {"Overview", "Confidence", "Structure", "Parameters", "Logs"}
MISSING_IN_LEGACY_SCREEN = ("c00002_aspirin",)  # the legacy screen was run with this compound out of memory


@pytest.fixture
def stores(app_data_dir):
    settings = load_settings()
    return SqliteJobStore(settings.database_path), LocalArtifactStore(settings.artifacts_dir), settings


def with_legacy_results(stores, task: str, name: str | None = None):
    """A completed job of `task` whose stored result document is the legacy one."""
    engine = FixtureEngine(missing_runs=MISSING_IN_LEGACY_SCREEN if task == "drug_discovery" else ())
    job = finished_job(stores, task, engine)
    store, artifacts, _ = stores
    artifacts.put(JobFiles(job.id).result_document, (LEGACY / f"{name or task}.json").read_bytes())
    if task == "drug_discovery":
        legacy_summary = json.loads((LEGACY / "drug_discovery_job_summary.json").read_text())
        job = store.update(job.id, {"result": legacy_summary})
    return job


@pytest.mark.parametrize("task", list(TASK_TABS))
def test_a_legacy_document_renders_every_tab(stores, task):
    at = open_job(with_legacy_results(stores, task).id)
    labels = {tab.label for tab in at.tabs}
    assert COMMON_TABS | TASK_TABS[task] <= labels, labels
    assert not at.error, [e.value for e in at.error]
    assert any(m.label == "Confidence score" for m in at.metric)


def test_a_legacy_binding_document_shows_its_numbers(stores):
    at = open_job(with_legacy_results(stores, "protein_ligand_binding").id)
    values = {m.label: m.value for m in at.metric}
    assert values["pIC50"] == "10.07" and "nM" in values["IC50"]
    assert any("within the requested distance" in s.value for s in at.success)
    contacts = next(frame for frame in at.dataframe if "Residue" in frame.value.columns)
    assert "A:113:ASP" in list(contacts.value["Residue"])


def test_a_legacy_screen_shows_its_ranked_rows_and_failed_run(stores):
    at = open_job(with_legacy_results(stores, "drug_discovery").id)
    assert any("c00002_aspirin" in as_text(w.value) and "out of memory" in as_text(w.value) for w in at.warning)
    table = next(frame for frame in at.dataframe if "Rank" in frame.value.columns)
    assert list(table.value["Name"]) == ["carazolol", "aspirin"]
    assert any(m.label == "Hits" and m.value == "1 / 1" for m in at.metric)


def test_a_legacy_failed_analysis_says_so_in_its_own_tab(stores):
    job = with_legacy_results(stores, "protein_ligand_binding", "protein_ligand_binding_analysis_failed")
    at = open_job(job.id)
    assert "Analysis" in {tab.label for tab in at.tabs} and "Contacts" not in {tab.label for tab in at.tabs}
    assert any("analysis of the predicted structures failed" in e.value for e in at.error)


def test_the_job_list_shows_a_legacy_summary_as_the_key_result(stores):
    with_legacy_results(stores, "drug_discovery")
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    at.switch_page("pages/jobs.py").run()
    (table,) = at.dataframe
    assert list(table.value["Key result"]) == ["best pIC50 10.07"]
