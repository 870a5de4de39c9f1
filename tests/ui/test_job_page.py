"""The job page renders every tab for completed fixture-backed jobs of each task, and failed and cancelled jobs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from omtx_core.config import load_settings
from omtx_core.domain.job import JobQuery
from omtx_core.jobs.worker import Worker, WorkerTiming
from omtx_core.store.local_artifacts import LocalArtifactStore
from omtx_core.store.sqlite import SqliteJobStore
from tests.engines import FixtureEngine
from tests.examples import ASPIRIN, CARAZOLOL
from tests.jobs.test_task_analysis import b2ar
from tests.services import job_service

APP = Path(__file__).resolve().parents[2] / "app.py"
INPUTS = {
    "protein_ligand_binding": {"protein_sequence": b2ar(), "ligand_smiles": CARAZOLOL, "pocket_residues": [113]},
    "protein_structure": {"protein_sequence": b2ar()},
    "protein_complex": {"chains": [{"type": "protein", "sequence": b2ar()}, {"type": "ligand", "smiles": CARAZOLOL}]},
    "binding_site_prediction": {"protein_sequence": b2ar(), "ligand_smiles": CARAZOLOL},
    "variant_comparison": {"wildtype_sequence": b2ar(), "variants": [{"mutations": "D113A"}]},
    "drug_discovery": {"protein_sequence": b2ar(), "compounds": [{"name": "carazolol", "smiles": CARAZOLOL},
                                                                  {"name": "aspirin", "smiles": ASPIRIN}]},
}  # fmt: skip
TASK_TABS = {
    "protein_ligand_binding": {"Affinity", "Contacts"},
    "protein_structure": set(),
    "protein_complex": {"Interfaces"},
    "binding_site_prediction": {"Pockets", "Contacts"},
    "variant_comparison": {"Variants"},
    "drug_discovery": {"Affinity", "Compounds"},
}


@pytest.fixture
def stores(app_data_dir):
    settings = load_settings()  # the app's settings: the UI fixtures point them at a temporary folder
    return SqliteJobStore(settings.database_path), LocalArtifactStore(settings.artifacts_dir), settings


def finished_job(stores, task: str, engine: FixtureEngine | None = None):
    store, artifacts, settings = stores
    job = job_service(store).submit(task, INPUTS[task]).job
    Worker(store, artifacts, engine or FixtureEngine(), settings, timing=WorkerTiming(poll_s=0.01)).run_once()
    return store.get(job.id)


def open_job(job_id: str) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.run()
    at.switch_page("pages/job.py")
    at.query_params["job"] = job_id
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.mark.parametrize("task", list(INPUTS))
def test_completed_job_renders_every_tab(stores, task):
    job = finished_job(stores, task)
    at = open_job(job.id)
    labels = {tab.label for tab in at.tabs}
    assert {"Overview", "Confidence", "Structure", "Parameters", "Logs"} | TASK_TABS[task] <= labels, labels
    assert not at.error, [e.value for e in at.error]
    assert at.get("iframe"), "the 3D viewer is missing"
    srcdoc = at.get("iframe")[0].proto.srcdoc
    assert "$3Dmolpromise" in srcdoc and "data_model" in srcdoc.replace("\\n", "\n")
    assert any(m.label == "Confidence score" for m in at.metric)


def test_binding_job_shows_lab_units_and_pocket_check(stores):
    at = open_job(finished_job(stores, "protein_ligand_binding").id)
    values = {m.label: m.value for m in at.metric}
    assert values["pIC50"] == "10.07" and values["Binder probability"] == "1.00" and "nM" in values["IC50"]
    assert any("within the requested distance" in s.value for s in at.success)


def test_failed_job_shows_the_reason(stores):
    job = finished_job(stores, "protein_structure", FixtureEngine(fail_message="Boltz exited with status 1: boom"))
    at = open_job(job.id)
    assert "This job failed" in at.error[0].value and "boom" in at.error[0].value
    assert {tab.label for tab in at.tabs} == {"Parameters", "Logs"}


def test_cancelled_job_says_so(stores):
    store = stores[0]
    job = job_service(store).submit("protein_structure", INPUTS["protein_structure"]).job
    job_service(store).cancel(job.id)
    at = open_job(job.id)
    assert "cancelled" in at.info[0].value and "Cancelled" in at.markdown[0].value


def test_unknown_job_is_a_plain_error(stores):
    at = open_job("0123456789abcdef")
    assert "no job" in at.error[0].value.lower()


def test_edit_and_rerun_makes_a_new_job_from_the_changed_input(stores):
    store = stores[0]
    job = finished_job(stores, "variant_comparison")
    at = open_job(job.id)
    edited = dict(job.input, variants=[{"mutations": "N312A"}], job_name="N312A instead")
    at.text_area(key="job.edit").set_value(json.dumps(edited)).run()
    at.button(key="job.edit.submit").click().run()
    assert not at.exception and at.title[0].value == "N312A instead"
    newest = store.list(JobQuery(limit=1)).jobs[0]
    assert newest.parent_id == job.id and newest.input["variants"][0]["mutations"] == "N312A"

    at.text_area(key="job.edit").set_value("{not json").run()
    at.button(key="job.edit.submit").click().run()
    assert any("not valid JSON" in e.value for e in at.error)


def test_a_running_screen_shows_its_ranked_rows_so_far(stores):
    from omtx_core.analysis.models import CompoundRow
    from omtx_core.analysis.screening import screen_summary
    from omtx_core.domain.job import utcnow
    from omtx_core.tasks.drug_discovery import ScreenAnalysis

    store, artifacts, _ = stores
    job = job_service(store).submit("drug_discovery", INPUTS["drug_discovery"]).job
    store.claim_next("worker", 600, max_running=10, now=utcnow())
    rows = [
        CompoundRow(name="carazolol", smiles=CARAZOLOL, status="done", binder_probability=0.99, pic50=10.07,
                    ligand_iptm=0.98, run="c00001_carazolol", rank=1),
        CompoundRow(name="aspirin", smiles=ASPIRIN, status="pending", run="c00002_aspirin", rank=2),
    ]  # fmt: skip
    preview = ScreenAnalysis(rows=rows, summary=screen_summary(rows))
    artifacts.put(f"results/{job.id}/partial.json", preview.model_dump_json().encode())
    at = open_job(job.id)
    assert any("1 of 2 compounds scored" in m.value for m in at.markdown)
    assert any("1 hit(s) at binder probability ≥ 0.5" in m.value for m in at.markdown)
    assert list(at.dataframe[0].value["Name"]) == ["carazolol"]  # the live table comes before the tabs

    artifacts.put(f"results/{job.id}/partial.json", json.dumps({"rows": [{"name": "x"}]}).encode())
    at = open_job(job.id)  # a preview this version cannot read is left out, never an error
    assert not at.exception and not any("compounds scored" in m.value for m in at.markdown)
    assert all("Name" not in frame.value.columns for frame in at.dataframe)


@pytest.mark.parametrize("task", list(INPUTS))
def test_edit_and_rerun_fills_the_task_form_with_the_same_input(stores, task):
    job = job_service(stores[0]).submit(task, INPUTS[task]).job
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    at.switch_page(f"pages/{task}.py")
    at.query_params["from"] = job.id
    at.run()
    assert not at.exception and "holds a copy" in at.info[0].value
    at.button(key=f"{task}.plan").click().run()
    assert not at.error, [e.value for e in at.error]
    assert json.loads(at.json[0].value) == job.input  # the form reproduces the stored input exactly
