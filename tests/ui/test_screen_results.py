"""A screen's page and list entry: hit-aware headlines, pose warnings and textbook descriptors on real fixture output.

The fixture engine gives every compound carazolol's prediction: carazolol's pose inverts its specified stereocentre,
and aspirin's 13 atoms cannot be matched to the 22 in the model, so its pose is skipped.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from omtx_core.config import load_settings
from omtx_core.store.local_artifacts import LocalArtifactStore
from omtx_core.store.sqlite import SqliteJobStore
from omtx_core.ui.job_list import key_metric
from tests.services import job_service
from tests.ui.rendered import as_text
from tests.ui.test_job_page import INPUTS, finished_job, open_job

LEGACY_SUMMARY = Path(__file__).resolve().parents[1] / "data" / "legacy" / "drug_discovery_job_summary.json"
DECOY = {"confidence_score": 0.5, "pic50": 11.0, "binder_probability": 0.1}  # the strongest pIC50, but a decoy


@pytest.fixture
def stores(app_data_dir):
    settings = load_settings()
    return SqliteJobStore(settings.database_path), LocalArtifactStore(settings.artifacts_dir), settings


@pytest.fixture
def screen_page(stores):
    return open_job(finished_job(stores, "drug_discovery").id)


def listed(stores, runs: dict) -> str:
    """The job list's key result for a screen whose record holds the fixture's summary with these runs' numbers."""
    store = stores[0]
    job = job_service(store).submit("drug_discovery", INPUTS["drug_discovery"]).job
    summary = json.loads(LEGACY_SUMMARY.read_text())  # carazolol: pIC50 10.069, binder probability 0.9988
    for run, numbers in runs.items():
        summary["runs"][run] = {**summary["runs"].get(run, {}), **numbers}
    return key_metric(store.update(job.id, {"result": summary}))


def test_the_job_list_headlines_the_best_hit_not_a_decoy(stores):
    assert listed(stores, {"c00002_decoy": DECOY}) == "best pIC50 10.07"


def test_the_job_list_says_when_no_compound_is_a_predicted_binder(stores):
    runs = {"c00001_carazolol": {"binder_probability": 0.3}, "c00002_decoy": DECOY}
    assert listed(stores, runs) == "no predicted binder; most probable c00001_carazolol (0.30)"


def test_the_compounds_tab_headlines_hits_and_says_when_there_is_none(screen_page):
    at = screen_page
    assert _metric(at, "Best pIC50 among hits").value == "10.07"
    at.slider(key="compounds.threshold").set_value(1.0).run()
    assert _metric(at, "Best pIC50 among hits").value == "—"
    (note,) = [as_text(i.value) for i in at.info if "No predicted binder" in as_text(i.value)]
    assert "binder probability ≥ 1.00" in note and "most probable is carazolol (probability 0.999)" in note


def test_the_compounds_tab_lists_every_pose_warning_and_skipped_pose(screen_page):
    (note,) = [as_text(w.value) for w in screen_page.warning if "pose" in as_text(w.value)]
    assert "2 compound(s)" in note
    shown = " ".join(as_text(m.value) for m in screen_page.markdown)
    assert "carazolol: the predicted pose inverts the stereochemistry of the input SMILES at atom 6 (C)" in shown
    assert "aspirin: pose skipped, chain L has 22 heavy atoms in the model, the SMILES has 13." in shown


def test_the_compounds_table_shows_neutral_parent_descriptors_and_the_form_as_given(screen_page):
    table = next(frame for frame in screen_page.dataframe if "Rank" in frame.value.columns).value
    carazolol = table[table["Name"] == "carazolol"].iloc[0]
    assert carazolol["MW"] == pytest.approx(298.39) and carazolol["MW as given"] == pytest.approx(299.39)
    assert carazolol["cLogP"] == pytest.approx(3.06) and carazolol["cLogP as given"] == pytest.approx(2.03)
    assert carazolol["Ro5 violations"] == 0
    assert pd.isna(table[table["Name"] == "aspirin"].iloc[0]["MW as given"])  # neutral: one form


def _metric(at, label: str):
    (metric,) = [m for m in at.metric if m.label == label]
    return metric
