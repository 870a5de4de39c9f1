"""Ways a store fails, made real for tests: a locked or damaged SQLite file, a full disk, a Supabase that is down."""

from __future__ import annotations

import base64
import errno
import json
import os
import socket
import sqlite3
import time
from pathlib import Path

import pytest

from omtx_core.store.sqlite import SqliteJobStore


class WriteLock:
    """Another program holding the database's write lock: every write of the store fails as 'database is locked'."""

    def __init__(self, path) -> None:
        self.conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)

    def __enter__(self) -> WriteLock:
        self.conn.execute("BEGIN IMMEDIATE")
        return self

    def __exit__(self, *exc) -> None:
        self.conn.execute("ROLLBACK")
        self.conn.close()


def damage(path: Path) -> None:
    """What a crash of the disk or a stray copy leaves: bytes that are no SQLite database."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"not a database, just bytes " * 400)


def closed_port_url() -> str:
    """The URL of a local port nobody listens on (a Supabase that is down)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}"


def service_key() -> str:
    """A key shaped like Supabase's service-role JWT (nothing checks its signature before the server is reached)."""
    part = lambda data: base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()  # noqa: E731
    return f"{part({'alg': 'HS256', 'typ': 'JWT'})}.{part({'role': 'service_role'})}.unsigned"


def wait_until(condition, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


@pytest.fixture
def disk_full(monkeypatch):
    """The disk fills up: writing a file's data fails with ENOSPC (the OS edge; nothing else is faked)."""

    def no_space(fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", no_space)


@pytest.fixture
def full_database(tmp_path, monkeypatch):
    """OMTX_DATA_DIR whose job database cannot grow: SQLite's own SQLITE_FULL on every write that needs a new page,
    as on a full disk (each connection is capped at the pages the file has)."""
    SqliteJobStore(tmp_path / "jobs.sqlite3").close()
    connect = sqlite3.connect

    def at_its_limit(*args, **kwargs):
        conn = connect(*args, **kwargs)
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
        conn.execute(f"PRAGMA max_page_count = {pages}")
        return conn

    monkeypatch.setattr(sqlite3, "connect", at_its_limit)
    monkeypatch.setenv("OMTX_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("OMTX_MAX_TOKENS", "20000")  # room for a job record larger than a database page
    return tmp_path
