"""Errors on pages: our codes, an id finding the unforeseen's traceback in the log; config problems; failure kinds."""

from __future__ import annotations

import logging
import re
from pathlib import Path

from streamlit.testing.v1 import AppTest

from omtx_core.config import load_settings
from omtx_core.jobs.worker import Worker, WorkerTiming
from omtx_core.store.local_artifacts import LocalArtifactStore
from omtx_core.store.sqlite import SqliteJobStore
from tests.engines import FixtureEngine
from tests.examples import VALID_INPUTS
from tests.services import job_service

APP = Path(__file__).resolve().parents[2] / "app.py"
SECRET = "sb_secret_never-on-a-page-42"


def _raise(kind: str, secret: str) -> None:
    import streamlit as st  # noqa: F401 - AppTest runs this function's body as the script

    from omtx_core.errors import JobNotFound
    from omtx_core.ui.errors import show_error

    try:
        if kind == "omtx":
            raise JobNotFound("No job 123.", "Check the link.")
        raise RuntimeError(f"could not connect with key {secret}")
    except Exception as exc:
        show_error(exc)


def page_text(at: AppTest) -> str:
    return " ".join(e.value for e in (*at.error, *at.caption, *at.markdown, *at.code, *at.text))


def test_an_unexpected_error_shows_an_id_that_matches_one_log_line_with_the_traceback(caplog):
    caplog.set_level(logging.ERROR)
    at = AppTest.from_function(_raise, kwargs={"kind": "other", "secret": SECRET}, default_timeout=30).run()
    assert not at.exception
    shown = page_text(at)
    (error_id,) = re.findall(r"Error id: \*\*([0-9a-f]{8})\*\*", shown)
    records = [r for r in caplog.records if error_id in r.getMessage()]
    assert len(records) == 1 and records[0].exc_info and records[0].levelno == logging.ERROR
    assert "Traceback" in caplog.text and SECRET in caplog.text  # the log has it all (the log masks secrets itself)
    assert "Traceback" not in shown and SECRET not in shown and "RuntimeError" not in shown


def test_our_errors_show_their_code():
    at = AppTest.from_function(_raise, kwargs={"kind": "omtx", "secret": SECRET}, default_timeout=30).run()
    assert "No job 123" in at.error[0].value and at.caption[0].value == "Error code: `job_not_found`"


def test_the_app_lists_every_configuration_problem_on_start_instead_of_a_traceback(monkeypatch):
    monkeypatch.setenv("OMTX_STORE", "supabase")
    monkeypatch.setenv("OMTX_RUN_TIMEOUT_S", "-5")
    monkeypatch.setenv("OMTX_REDIS_URL", "http://cache:6379")
    monkeypatch.setenv("OMTX_SUPABASE_KEY", "sb_publishable_" + SECRET)
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    assert not at.exception, [e.value for e in at.exception]
    assert len(at.error) == 1, [e.value for e in at.error]
    box = at.error[0].value
    for variable in ("OMTX_RUN_TIMEOUT_S", "OMTX_SUPABASE_URL", "OMTX_SUPABASE_KEY", "OMTX_REDIS_URL"):
        assert f"`{variable}`" in box, variable
    assert "4 problem(s)" in box and SECRET not in page_text(at) and "Traceback" not in page_text(at)


def test_a_failed_job_shows_its_failure_kind(app_data_dir):
    settings = load_settings()
    store, artifacts = SqliteJobStore(settings.database_path), LocalArtifactStore(settings.artifacts_dir)
    job = job_service(store).submit("protein_structure", VALID_INPUTS["protein_structure"]).job
    engine = FixtureEngine(fail_message="Boltz exited with status 1: torch.OutOfMemoryError: CUDA out of memory.")
    Worker(store, artifacts, engine, settings, timing=WorkerTiming(poll_s=0.01)).run_once()
    assert store.get(job.id).error.kind == "out_of_memory"
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.run()
    at.switch_page("pages/job.py")
    at.query_params["job"] = job.id
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("Failure kind: Out of memory" in c.value.replace("\\", "") for c in at.caption)
