"""A submission over a limit is refused on the task form in one box: what was exceeded, and what to do."""

from __future__ import annotations

from tests.ui.test_pages import click, open_page


def submit_example():
    at = click(open_page("protein_structure"), "protein_structure", "example")
    return click(at, "protein_structure", "submit")


def test_the_task_form_shows_the_refusal_in_one_box(monkeypatch) -> None:
    monkeypatch.setenv("OMTX_MAX_ACTIVE_JOBS_PER_USER", "1")  # the local user obeys the limits too
    assert not submit_example().error
    (box,) = submit_example().error
    text = box.value.replace("\\", "")  # Markdown escapes
    assert "You have 1 job queued or running; each user may have at most 1 at once." in text
    assert "cancel queued ones in the job list" in text


def test_a_library_file_over_the_size_limit_is_refused_unread(monkeypatch) -> None:
    from omtx_core import compounds

    monkeypatch.setattr(compounds, "MAX_LIBRARY_MB", 0)  # any file is over it; the page reads the module's value
    at = click(open_page("drug_discovery"), "drug_discovery", "example")
    csv = b"name,smiles\naspirin,CC(=O)Oc1ccccc1C(=O)O\n"
    at.file_uploader(key="drug_discovery.library_file").set_value(("library.csv", csv, "text/csv")).run()
    (box,) = at.error
    assert "a compound library file may be at most 0 MB" in box.value.replace("\\", "")
    assert "aspirin" not in " ".join(c.value for c in at.caption)  # not read: the pasted example stays in use


def test_the_upload_limit_fits_the_import_and_library_limits() -> None:
    import tomllib
    from pathlib import Path

    from omtx_core.compounds import MAX_LIBRARY_MB
    from omtx_core.config import Settings

    config = tomllib.loads((Path(__file__).resolve().parents[2] / ".streamlit" / "config.toml").read_text())
    upload_mb = config["server"]["maxUploadSize"]
    assert MAX_LIBRARY_MB <= upload_mb <= Settings().import_max_mb  # a ZIP is never larger than its expansion
