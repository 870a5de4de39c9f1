"""A job PostgreSQL refuses for good (a NUL in its name, SQLSTATE 22P05) is parked during replay: the fallback store
keeps working, the rest of the outbox reaches Supabase, and the job stays readable on this machine with its reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from omtx_core.domain.job import Job, JobQuery
from omtx_core.errors import StoreRefused
from omtx_core.store.fallback import FallbackJobStore, Outbox
from omtx_core.store.sqlite import SqliteJobStore
from omtx_core.store.supabase import SupabaseJobStore
from tests.examples import UBIQUITIN
from tests.services import job_service


def test_a_name_postgresql_refuses_is_parked_and_the_rest_replays(server, connect, tmp_path):
    store = FallbackJobStore(SupabaseJobStore(connect(timeout_s=2)), SqliteJobStore(tmp_path / "local.db"),
                             Outbox(tmp_path / "outbox.db"), retry_after_s=0)  # fmt: skip
    with server.unreachable():
        before = job_service(store).submit("protein_structure", {"protein_sequence": UBIQUITIN}).job
        # Written by an earlier version, whose validation let a NUL through.
        refused = store.create(Job(owner="local", task_type="protein_structure", job_name="bad\x00name",
                                   input={"protein_sequence": UBIQUITIN}, input_hash="h-bad"))  # fmt: skip
        after = job_service(store).submit("protein_structure", {"protein_sequence": UBIQUITIN[:40]}).job

    assert store.replay() == 2 and len(store.outbox) == 0
    listed = store.list(JobQuery())  # and every later call works: nothing left to raise
    assert {j.id for j in listed.jobs} == {before.id, refused.id, after.id}
    assert {j.id for j in SupabaseJobStore(connect()).list(JobQuery()).jobs} == {before.id, after.id}
    assert store.get(refused.id).job_name == "bad\x00name"
    (entry,) = store.parked()
    assert entry.job_id == refused.id and entry.code == "22P05" and entry.reason


def test_a_refused_value_is_explained_as_the_value_not_the_set_up(connect):
    store = SupabaseJobStore(connect())
    job = Job(owner="local", task_type="protein_structure", job_name="bad\x00name",
              input={"protein_sequence": UBIQUITIN}, input_hash="h-bad")  # fmt: skip
    with pytest.raises(StoreRefused) as refused:
        store.create(job)
    hint = refused.value.hint
    assert refused.value.store_code == "22P05" and "migrations" not in hint and "value" in hint


def test_the_app_says_which_jobs_are_kept_on_this_server_and_why(server, connect, tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from omtx_core.config import Settings
    from omtx_core.store.factory import open_stores

    env = {"OMTX_STORE": "fallback", "OMTX_SUPABASE_URL": server.url, "OMTX_SUPABASE_KEY": server.service_key,
           "OMTX_DATA_DIR": str(tmp_path / "data"), "OMTX_WORKER": "false"}  # fmt: skip
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    store, _ = open_stores(Settings())  # the same outbox and local database the app opens
    with server.unreachable():
        store.create(Job(owner="local", task_type="protein_structure", job_name="bad\x00[name](https://evil.example)",
                         input={"protein_sequence": UBIQUITIN}, input_hash="h-bad"))  # fmt: skip
    store.replay()

    at = AppTest.from_file(str(Path(__file__).resolve().parents[2] / "app.py"), default_timeout=60).run()
    (notice,) = [w.value for w in at.warning if "kept on this server only" in w.value]
    assert notice.startswith("1 job(s)") and "bad\\\\u0000\\[name\\]\\(https" in notice and "\x00" not in notice
    assert "\\(22P05\\)" in notice  # the store's own reason, code included
