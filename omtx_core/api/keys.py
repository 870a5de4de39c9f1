"""API keys: made once, stored hashed, each acting for one owner; a SQLite and a Supabase key store."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from omtx_core.config import Settings
from omtx_core.domain.identity import LOCAL_OWNER, Identity
from omtx_core.domain.job import utcnow
from omtx_core.errors import ConfigurationError, InputError, StoreUnavailable

TOKEN_PREFIX = "omtx_"  # a key reads omtx_<id>_<secret>: the id names it in lists and logs, the secret never shows
TOUCH_EVERY = timedelta(minutes=1)  # last_used_at is written at most this often per key: a busy key costs no writes
_ID_PATTERN = re.compile(r"[0-9a-f]{16}")
_MAX_TOKEN_LENGTH = 128  # a real one is 5 + 16 + 1 + 43 characters; longer input is not worth hashing
TABLE = "api_keys"


@dataclass(frozen=True)
class ApiKey:
    """What is known of a key besides its secret: whom it acts for and when it was made, used and revoked."""

    id: str
    owner: str
    created_at: datetime
    label: str = ""
    email: str = ""
    admin: bool = False  # sees and acts on every owner's jobs, like an admin of the app
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None

    @property
    def identity(self) -> Identity:
        return Identity(self.owner, sees_all=self.admin, admin=self.admin, email=self.email)


class KeyStore(Protocol):
    """Where keys live: each row holds the SHA-256 of its token, never the token."""

    def add(self, key: ApiKey, token_hash: str) -> None: ...
    def find(self, key_id: str) -> tuple[ApiKey, str] | None: ...  # the key and its token hash
    def list_keys(self) -> list[ApiKey]: ...
    def revoke(self, key_id: str, at: datetime) -> ApiKey | None: ...
    def touch(self, key_id: str, at: datetime) -> None: ...


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def key_id_of(token: str) -> str | None:
    """The id inside a token (`omtx_<id>_<secret>`), or None when it is not shaped like one of ours."""
    if len(token) > _MAX_TOKEN_LENGTH or not token.startswith(TOKEN_PREFIX):
        return None
    key_id, sep, secret = token[len(TOKEN_PREFIX) :].partition("_")
    return key_id if sep and secret and _ID_PATTERN.fullmatch(key_id) else None


def check_owner(owner: str, settings: Settings, *, admin: bool) -> str:
    """The owner a key may act for: `local` (the local user) or a UUID owner id; on Supabase a UUID unless admin."""
    owner = owner.strip()
    hint = (
        "Give a signed-in user's owner id (a UUID: the `owner` of their jobs, `jobs show JOB_ID --json`), or `local` "
        "for the local user of a deployment without sign-in; an e-mail address goes in --email."
    )
    if owner == LOCAL_OWNER:
        if settings.store != "sqlite" and not admin:
            raise InputError.single(
                "owner", "On the Supabase store a key must act for a signed-in user (a UUID owner id).", hint
            )
        return owner
    try:
        return str(uuid.UUID(owner))
    except ValueError:
        raise InputError.single("owner", f"{owner!r} is not an owner id.", hint) from None


def create_key(
    store: KeyStore,
    owner: str,
    *,
    label: str = "",
    email: str = "",
    admin: bool = False,
    clock: Callable[[], datetime] = utcnow,
) -> tuple[ApiKey, str]:
    """A new key for `owner` and its token (32 random bytes), which is shown once and stored only as a hash."""
    key = ApiKey(secrets.token_hex(8), owner, clock(), label=label.strip(), email=email.strip(), admin=admin)
    token = f"{TOKEN_PREFIX}{key.id}_{secrets.token_urlsafe(32)}"
    store.add(key, token_hash(token))
    return key, token


def verify_key(store: KeyStore, token: str, *, clock: Callable[[], datetime] = utcnow) -> ApiKey | None:
    """The key a token belongs to; None when it is unknown, wrong or revoked. Notes the use at most once a minute."""
    key_id = key_id_of(token)
    found = store.find(key_id) if key_id else None
    if found is None:
        return None
    key, stored_hash = found
    if not hmac.compare_digest(stored_hash, token_hash(token)) or key.revoked_at is not None:
        return None
    now = clock()
    if key.last_used_at is None or now - key.last_used_at >= TOUCH_EVERY:
        store.touch(key.id, now)
        key = replace(key, last_used_at=now)
    return key


def resolve_api_key(
    settings: Settings, raw_key: str, *, store: KeyStore | None = None, clock: Callable[[], datetime] = utcnow
) -> Identity | None:
    """The identity a key acts with; None when it is unknown or revoked."""
    key = verify_key(store or open_key_store(settings), raw_key, clock=clock)
    return None if key is None else key.identity


def open_key_store(settings: Settings) -> KeyStore:
    """The key store beside the job store: a table in the job database, or `api_keys` on Supabase (service key)."""
    if settings.store == "sqlite":
        return SqliteKeyStore(settings.database_path)
    if not settings.supabase_url or settings.supabase_key is None:
        raise ConfigurationError(
            "API keys on the Supabase store need its URL and service key.",
            "Set OMTX_SUPABASE_URL and OMTX_SUPABASE_KEY (the service-role key) for the API and the keys command.",
        )
    from omtx_core.api.keys_supabase import SupabaseKeyStore
    from omtx_core.domain.identity import identity_from_supabase_key
    from omtx_core.store.supabase import connect_supabase

    service_key = settings.supabase_key.get_secret_value()
    if not identity_from_supabase_key(service_key).sees_all:  # a user's token reaches no key, by design
        raise ConfigurationError(
            "API keys on the Supabase store need the service-role key; OMTX_SUPABASE_KEY is a user's token.",
            "Run the API and the keys command with OMTX_SUPABASE_KEY set to the project's service-role key.",
        )
    return SupabaseKeyStore(connect_supabase(settings.supabase_url, service_key))


def key_from_row(row: dict[str, Any]) -> ApiKey:
    return ApiKey(
        id=row["id"],
        owner=row["owner"],
        created_at=_time(row["created_at"]),
        label=row.get("label") or "",
        email=row.get("email") or "",
        admin=bool(row.get("admin")),
        last_used_at=_time(row.get("last_used_at")),
        revoked_at=_time(row.get("revoked_at")),
    )


def _time(value: Any) -> Any:
    return datetime.fromisoformat(value) if isinstance(value, str) else value


_CREATE = f"""
create table if not exists {TABLE} (
    id text primary key,
    token_hash text not null,
    owner text not null,
    email text not null default '',
    label text not null default '',
    admin integer not null default 0,
    created_at text not null,
    last_used_at text,
    revoked_at text
)"""
_COLUMNS = "id, owner, email, label, admin, created_at, last_used_at, revoked_at"


class SqliteKeyStore:
    """Keys in their own table of the job database file (its own connection: the job store does not know it)."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._ready = False

    @contextmanager
    def _conn(self) -> Iterator[sqlite3.Connection]:
        from omtx_core.store.sqlite import BUSY_TIMEOUT_S, database_error

        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S)
        except (OSError, sqlite3.DatabaseError) as exc:
            raise StoreUnavailable(
                f"The key database {self.path} cannot be opened ({exc}).",
                f"Check that {self.path.parent} exists and is writable by OMTX-Hub.",
            ) from exc
        conn.row_factory = sqlite3.Row
        try:
            with conn:
                if not self._ready:
                    conn.execute(_CREATE)
                    self._ready = True
                yield conn
        except sqlite3.DatabaseError as exc:
            raise database_error(self.path, exc) from exc
        finally:
            conn.close()

    def add(self, key: ApiKey, token_hash: str) -> None:
        from omtx_core.store.sqlite import format_time

        with self._conn() as conn:
            conn.execute(
                f"insert into {TABLE} (id, token_hash, owner, email, label, admin, created_at) "
                "values (?, ?, ?, ?, ?, ?, ?)",
                (key.id, token_hash, key.owner, key.email, key.label, int(key.admin), format_time(key.created_at)),
            )

    def find(self, key_id: str) -> tuple[ApiKey, str] | None:
        with self._conn() as conn:
            row = conn.execute(f"select {_COLUMNS}, token_hash from {TABLE} where id = ?", (key_id,)).fetchone()
        return None if row is None else (key_from_row(dict(row)), row["token_hash"])

    def list_keys(self) -> list[ApiKey]:
        with self._conn() as conn:
            rows = conn.execute(f"select {_COLUMNS} from {TABLE} order by created_at, id").fetchall()
        return [key_from_row(dict(row)) for row in rows]

    def revoke(self, key_id: str, at: datetime) -> ApiKey | None:
        from omtx_core.store.sqlite import format_time

        with self._conn() as conn:
            conn.execute(
                f"update {TABLE} set revoked_at = ? where id = ? and revoked_at is null", (format_time(at), key_id)
            )
            row = conn.execute(f"select {_COLUMNS} from {TABLE} where id = ?", (key_id,)).fetchone()
        return None if row is None else key_from_row(dict(row))

    def touch(self, key_id: str, at: datetime) -> None:
        from omtx_core.store.sqlite import format_time

        with self._conn() as conn:
            conn.execute(f"update {TABLE} set last_used_at = ? where id = ?", (format_time(at), key_id))
