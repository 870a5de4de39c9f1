"""In Chromium: the Overview draws the model beside its numbers, the share link opens the job, and problems in
list-shaped inputs show under their widget."""

from __future__ import annotations

import pytest

from tests.e2e.browser import assert_no_exception, check_structure_viewer, click_button, goto, shoot, wait_idle
from tests.examples import UBIQUITIN

pytestmark = pytest.mark.browser


def test_the_overview_shows_the_structure_beside_the_headline_numbers(page, app, imported_jobs, screenshots):
    goto(page, app, f"job?job={imported_jobs['carazolol']}")
    check_structure_viewer(page)  # exactly one visible viewer, and its canvas is painted
    viewer = page.locator('iframe:visible[srcdoc*="3Dmol"]').bounding_box()
    metric = page.locator('[data-testid="stMetric"]:visible', has_text="pIC50").first.bounding_box()
    assert metric["x"] >= viewer["x"] + viewer["width"], f"the numbers are not beside the model: {viewer} {metric}"
    assert viewer["y"] <= metric["y"] <= viewer["y"] + viewer["height"], "the numbers are not level with the model"
    assert "10.07" in page.locator('[data-testid="stMetric"]:visible', has_text="pIC50").first.inner_text()
    assert_no_exception(page, "Overview")
    shoot(page, screenshots, "23-overview-structure-first")


def test_the_share_link_opens_the_same_job_in_another_session(page, app, browser, imported_jobs, screenshots):
    job_id = imported_jobs["pmhc"]
    goto(page, app, f"job?job={job_id}")
    click_button(page, "Share link")
    link = page.locator('[data-testid="stPopoverBody"] [data-testid="stCode"] code').inner_text().strip()
    assert link == f"{app.url}/job?job={job_id}", link
    shoot(page, screenshots, "24-share-link")
    other = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        opened = other.new_page()
        opened.goto(link)
        wait_idle(opened)
        main = opened.locator('[data-testid="stMain"]')
        main.get_by_role("heading", name="pMHC 4-chain (imported)").wait_for()
        assert main.get_by_text(job_id).count() >= 1
    finally:
        other.close()


def test_a_problem_in_one_variant_line_shows_under_the_variants_box(page, app, screenshots):
    task = "variant_comparison"
    goto(page, app, task)
    page.get_by_role("textbox", name="Wild-type sequence").fill(UBIQUITIN)
    page.get_by_role("textbox", name="Variants").fill("K6A\nA2W\nK48R")  # ubiquitin's residue 2 is Q, not A
    page.get_by_role("textbox", name="Variants").press("Control+Enter")
    page.get_by_role("textbox", name="Variants").press("Tab")  # leaving the box also sends its text
    wait_idle(page)
    click_button(page, "Check and plan")
    # On a busy machine the run's alerts land a moment after the page first looks idle: wait for the one here.
    page.locator('[data-testid="stAlert"]', has_text="Variant 2").first.wait_for(timeout=60_000)
    wait_idle(page)
    box = page.get_by_role("textbox", name="Variants").bounding_box()
    smiles = page.get_by_role("textbox", name="Ligand SMILES").bounding_box()
    beside = [
        alert
        for alert in page.locator('[data-testid="stAlert"]').all()
        if box["y"] + box["height"] <= alert.bounding_box()["y"] <= smiles["y"]
    ]
    assert len(beside) == 1, "no problem shown between the Variants box and the ligand fields"
    assert "Variant 2" in beside[0].inner_text() and "Variant 1" not in beside[0].inner_text()
    assert_no_exception(page, "variants with a bad line")
    shoot(page, screenshots, "25-variant-line-problem")
