"""With OMTX_REDIS_URL set, the app's job page reads the job and its result document through Redis."""

from __future__ import annotations

from pathlib import Path

import redis as redis_lib
from streamlit.testing.v1 import AppTest

from omtx_core.cache import cache_prefix
from omtx_core.config import load_settings
from omtx_core.domain.layout import JobFiles
from omtx_core.ui.resources import runtime
from tests.hot import finished_job, rename_behind_the_stores_back

APP = Path(__file__).resolve().parents[2] / "app.py"


def page_title(job_id: str) -> str:
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.run()
    at.switch_page("pages/job.py")
    at.query_params["job"] = job_id
    at.run()
    assert not at.exception and not at.error, [e.value for e in [*at.exception, *at.error]]
    return at.title[0].value


def test_the_job_page_reads_finished_jobs_through_redis(redis, monkeypatch):
    monkeypatch.setenv("OMTX_REDIS_URL", redis)  # the UI fixtures give the app its own data folder
    settings = load_settings()
    job_id = finished_job(settings)
    shown = page_title(job_id)
    assert runtime().jobs.hot.enabled
    prefix = cache_prefix(settings)
    with redis_lib.Redis.from_url(redis) as raw:
        assert raw.exists(f"{prefix}job:{job_id}", prefix + JobFiles(job_id).result_document) == 2
    rename_behind_the_stores_back(settings, job_id, "renamed behind the store's back")
    (settings.artifacts_dir / JobFiles(job_id).result_document).unlink()
    runtime.clear()  # a fresh app process: only Redis still knows the old name and the document
    assert page_title(job_id) == shown
