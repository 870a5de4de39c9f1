"""The import page turns a ZIP of Boltz output into a job, and refuses unsafe archives in plain words."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from streamlit.testing.v1 import AppTest

from tests.boltz_fixture_output import AFFINITY_CASE
from tests.ui.rendered import as_text

APP = Path(__file__).resolve().parents[2] / "app.py"


def zipped(folder: Path, extra: dict[str, bytes] | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, (folder.name / path.relative_to(folder)).as_posix())
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return buffer.getvalue()


def import_page() -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    at.switch_page("pages/import_results.py").run()
    return at


def test_a_zip_of_boltz_output_becomes_a_job_with_every_tab(app_data_dir):
    at = import_page()
    at.file_uploader(key="import.zip").set_value(("run.zip", zipped(AFFINITY_CASE), "application/zip")).run()
    at.button(key="import.go").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    labels = {tab.label for tab in at.tabs}
    assert {"Overview", "Affinity", "Confidence", "Structure", "Parameters", "Logs"} <= labels
    assert "Completed" in at.markdown[0].value


def test_an_unsafe_archive_is_refused_with_the_reason(app_data_dir):
    at = import_page()
    bad = zipped(AFFINITY_CASE, {"../escape.txt": b"x"})
    at.file_uploader(key="import.zip").set_value(("bad.zip", bad, "application/zip")).run()
    at.button(key="import.go").click().run()
    assert not at.exception and ".." in as_text(at.error[0].value)
