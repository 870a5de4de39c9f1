"""Names, ids and messages a user typed are shown as their own text: never a link, image, tag, icon or formula."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from omtx_core.config import load_settings
from omtx_core.jobs.worker import Worker, WorkerTiming
from omtx_core.store.local_artifacts import LocalArtifactStore
from omtx_core.store.sqlite import SqliteJobStore
from tests.engines import FixtureEngine
from tests.examples import ASPIRIN, UBIQUITIN
from tests.services import job_service
from tests.ui.rendered import as_text, markdown_strings, page_hazards, shown
from tests.ui.test_job_page import INPUTS, open_job

APP = Path(__file__).resolve().parents[2] / "app.py"
JOB_NAME = (
    "[click](https://evil.example) ![x](https://evil.example/p.png) **bold** :red[x] <b>x</b> $x$ "
    ":material/home: :smile: www.evil.example a@evil.example"
)
COMPOUND = "![c](https://evil.example/c.png) **bold** :red[x]"
VARIANT = "[v](https://evil.example) <b>x</b> $x$"
URL_JOB = "[x](https://evil.example) ![i](https://evil.example/p.png)"


@pytest.fixture
def stores(app_data_dir):
    settings = load_settings()  # the app's own stores, in the UI fixtures' temporary folder
    return SqliteJobStore(settings.database_path), LocalArtifactStore(settings.artifacts_dir), settings


def finished(stores, task: str, engine: FixtureEngine | None = None, **changes):
    store, artifacts, settings = stores
    job = job_service(store).submit(task, {**INPUTS[task], **changes}).job
    Worker(store, artifacts, engine or FixtureEngine(), settings, timing=WorkerTiming(poll_s=0.01)).run_once()
    return store.get(job.id)


def assert_plain(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    found = page_hazards(at)
    assert not found, "\n".join(f"{kind}: {found} in {text!r}" for kind, text, found in found)


def open_page(page: str, **query: str) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    at.switch_page(f"pages/{page}.py")
    for name, value in query.items():
        at.query_params[name] = value
    return at.run()


def test_a_hostile_job_name_is_text_on_the_job_page(stores):
    job = finished(stores, "protein_ligand_binding", job_name=JOB_NAME)
    at = open_job(job.id)
    assert_plain(at)
    assert as_text(at.title[0].value) == JOB_NAME


def test_a_hostile_job_id_in_the_url_is_text(stores):
    at = open_job(URL_JOB)
    assert_plain(at)
    assert f"There is no job {URL_JOB}." in as_text(at.error[0].value)


def test_a_failure_quoting_user_text_is_text(stores):
    engine = FixtureEngine(fail_message=f"Boltz could not read {COMPOUND}")
    job = finished(stores, "protein_structure", engine, job_name=JOB_NAME)
    at = open_job(job.id)
    assert_plain(at)
    assert COMPOUND in as_text(at.error[0].value)


def test_home_lists_a_hostile_job_name_as_text(stores):
    job_service(stores[0]).submit("protein_structure", {**INPUTS["protein_structure"], "job_name": JOB_NAME})
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    assert_plain(at)
    assert JOB_NAME in shown(at)


def test_hostile_compound_names_are_text_in_a_screen(stores):
    compounds = [{"name": COMPOUND, "smiles": INPUTS["drug_discovery"]["compounds"][0]["smiles"]},
                 {"name": "aspirin", "smiles": ASPIRIN}]  # fmt: skip
    job = finished(stores, "drug_discovery", compounds=compounds, job_name=JOB_NAME)
    at = open_job(job.id)
    assert_plain(at)
    helps = [text for kind, text in markdown_strings(at) if kind == "metric" and COMPOUND in as_text(text)]
    assert helps, "the best compound's name is the Best pIC50 tooltip"


def test_hostile_names_are_text_in_the_plan_and_the_submission():
    task = "variant_comparison"
    at = open_page(task)
    at.text_area(key=f"{task}.wildtype_sequence").set_value(UBIQUITIN)
    at.text_area(key=f"{task}.variants").set_value(f"{VARIANT}: I44A\nK48R")
    at.text_input(key=f"{task}.job_name").set_value(JOB_NAME)
    at.button(key=f"{task}.plan").click().run()
    assert_plain(at)
    assert VARIANT in shown(at), "the plan names the variant each run is for"
    at.button(key=f"{task}.submit").click().run()
    assert_plain(at)
    assert JOB_NAME in shown(at)


def test_hostile_compound_names_are_text_in_the_screen_plan():
    task = "drug_discovery"
    at = open_page(task)
    at.text_area(key=f"{task}.protein_sequence").set_value(UBIQUITIN)
    at.text_area(key=f"{task}.library_text").set_value(f"{ASPIRIN} {COMPOUND}\nCCO ethanol").run()
    at.button(key=f"{task}.plan").click().run()
    assert_plain(at)
    assert COMPOUND in shown(at)


def test_an_error_quoting_the_users_text_is_text():
    task = "protein_ligand_binding"
    at = open_page(task)
    at.text_area(key=f"{task}.protein_sequence").set_value(UBIQUITIN)
    at.text_input(key=f"{task}.ligand_ccd").set_value("[x](https://evil.example)")
    at.button(key=f"{task}.plan").click().run()
    assert_plain(at)
    quoted = "'[x](https://evil.example)' is not a CCD code."
    assert len(at.error) == 2 and all(quoted in as_text(e.value) for e in at.error)  # under the field and the list


def test_a_hostile_job_copied_into_its_form_is_text(stores):
    job = job_service(stores[0]).submit("protein_structure", {**INPUTS["protein_structure"], "job_name": JOB_NAME}).job
    at = open_page("protein_structure", **{"from": job.id})
    assert_plain(at)
    assert f"holds a copy of **{JOB_NAME}**" in shown(at)
