"""The app over a damaged database, an unreachable Supabase and a full disk: one plain error, never an exception."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.examples import UBIQUITIN
from tests.store_failures import closed_port_url, damage, full_database, service_key  # noqa: F401 - a fixture

APP = Path(__file__).resolve().parents[2] / "app.py"
TIMEOUT = 60


def shown(at: AppTest) -> str:
    """Every error box's text, read as the user sees it (Markdown escapes of user-supplied text taken out)."""
    assert not at.exception, [e.value for e in at.exception]
    return re.sub(r"\\(.)", r"\1", "\n".join(e.value for e in at.error))


@pytest.mark.parametrize("page", ["home", "jobs"])
def test_a_damaged_database_is_named_on_every_page(app_data_dir, page):
    damage(app_data_dir / "jobs.sqlite3")
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT).run()
    if page != "home":
        at.switch_page(f"pages/{page}.py").run()
    errors = shown(at)
    assert str(app_data_dir / "jobs.sqlite3") in errors and "Move it aside" in errors
    assert "Something went wrong" not in errors


def test_an_unreachable_supabase_is_said_plainly_in_the_sidebar(monkeypatch):
    monkeypatch.setenv("OMTX_STORE", "supabase")
    monkeypatch.setenv("OMTX_SUPABASE_URL", closed_port_url())
    monkeypatch.setenv("OMTX_SUPABASE_KEY", service_key())
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT).run()
    errors = shown(at)
    assert errors.count("Supabase could not be reached") == 1 and service_key() not in errors
    status = " ".join(c.value for c in at.sidebar.caption)
    assert "Job store:** supabase" in status and "Queued jobs:** unknown" in status


def test_a_full_disk_on_submit_names_the_folder_to_free(full_database):  # noqa: F811
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT).run()
    at.switch_page("pages/protein_structure.py").run()
    at.text_area(key="protein_structure.protein_sequence").set_value(UBIQUITIN * 60)
    at.button(key="protein_structure.submit").click().run()
    errors = shown(at)
    assert "full" in errors and str(full_database) in errors and "Free up space" in errors
