"""What REST and Storage share: test keys, the caller's JWT claims, the connection pool and acting as a role."""

from __future__ import annotations

import json
import queue
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import jwt
import psycopg
from psycopg import sql
from starlette.requests import Request
from starlette.responses import JSONResponse

ROLES = ("anon", "authenticated", "service_role")


class ApiError(Exception):
    """An error answered in PostgREST's shape: {code, message, details, hint}."""

    def __init__(self, status: int, code: str, message: str, details: str | None = None, hint: str | None = None):
        super().__init__(message)
        self.status, self.body = status, {"code": code, "message": message, "details": details, "hint": hint}

    def response(self) -> JSONResponse:
        return JSONResponse(self.body, status_code=self.status)


class StorageError(Exception):
    """An error answered in Storage's shape: {statusCode, error, message}.

    Like Supabase Storage's error handler, the HTTP status is 500 for a server error and 400 for everything else;
    the real status travels in the body's `statusCode` (which is what the client reports).
    """

    def __init__(self, status: int, error: str, message: str):
        super().__init__(message)
        self.status, self.body = status, {"statusCode": str(status), "error": error, "message": message}

    def response(self) -> JSONResponse:
        return JSONResponse(self.body, status_code=self.status if self.status >= 500 else 400)


def make_token(secret: str, role: str, sub: str | None = None, lifetime_s: int = 3600, **claims: Any) -> str:
    """An HS256 JWT shaped like Supabase's keys and user tokens."""
    now = int(time.time())
    payload = {"iss": "omtx-test", "role": role, "iat": now, "exp": now + lifetime_s, **claims}
    if sub is not None:
        payload["sub"] = sub
    return jwt.encode(payload, secret, algorithm="HS256")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def request_claims(request: Request, secret: str) -> dict[str, Any]:
    """The verified claims of the request's JWT (`Authorization: Bearer`, else `apikey`); ApiError otherwise."""
    header = request.headers.get("authorization", "")
    token = header[7:].strip() if header.lower().startswith("bearer ") else request.headers.get("apikey", "")
    if not token:
        raise ApiError(401, "PGRST302", "No API key found in request", hint="Send an apikey or a bearer token.")
    try:
        claims = jwt.decode(token, secret, algorithms=["HS256"], options={"verify_aud": False})
    except jwt.ExpiredSignatureError as exc:
        raise ApiError(401, "PGRST303", "JWT expired") from exc
    except jwt.InvalidTokenError as exc:
        raise ApiError(401, "PGRST301", "JWT could not be decoded", str(exc)) from exc
    if claims.get("role") not in ROLES:
        raise ApiError(401, "PGRST301", f"role {claims.get('role')!r} is not allowed")
    return claims


def become(cur: psycopg.Cursor, claims: dict[str, Any]) -> None:
    """Act as the JWT's role with its claims for the rest of the transaction, as PostgREST and Storage do, so that
    PostgreSQL's grants and row-level security (`auth.uid()` reads the claims) decide what the request may do."""
    cur.execute(sql.SQL("set local role {}").format(sql.Identifier(claims["role"])))
    cur.execute("select set_config('request.jwt.claims', %s, true)", [json.dumps(claims)])


class Pool:
    """A few autocommit connections (UTC session time zone) shared by the request threads."""

    def __init__(self, conninfo: str, size: int) -> None:
        self.conninfo, self._idle, self._slots = conninfo, queue.LifoQueue(), threading.BoundedSemaphore(size)

    @contextmanager
    def connection(self) -> Iterator[psycopg.Connection]:
        with self._slots:
            try:
                conn = self._idle.get_nowait()
            except queue.Empty:
                conn = psycopg.connect(self.conninfo, autocommit=True, options="-c timezone=UTC", connect_timeout=5)
            try:
                yield conn
            finally:
                if conn.closed or conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
                    conn.close()
                else:
                    self._idle.put(conn)

    def close(self) -> None:
        while not self._idle.empty():
            self._idle.get_nowait().close()
