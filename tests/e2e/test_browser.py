"""The app in a real headless Chromium: pages render, a binding job runs live to its results, downloads work."""

from __future__ import annotations

import csv
import io
import re
import zipfile

import pytest

from omtx_core.tasks import TASKS
from tests.e2e.browser import (
    FORM_FILLED_JS,
    assert_no_exception,
    check_structure_viewer,
    click_button,
    download,
    goto,
    open_tab,
    shoot,
    submit_example,
    wait_completed,
    wait_for_job_page,
    wait_idle,
)

pytestmark = pytest.mark.browser

BINDING = "protein_ligand_binding"
SCREEN = "drug_discovery"


# ---- fixtures ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def binding_job(browser, app, screenshots):
    """The binding example submitted through the form; yields (page left on the job page, job id, load count)."""
    context = browser.new_context(accept_downloads=True, viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(30_000)
    page = context.new_page()
    goto(page, app, BINDING)
    click_button(page, "Example")
    shoot(page, screenshots, "02-binding-form")
    page.get_by_role("button", name="Submit job", exact=True).click()
    job_id = wait_for_job_page(page)
    loads: list[str] = []
    page.on("load", lambda: loads.append(page.url))
    yield page, job_id, loads
    context.close()


# ---- tests ---------------------------------------------------------------------------------------


def test_home_shows_the_title_and_a_tile_per_task(page, app, screenshots):
    goto(page, app, "")
    main = page.locator('[data-testid="stMain"]')
    assert main.get_by_role("heading", name="OMTX-Hub").is_visible()
    for model in TASKS.values():
        tile = main.locator('[data-testid="stPageLink"]', has_text=model.title)
        assert tile.count() == 1 and tile.is_visible(), f"no tile for {model.title}"
    assert_no_exception(page, "Home")
    shoot(page, screenshots, "01-home")


def test_binding_job_runs_live_then_shows_every_tab_and_downloads(binding_job, screenshots):
    page, job_id, loads = binding_job
    # Right after Submit the job is not finished: the page shows it queued or running, then updates itself.
    page.locator('[data-testid="stMain"]').get_by_text(re.compile(r"^(Queued|Running)$")).first.wait_for()
    shoot(page, screenshots, "03-job-queued-or-running")
    wait_completed(page)
    assert loads == [], f"the page was reloaded while waiting: {loads}"
    assert job_id in page.url
    shoot(page, screenshots, "04-job-completed")

    tabs = ["Overview", "Affinity", "Confidence", "Structure", "Contacts", "Parameters", "Logs"]
    shown = [t.inner_text().strip() for t in page.get_by_role("tab").all()]
    assert shown == tabs, f"tabs are {shown}"
    for number, label in enumerate(tabs, start=5):
        open_tab(page, label)
        assert_no_exception(page, f"job tab {label}")
        if label == "Structure":
            check_structure_viewer(page)
        shoot(page, screenshots, f"{number:02d}-job-tab-{label.lower()}")

    open_tab(page, "Structure")
    name, data = download(page, re.compile(r"^Download .*\.cif$"))
    assert name.endswith(".cif") and data.decode().startswith("data_"), (name, data[:80])

    open_tab(page, "Overview")
    name, data = download(page, "Metrics (CSV)")
    rows = list(csv.DictReader(io.StringIO(data.decode())))
    assert rows and "pIC50" in rows[0], f"{name}: header {list(rows[0]) if rows else data[:200]!r}"
    assert float(rows[0]["pIC50"]) == pytest.approx(10.07, abs=0.01)

    name, data = download(page, "Job ZIP")
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    assert {"job.json", "result.json", "metrics.csv"} <= set(names), names
    assert any(n.endswith(".cif") for n in names), names


TASK_SHOTS = {task: number for number, task in enumerate(TASKS, start=12)}


@pytest.mark.parametrize("task", list(TASKS))
def test_task_page_plans_its_example_without_errors(page, app, screenshots, task):
    goto(page, app, task)
    click_button(page, "Example")
    # A click during the Example rerun can be dropped on a busy machine: wait until the form is filled.
    page.wait_for_function(FORM_FILLED_JS, timeout=45_000, polling=100)
    wait_idle(page)
    click_button(page, "Check and plan")
    main = page.locator('[data-testid="stMain"]')
    main.get_by_text("Pre-flight check", exact=True).wait_for(timeout=60_000)
    assert_no_exception(page, f"{task} after Check and plan")
    shoot(page, screenshots, f"{TASK_SHOTS[task]:02d}-{task}-planned")


def test_jobs_page_lists_the_submitted_job(page, app, screenshots, binding_job):
    _, job_id, _ = binding_job
    goto(page, app, "jobs")
    main = page.locator('[data-testid="stMain"]')
    main.get_by_role("heading", name="Jobs").wait_for()
    assert_no_exception(page, "Jobs")
    assert main.locator('[data-testid="stDataFrame"]').count() == 1, "no job table"
    caption = main.get_by_text(re.compile(r"\d+ job\(s\) match")).inner_text()
    assert not caption.startswith("0 "), caption
    shoot(page, screenshots, "18-jobs")


def test_job_results_page_without_an_id_opens_a_recent_job(page, app, screenshots, binding_job):
    goto(page, app, "job")
    assert_no_exception(page, "Job results")
    assert "job=" in page.url, f"no job was chosen: {page.url}"
    shoot(page, screenshots, "19-job-results")


def test_import_page_renders(page, app, screenshots):
    goto(page, app, "import_results")
    page.locator('[data-testid="stMain"]').get_by_role("heading", name="Import Boltz results").wait_for()
    assert_no_exception(page, "Import results")
    assert page.get_by_role("button", name="Import", exact=True).is_disabled()
    shoot(page, screenshots, "20-import-results")


def test_a_screen_completes_and_shows_the_ranked_compounds(page, app, screenshots):
    submit_example(page, app, SCREEN)
    wait_for_job_page(page)
    wait_completed(page)
    open_tab(page, "Compounds")
    assert_no_exception(page, "screen Compounds tab")
    panel = page.locator('[role="tabpanel"]:visible')
    assert panel.locator('[data-testid="stDataFrame"]').first.is_visible(), "no ranked table"
    assert panel.get_by_text(re.compile(r"^\d+ / 4$")).count() == 1, "the Hits metric does not count 4 compounds"
    points = panel.locator('[data-testid="stPlotlyChart"] .scatterlayer .point')
    points.first.wait_for()
    assert points.count() == 4, f"the scatter plot shows {points.count()} points, expected 4"
    shoot(page, screenshots, "21-screen-compounds")
