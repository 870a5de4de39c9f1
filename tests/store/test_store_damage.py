"""A damaged job database and a full disk: one OmtxError naming the file or folder and what to do, never sqlite3's."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from omtx_core.domain.job import JobQuery
from omtx_core.errors import OmtxError, StoreUnavailable
from omtx_core.store.local_artifacts import LocalArtifactStore
from omtx_core.store.sqlite import SqliteJobStore
from tests.store.contract import make_job
from tests.store_failures import damage, disk_full  # noqa: F401 - a fixture


def test_a_file_that_is_not_a_database_is_named_with_what_to_do(tmp_path: Path) -> None:
    path = tmp_path / "data" / "jobs.sqlite3"
    damage(path)
    with pytest.raises(StoreUnavailable) as raised:
        SqliteJobStore(path)
    assert str(path) in raised.value.message and "damaged" in raised.value.message
    assert "Move it aside" in raised.value.hint and raised.value.__cause__ is not None


def test_a_database_damaged_while_open_is_named_too(tmp_path: Path) -> None:
    path = tmp_path / "jobs.sqlite3"
    store = SqliteJobStore(path)
    store.create(make_job())
    store.close()
    for name in ("jobs.sqlite3-wal", "jobs.sqlite3-shm"):
        (tmp_path / name).unlink(missing_ok=True)
    with path.open("r+b") as handle:  # keep the header, break the pages behind it
        handle.seek(100)
        handle.write(b"\xff" * 8000)
    with pytest.raises(StoreUnavailable, match="damaged") as raised:
        SqliteJobStore(path).list(JobQuery())
    assert "Move it aside" in raised.value.hint


def test_a_full_disk_names_the_folder_to_free(tmp_path: Path) -> None:
    store = SqliteJobStore(tmp_path / "data" / "jobs.sqlite3")
    store.create(make_job())
    pages = store._conn().execute("PRAGMA page_count").fetchone()[0]
    store._conn().execute(f"PRAGMA max_page_count = {pages}")  # SQLite's own SQLITE_FULL, as on a full disk
    with pytest.raises(StoreUnavailable) as raised:
        for i in range(200):
            store.create(make_job(job_name=f"job {i} " + "x" * 500))
    assert isinstance(raised.value.__cause__, sqlite3.OperationalError)
    assert "full" in raised.value.message and str(tmp_path / "data") in raised.value.message
    assert "Free up space" in raised.value.hint and "OMTX_DATA_DIR" in raised.value.hint


def test_a_locked_database_says_to_try_again(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr("omtx_core.store.sqlite.BUSY_TIMEOUT_S", 0.05)
    store = SqliteJobStore(tmp_path / "jobs.sqlite3")
    holder = sqlite3.connect(store.path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    with pytest.raises(StoreUnavailable, match="busy") as raised:
        store.create(make_job())
    holder.execute("ROLLBACK")
    assert "Try again" in raised.value.hint and "disk" not in raised.value.hint


def test_a_full_disk_under_the_artifacts_names_the_folder(tmp_path: Path, disk_full) -> None:  # noqa: F811
    artifacts = LocalArtifactStore(tmp_path / "artifacts")
    with pytest.raises(OmtxError) as raised:
        artifacts.put("results/j1/result.json", b"{}")
    assert isinstance(raised.value, StoreUnavailable) and "full" in raised.value.message
    assert str(tmp_path / "artifacts") in raised.value.message and "Free up space" in raised.value.hint
    assert not list((tmp_path / "artifacts" / "results" / "j1").iterdir())  # no half-written file is left
