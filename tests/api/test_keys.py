"""API keys on SQLite and on the Supabase test server: made, listed, revoked; hashed at rest; use noted sparingly."""

from __future__ import annotations

import hashlib
import logging
import sqlite3
import uuid
from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from omtx_core import cli
from omtx_core.api.keys import (
    TOKEN_PREFIX,
    KeyStore,
    SqliteKeyStore,
    check_owner,
    create_key,
    key_id_of,
    open_key_store,
    resolve_api_key,
    verify_key,
)
from omtx_core.config import Settings
from omtx_core.domain.identity import Identity
from omtx_core.errors import ConfigurationError, InputError, StoreRefused

ALICE = str(uuid.uuid4())


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(data_dir=tmp_path / "data")


@pytest.fixture
def keys_server(server, supabase_db):
    """The shared Supabase test server with no API keys."""
    with psycopg.connect(supabase_db, autocommit=True) as conn:
        conn.execute("truncate public.api_keys")
    return server


@pytest.fixture
def supabase_settings(keys_server, tmp_path) -> Settings:
    return Settings(store="supabase", supabase_url=keys_server.url, supabase_key=keys_server.service_key,
                    supabase_jwt_secret=keys_server.secret, data_dir=tmp_path / "data")  # fmt: skip


def _lifecycle(store: KeyStore) -> None:
    """Create, resolve, list, revoke on any key store."""
    clock = Clock()
    key, token = create_key(store, ALICE, label="laptop", email="alice@lab.example", clock=clock)
    assert token.startswith(f"{TOKEN_PREFIX}{key.id}_") and key_id_of(token) == key.id
    assert len(token) == len(TOKEN_PREFIX) + 16 + 1 + 43  # 32 random bytes, URL-safe base64 without padding
    assert verify_key(store, token, clock=clock).identity == Identity(ALICE, email="alice@lab.example")
    admin_key, admin_token = create_key(store, "local", admin=True, clock=clock)
    assert verify_key(store, admin_token, clock=clock).identity == Identity("local", sees_all=True, admin=True)

    listed = {k.id: k for k in store.list_keys()}
    assert set(listed) == {key.id, admin_key.id}
    assert (listed[key.id].owner, listed[key.id].label, listed[key.id].created_at) == (ALICE, "laptop", clock.now)
    assert listed[key.id].revoked_at is None

    clock.now += timedelta(seconds=5)
    revoked = store.revoke(key.id, clock.now)
    assert revoked.revoked_at == clock.now
    assert store.revoke(key.id, clock.now + timedelta(hours=1)).revoked_at == clock.now  # the first revocation stays
    assert verify_key(store, token, clock=clock) is None
    assert verify_key(store, admin_token, clock=clock) is not None  # only that key
    assert store.revoke("0" * 16, clock.now) is None


def _refuses_wrong_tokens(store: KeyStore) -> None:
    _, token = create_key(store, ALICE)
    key_id = key_id_of(token)
    wrong_secret = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    for bad in [wrong_secret, token + "x", token[:-1], f"{TOKEN_PREFIX}{key_id}_", f"{TOKEN_PREFIX}{key_id}",
                "omtx_" + "f" * 16 + "_" + token.rsplit("_", 1)[-1], token.upper(), "", "Bearer " + token,
                token + "x" * 500, f"{TOKEN_PREFIX}../../{key_id}_x", f"{TOKEN_PREFIX}' or 1=1 --_x"]:  # fmt: skip
        assert verify_key(store, bad) is None, bad


def test_sqlite_keys_are_made_listed_and_revoked(settings):
    _lifecycle(open_key_store(settings))


def test_sqlite_refuses_wrong_and_malformed_tokens(settings):
    _refuses_wrong_tokens(open_key_store(settings))


def test_sqlite_table_holds_the_hash_never_the_token(settings):
    store = open_key_store(settings)
    assert isinstance(store, SqliteKeyStore) and store.path == settings.database_path  # beside the jobs
    _, token = create_key(store, ALICE, label="ci")
    raw = settings.database_path.read_bytes()
    wal = settings.database_path.with_name(settings.database_path.name + "-wal")
    raw += wal.read_bytes() if wal.exists() else b""
    secret = token.rsplit("_", 1)[1]
    assert secret.encode() not in raw and token.encode() not in raw
    with sqlite3.connect(settings.database_path) as conn:
        (stored,) = conn.execute("select token_hash from api_keys").fetchone()
    assert stored == hashlib.sha256(token.encode()).hexdigest()


def test_last_used_is_written_at_most_once_a_minute(settings):
    writes: list[datetime] = []

    class Counting(SqliteKeyStore):
        def touch(self, key_id: str, at: datetime) -> None:
            writes.append(at)
            super().touch(key_id, at)

    store, clock = Counting(settings.database_path), Clock()
    key, token = create_key(store, ALICE, clock=clock)
    start = clock.now
    for seconds in (0, 10, 59, 60, 61, 119.9, 120, 500):
        clock.now = start + timedelta(seconds=seconds)
        assert verify_key(store, token, clock=clock) is not None
    assert writes == [start + timedelta(seconds=s) for s in (0, 60, 120, 500)]
    assert store.find(key.id)[0].last_used_at == start + timedelta(seconds=500)


def test_resolve_api_key_gives_the_owners_identity_or_none(settings):
    _, token = create_key(open_key_store(settings), "local", email="me@lab.example")
    assert resolve_api_key(settings, token) == Identity("local", email="me@lab.example")
    assert resolve_api_key(settings, token + "x") is None
    assert resolve_api_key(settings, "not a key") is None


def test_owner_is_local_or_a_uuid_and_on_supabase_a_uuid_unless_admin(settings):
    assert check_owner(" local ", settings, admin=False) == "local"
    assert check_owner(ALICE.upper(), settings, admin=False) == ALICE
    with pytest.raises(InputError, match="not an owner id") as raised:
        check_owner("alice@lab.example", settings, admin=False)
    assert "--email" in raised.value.problems[0].hint
    on_supabase = Settings(store="supabase", data_dir=settings.data_dir)
    with pytest.raises(InputError, match="signed-in user"):
        check_owner("local", on_supabase, admin=False)
    assert check_owner("local", on_supabase, admin=True) == "local"


@pytest.fixture
def root_handlers():
    """cli.main installs its log handler on the root logger: take it off again, so no later test finds it there."""
    before = list(logging.getLogger().handlers)
    yield
    for handler in [h for h in logging.getLogger().handlers if h not in before]:
        logging.getLogger().removeHandler(handler)


def test_cli_creates_lists_and_revokes_without_showing_secrets(settings, monkeypatch, capsys, root_handlers):
    monkeypatch.setenv("OMTX_DATA_DIR", str(settings.data_dir))
    assert cli.main(["keys", "list"]) == 0
    assert "No API keys yet" in capsys.readouterr().out

    assert cli.main(["keys", "create", "--owner", ALICE, "--label", "ci runner", "--email", "a@lab.example"]) == 0
    lines = capsys.readouterr().out.splitlines()
    token = lines[-1]
    assert token.startswith(TOKEN_PREFIX) and "cannot be shown again" in lines[-2]
    assert resolve_api_key(settings, token) == Identity(ALICE, email="a@lab.example")

    assert cli.main(["keys", "list"]) == 0
    listing = capsys.readouterr().out
    key_id = key_id_of(token)
    assert key_id in listing and ALICE in listing and "ci runner" in listing
    assert token.rsplit("_", 1)[1] not in listing and hashlib.sha256(token.encode()).hexdigest() not in listing
    header = listing.splitlines()[0].split()
    assert header[:2] == ["ID", "OWNER"] and "CREATED" in header and "REVOKED" in header

    assert cli.main(["keys", "revoke", key_id]) == 0
    assert "revoked" in capsys.readouterr().out
    assert resolve_api_key(settings, token) is None
    assert cli.main(["keys", "list"]) == 0
    assert listing.splitlines()[1].rstrip().endswith("-")  # before: not revoked
    assert not capsys.readouterr().out.splitlines()[1].rstrip().endswith("-")  # after: a revocation time

    assert cli.main(["keys", "revoke", "0" * 16]) == cli.EXIT_INVALID
    assert "no API key" in capsys.readouterr().err
    assert cli.main(["keys", "create", "--owner", "alice@lab.example"]) == cli.EXIT_INVALID
    assert "not an owner id" in capsys.readouterr().err


def test_supabase_keys_are_made_listed_and_revoked(supabase_settings):
    _lifecycle(open_key_store(supabase_settings))


def test_supabase_refuses_wrong_and_malformed_tokens(supabase_settings):
    _refuses_wrong_tokens(open_key_store(supabase_settings))


def test_supabase_table_holds_the_hash_and_only_the_service_key_reaches_it(supabase_settings, keys_server,
                                                                              supabase_db, connect):  # fmt: skip
    store = open_key_store(supabase_settings)
    _, token = create_key(store, ALICE)
    with psycopg.connect(supabase_db) as conn:
        rows = conn.execute("select * from public.api_keys").fetchall()
    assert len(rows) == 1 and token not in repr(rows) and token.rsplit("_", 1)[1] not in repr(rows)
    assert hashlib.sha256(token.encode()).hexdigest() in repr(rows)

    for key in (keys_server.user_key(ALICE), keys_server.anon_key):  # a user's token sees no key, not even their own
        with pytest.raises(Exception) as refused:
            connect(key).table("api_keys").select("*").execute()
        assert "permission denied" in str(refused.value) or isinstance(refused.value, StoreRefused)
    user_settings = Settings(store="supabase", supabase_url=keys_server.url, supabase_key=keys_server.user_key(ALICE))
    with pytest.raises(ConfigurationError, match="service-role key"):
        open_key_store(user_settings)


def test_supabase_last_used_is_throttled(supabase_settings):
    store, clock = open_key_store(supabase_settings), Clock()
    key, token = create_key(store, ALICE, clock=clock)
    verify_key(store, token, clock=clock)
    first = clock.now
    clock.now += timedelta(seconds=30)
    verify_key(store, token, clock=clock)
    assert store.find(key.id)[0].last_used_at == first
    clock.now += timedelta(seconds=31)
    verify_key(store, token, clock=clock)
    assert store.find(key.id)[0].last_used_at == clock.now
