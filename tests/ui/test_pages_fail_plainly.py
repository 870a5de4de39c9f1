"""Every page over a damaged job store, and every page with no engine: one plain message, no exception or traceback."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.store_failures import damage

APP = Path(__file__).resolve().parents[2] / "app.py"
PAGES = sorted(path.stem for path in (APP.parent / "pages").glob("*.py"))
TIMEOUT = 60


def open_page(page: str) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT).run()
    if page != "home":
        at.switch_page(f"pages/{page}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def page_text(at: AppTest) -> str:
    parts = (*at.error, *at.warning, *at.info, *at.caption, *at.markdown, *at.sidebar.caption)
    return re.sub(r"\\(.)", r"\1", "\n".join(str(e.value) for e in parts))


@pytest.mark.parametrize("page", PAGES)
def test_a_damaged_store_is_one_plain_error_on_every_page(app_data_dir, page):
    damage(app_data_dir / "jobs.sqlite3")
    at = open_page(page)
    errors = [re.sub(r"\\(.)", r"\1", e.value) for e in at.error]
    # A form needs no store until it submits; app.py's sidebar (drawn by AppTest on the first page only) stops
    # every page of the real app first. Whatever a page says, it says once and names the file.
    assert len(errors) <= 1 and all(str(app_data_dir / "jobs.sqlite3") in error for error in errors), errors
    assert len(errors) == 1 or page not in ("home", "jobs", "job", "import_results", "system")
    assert "Traceback" not in page_text(at)


@pytest.mark.parametrize("page", PAGES)
def test_without_an_engine_every_page_still_works_and_says_what_to_configure(monkeypatch, page):
    monkeypatch.setenv("OMTX_ENGINE", "modal")  # chosen, but no Modal credentials (MODAL_CONFIG_PATH is empty)
    at = open_page(page)
    text = page_text(at)
    assert "Traceback" not in text and all("Modal" in e.value for e in at.error), [e.value for e in at.error]
    if page == "home":  # AppTest draws app.py's sidebar only on the page it starts on
        assert "Engine:** not available" in text and "MODAL_TOKEN_ID" in text, text[:2000]
