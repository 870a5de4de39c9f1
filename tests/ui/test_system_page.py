"""The System page: an admin sees store, engine, running jobs, failures by kind and the masked configuration."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from omtx_core.config import Settings, load_settings
from omtx_core.domain.job import JobError, JobStatus, utcnow
from omtx_core.store.sqlite import SqliteJobStore
from omtx_core.ui.system_view import effective_configuration, failures_by_kind
from tests.examples import VALID_INPUTS
from tests.services import job_service
from tests.ui.rendered import WORD_JOINER, as_text

APP = Path(__file__).resolve().parents[2] / "app.py"
SECRET = "system-page-jwt-secret-never-shown"
AUTH = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "cookie-secret-for-tests",
        "client_id": "omtx", "client_secret": "client-secret-for-tests",
        "server_metadata_url": "https://id.lab.example/.well-known/openid-configuration"}  # fmt: skip
SECTIONS = ["Job store", "Engine", "Workers and running jobs", "Failures in the last 24 hours", "Metrics",
            "Configuration"]  # fmt: skip


def open_system(user: dict | None = None) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=60)
    if user is not None:
        at.secrets["auth"] = AUTH
        at.user = user
    at.run()
    at.switch_page("pages/system.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def page_text(at: AppTest) -> str:
    parts = [e.value for e in (*at.title, *at.subheader, *at.markdown, *at.caption, *at.info, *at.warning,
                               *at.error, *at.success)]  # fmt: skip
    parts += [f"{m.label} {m.value}" for m in at.metric] + [str(f.value.to_dict()) for f in at.dataframe]
    return " ".join(as_text(part) for part in parts).replace(WORD_JOINER, "")


def seed_jobs() -> dict[str, str]:
    """A queued job, a running one held by a worker, a failure today and one two days ago."""
    settings = load_settings()
    store = SqliteJobStore(settings.database_path)
    service = job_service(store, settings=settings)
    ids = {}
    for name in ("running", "failed today", "failed long ago", "queued"):
        data = {**VALID_INPUTS["protein_structure"], "job_name": name}
        ids[name] = service.submit("protein_structure", data, use_cache=False).job.id
    now = utcnow()
    for _ in range(3):  # the oldest three are claimed: the last one stays queued
        store.claim_next("worker-a", 60, max_running=10, now=now)
    for name, when, kind in (("failed today", now, "out_of_memory"), ("failed long ago", now - timedelta(days=2),
                                                                       "timeout")):  # fmt: skip
        error = JobError(kind=kind, message=f"{name}: it stopped", details="")
        store.update(ids[name], {"status": JobStatus.FAILED, "finished_at": when, "error": error,
                                 "lease_owner": None, "lease_expires_at": None})  # fmt: skip
    return ids


def test_the_local_user_is_an_admin_and_sees_every_section(monkeypatch):
    monkeypatch.setenv("OMTX_SUPABASE_JWT_SECRET", SECRET)
    ids = seed_jobs()
    at = open_system()
    assert [s.value for s in at.subheader] == SECTIONS
    text = page_text(at)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics == {"Store": "sqlite", "Queued jobs": "1", "Running jobs": "1"}
    running, failures, configuration = (frame.value for frame in at.dataframe)
    assert running["Worker"].tolist() == ["worker-a"] and running["Id"].tolist() == [ids["running"]]
    assert running["Lease"].iloc[0].startswith("expires in")
    assert failures.to_dict("records") == [{"Kind": "out_of_memory", "Jobs": 1, "Latest": "failed today: it stopped"}]
    settings = dict(zip(configuration["Setting"], configuration["Value"], strict=True))
    assert settings["OMTX_SUPABASE_JWT_SECRET"] == "set (hidden)" and settings["OMTX_SUPABASE_KEY"] == "not set"
    assert settings["OMTX_STORE"] == "sqlite" and settings["OMTX_METRICS_PORT"] == "not set"
    sources = dict(zip(configuration["Setting"], configuration["Source"], strict=True))
    assert sources["OMTX_SUPABASE_JWT_SECRET"] == "environment" and sources["OMTX_STORE"] == "default"
    assert "Not available" in text  # no engine in UI tests
    assert "Metrics are off: set OMTX_METRICS_PORT" in text
    assert SECRET not in text and SECRET not in str(at._tree)


def test_a_signed_in_user_who_is_no_admin_is_refused(monkeypatch):
    monkeypatch.setenv("OMTX_AUTH", "oidc")
    monkeypatch.setenv("OMTX_ALLOWED_DOMAINS", "lab.example")
    monkeypatch.setenv("OMTX_ADMIN_EMAILS", "boss@hq.example")
    user = {"is_logged_in": True, "iss": "https://id.lab.example", "sub": "alice", "email": "alice@lab.example"}
    at = open_system(user)
    assert [i.value for i in at.info] == ["Only administrators can see this page."]
    assert not at.subheader and not at.dataframe
    boss = open_system({**user, "sub": "boss", "email": "boss@hq.example"})
    assert [s.value for s in boss.subheader] == SECTIONS


def test_failures_are_grouped_by_kind_newest_message_first_and_old_ones_left_out():
    now = utcnow()

    def failed(kind: str | None, minutes: int, message: str):
        from omtx_core.domain.job import Job

        error = JobError(kind=kind, message=message) if kind else None
        return Job(owner="o", task_type="t", job_name="n", input={}, input_hash="h", status=JobStatus.FAILED,
                   finished_at=now - timedelta(minutes=minutes), error=error)  # fmt: skip

    jobs = [failed("timeout", 5, "newer"), failed("timeout", 50, "older"), failed(None, 1, "?"),
            failed("crashed", 60 * 30, "too old")]  # fmt: skip
    assert failures_by_kind(jobs, now - timedelta(hours=24)) == [
        {"Kind": "timeout", "Jobs": 2, "Latest": "newer"}, {"Kind": "other", "Jobs": 1, "Latest": ""}]  # fmt: skip


@pytest.mark.parametrize("value", [SECRET, ""])
def test_effective_configuration_never_shows_a_secret(tmp_path, value):
    from pydantic import SecretStr

    rows = effective_configuration(Settings(data_dir=tmp_path, supabase_key=SecretStr(value)))
    shown = {row["Setting"]: row["Value"] for row in rows}
    assert shown["OMTX_SUPABASE_KEY"] == ("set (hidden)" if value else "not set")
    assert SECRET not in str(rows) and shown["OMTX_DATA_DIR"] == str(tmp_path)
