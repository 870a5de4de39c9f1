"""Compare jobs in the real browser: select two rows on the Jobs page, then metrics, pLDDT overlay, one 3D viewer."""

from __future__ import annotations

import csv
import io
import re

import pytest

from tests.analysis.test_comparison import rotated_copy
from tests.e2e.browser import (
    assert_no_exception,
    check_structure_viewer,
    click_button,
    download,
    goto,
    shoot,
    visible_viewer_frame,
    wait_idle,
)
from tests.e2e.conftest import import_fixture

pytestmark = pytest.mark.browser

TAG = "cmp-e2e"  # in both names, so the Jobs page's search shows only this test's two jobs
ONE_JOB = "Select two or more completed jobs to compare them."
ROW_PX = 35  # Streamlit's data grid: header and rows are 35 px tall; the row marker column holds the checkboxes


@pytest.fixture(scope="module")
def compared(app, tmp_path_factory) -> dict[str, str]:
    moved = rotated_copy(tmp_path_factory.mktemp("compare") / "rotated")
    return {
        "first": import_fixture(app, "protein_ligand_affinity_b2ar_carazolol", f"{TAG} carazolol"),
        "moved": import_fixture(app, str(moved), f"{TAG} carazolol moved"),
    }


def tick_row(page, row: int) -> None:
    """Tick row `row` (0-based) of the jobs table: a click on its row-marker cell, drawn on the grid's canvas."""
    grid = page.locator('[data-testid="stDataFrame"]').first
    grid.wait_for(state="visible")
    box = grid.bounding_box()
    page.mouse.click(box["x"] + 18, box["y"] + ROW_PX * (row + 1) + ROW_PX / 2)
    wait_idle(page)


def test_two_jobs_selected_on_the_jobs_page_are_compared(page, app, compared, screenshots):
    goto(page, app, "jobs")
    page.get_by_label("Name contains").fill(TAG)
    page.get_by_label("Name contains").press("Enter")
    # The search reaches the server a moment after Enter: wait for its count, not just for a quiet page.
    page.get_by_text(re.compile(r"^2 job\(s\) match")).wait_for()
    wait_idle(page)
    compare = page.get_by_role("button", name="Compare", exact=True)
    tick_row(page, 0)
    compare.wait_for(state="visible")
    wait_idle(page)
    assert compare.is_disabled()  # one job: nothing to compare with, and the caption says so
    assert page.get_by_text(ONE_JOB).is_visible()
    tick_row(page, 1)
    # The selection reaches the server after the click's own idle check: the one-job caption going says it has.
    page.get_by_text(ONE_JOB).wait_for(state="detached")
    wait_idle(page)
    assert compare.is_enabled()
    click_button(page, "Compare")
    page.wait_for_url(re.compile(r"/compare\?jobs="))
    wait_idle(page)
    assert set(re.search(r"jobs=([^&#]+)", page.url).group(1).replace("%2C", ",").split(",")) == set(compared.values())
    assert_no_exception(page, "compare page")
    main = page.locator('[data-testid="stMain"]')
    assert main.get_by_role("link", name=f"{TAG} carazolol moved").count() == 1  # each name opens its job

    # The pLDDT chart: one trace per job, named in the legend.
    chart = page.locator(".js-plotly-plot").first
    chart.wait_for(state="visible")
    assert chart.locator(".scatterlayer .trace").count() == 2
    legend = chart.locator(".legend .legendtext").all_text_contents()  # SVG text: no inner_text
    assert sorted(legend) == [f"{TAG} carazolol", f"{TAG} carazolol moved"]

    # ONE viewer, drawn, its legend naming both jobs; the fit table reports the exact superposition.
    check_structure_viewer(page)
    frame_text = visible_viewer_frame(page).locator("body").inner_text()
    assert "Structures:" in frame_text and f"{TAG} carazolol" in frame_text and f"{TAG} carazolol moved" in frame_text
    assert "not superposed" not in main.inner_text()

    name, data = download(page, "Comparison (CSV)")
    rows = {row[0]: row[1:] for row in csv.reader(io.StringIO(data.decode("utf-8")))}
    assert name == "omtx-comparison.csv"
    assert set(rows["Metric"][:2]) == {f"{TAG} carazolol", f"{TAG} carazolol moved"}
    assert [float(v) for v in rows["pIC50"][:2]] == pytest.approx([10.0688, 10.0688], abs=1e-3)
    shoot(page, screenshots, "33-compare")


def test_a_missing_job_is_named_on_the_compare_page(page, app, compared):
    goto(page, app, f"compare?jobs={compared['first']},not-a-job")
    main = page.locator('[data-testid="stMain"]')
    assert "There is no job not-a-job" in main.inner_text()
    assert "Two or more completed jobs are needed" in main.inner_text()
    assert_no_exception(page, "compare page with a missing job")
