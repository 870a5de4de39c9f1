"""A page opened by URL as a freshly started server's first request renders inside the app's navigation."""

from __future__ import annotations

import pytest

from omtx_core.tasks import TASKS
from tests.e2e.browser import assert_no_exception, goto, shoot
from tests.e2e.conftest import import_fixture, running_app

pytestmark = pytest.mark.browser

# Labels Streamlit makes from file names when it runs a page outside app.py's st.navigation.
FILE_NAME_LABELS = ("app", "job", "protein ligand binding", "drug discovery")


def assert_inside_the_app(page, where: str) -> None:
    sidebar = page.locator('[data-testid="stSidebar"]')
    nav = page.locator('[data-testid="stSidebarNav"]').inner_text()
    labels = {line.strip() for line in nav.splitlines() if line.strip()}
    assert {"OMTX-Hub", "Job results", "Tasks", "Protein–ligand binding"} <= labels, f"{where}: sidebar is {labels}"
    assert not labels & set(FILE_NAME_LABELS), f"{where}: the sidebar lists file names: {labels}"
    assert sidebar.get_by_text("Job store:").count() == 1, f"{where}: app.py's sidebar status is missing"
    width = page.locator('[data-testid="stMainBlockContainer"]').bounding_box()["width"]
    assert width > 900, f"{where}: the page is in the narrow layout ({width:.0f} px), not app.py's wide one"
    assert_no_exception(page, where)


@pytest.mark.parametrize("target", ["job", "task"])
def test_a_link_opened_first_after_start_shows_the_app(browser, tmp_path, screenshots, target):
    with running_app(tmp_path) as app:
        job_id = import_fixture(app, "protein_ligand_affinity_b2ar_carazolol", "carazolol first link")
        path = f"job?job={job_id}" if target == "job" else "protein_complex"
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        try:
            page = context.new_page()
            goto(page, app, path)  # the server's first page request
            assert_inside_the_app(page, f"first request /{path}")
            main = page.locator('[data-testid="stMain"]')
            if target == "job":
                assert f"job={job_id}" in page.url, page.url
                main.get_by_role("heading", name="carazolol first link").wait_for()
                assert main.get_by_role("tab", name="Overview").count() == 1
            else:
                main.get_by_role("heading", name=TASKS["protein_complex"].title).wait_for()
            shoot(page, screenshots, f"22-first-request-{target}")
        finally:
            context.close()
