"""A PostgREST- and Storage-compatible test server over a real PostgreSQL, for the real `supabase` client.

Each request carries an HS256 JWT (`Authorization: Bearer`, else `apikey`) signed with the server's secret; its
`role` (anon, authenticated, service_role) and claims decide what it may do. Every REST request runs in one
transaction that begins with `SET LOCAL ROLE <role>` and `set_config('request.jwt.claims', <claims>, true)`, so
PostgreSQL itself enforces grants and row-level security, as on Supabase. Identifiers are checked against a strict
pattern and quoted with psycopg.sql; values always travel as parameters.

REST (the subset the client sends): GET/HEAD/POST/PATCH/DELETE /rest/v1/<table> with select=, column filters
(eq neq gt gte lt lte like ilike match imatch is in, each optionally not.), order=, limit/offset or Range,
Prefer return=/count=exact/resolution= with on_conflict=; POST (or GET) /rest/v1/rpc/<function> with named args.
Like Supabase (pg-safeupdate), PATCH and DELETE need at least one filter.
Storage (service_role only): upload (POST/PUT, x-upsert), download, info, list one folder level, remove.
`unreachable()` stops the HTTP listener and starts it again on the same port, to simulate an outage.
"""

from __future__ import annotations

import csv
import json
import os
import queue
import re
import secrets
import shutil
import socket
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jwt
import psycopg
import uvicorn
from psycopg import sql
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

ROLES = ("anon", "authenticated", "service_role")
BUCKETS = ("inputs", "results", "logs")
IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")
OPERATORS = {"eq": "=", "neq": "<>", "gt": ">", "gte": ">=", "lt": "<", "lte": "<=",
             "like": "like", "ilike": "ilike", "match": "~", "imatch": "~*"}  # fmt: skip
RESERVED_PARAMS = {"select", "order", "limit", "offset", "on_conflict", "columns"}
SINGLE_OBJECT = "application/vnd.pgrst.object+json"
# PostgREST's mapping of SQLSTATE to HTTP status (exact codes first, then the two-character class).
PG_STATUS = {"23503": 409, "23505": 409, "25006": 405, "42883": 404, "42P01": 404, "P0001": 400, "08": 503,
             "09": 500, "0L": 403, "0P": 403, "25": 500, "28": 403, "2D": 500, "38": 500, "39": 500, "3B": 500,
             "40": 500, "53": 503, "54": 500, "55": 500, "57": 500, "58": 500, "F0": 500, "HV": 500, "P0": 500,
             "XX": 500}  # fmt: skip


class ApiError(Exception):
    """An error answered in PostgREST's shape: {code, message, details, hint}."""

    def __init__(self, status: int, code: str, message: str, details: str | None = None, hint: str | None = None):
        super().__init__(message)
        self.status, self.body = status, {"code": code, "message": message, "details": details, "hint": hint}

    def response(self) -> JSONResponse:
        return JSONResponse(self.body, status_code=self.status)


class StorageError(Exception):
    """An error answered in Storage's shape: {statusCode, error, message}."""

    def __init__(self, status: int, error: str, message: str):
        super().__init__(message)
        self.status, self.body = status, {"statusCode": str(status), "error": error, "message": message}

    def response(self) -> JSONResponse:
        return JSONResponse(self.body, status_code=self.status)


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


def _ident(name: str, what: str = "column") -> str:
    name = name.strip()
    if len(name) >= 2 and name[0] == name[-1] == '"':
        name = name[1:-1]
    if not IDENT.match(name):
        raise ApiError(400, "PGRST100", f"invalid {what} name {name!r}")
    return name


def _columns(select: str | None) -> sql.Composable:
    names = [part.strip() for part in (select or "*").split(",") if part.strip()]
    if not names or names == ["*"]:
        return sql.SQL("*")
    return sql.SQL(", ").join(sql.Identifier(_ident(name)) for name in names)


def _name_list(raw: str | None) -> list[str]:
    return [_ident(part) for part in (raw or "").split(",") if part.strip()]


def _filter(column: str, raw: str) -> tuple[sql.Composable, list[Any]]:
    col = sql.Identifier(_ident(column))
    negate = raw.startswith("not.")
    op, _, value = raw.removeprefix("not.").partition(".")
    if op in OPERATORS:
        if op in ("like", "ilike"):
            value = value.replace("*", "%")  # PostgREST's wildcard
        frag, values = sql.SQL("{} {} %s").format(col, sql.SQL(OPERATORS[op])), [value]
    elif op == "is" and value.lower() in ("null", "true", "false", "unknown"):
        frag, values = sql.SQL("{} is {}").format(col, sql.SQL(value.lower())), []
    elif op == "in" and value.startswith("(") and value.endswith(")"):
        values = next(csv.reader([value[1:-1]], escapechar="\\", doublequote=False)) if value[1:-1] else []
        marks = sql.SQL(", ").join([sql.Placeholder()] * len(values))
        frag = sql.SQL("{} in ({})").format(col, marks) if values else sql.SQL("false")
    else:
        raise ApiError(400, "PGRST100", f'"failed to parse filter ({raw})"')
    return (sql.SQL("not ({})").format(frag) if negate else frag), values


def _where(params: Any) -> tuple[sql.Composable, list[Any]]:
    parts, values = [], []
    for key, raw in params.multi_items():
        if key not in RESERVED_PARAMS:
            frag, more = _filter(key, raw)
            parts.append(frag)
            values += more
    return (sql.SQL(" where ") + sql.SQL(" and ").join(parts) if parts else sql.SQL("")), values


def _order(raw: str | None) -> sql.Composable:
    terms = []
    for term in filter(None, (raw or "").split(",")):
        name, *modifiers = term.split(".")
        words = {"asc": "asc", "desc": "desc", "nullsfirst": "nulls first", "nullslast": "nulls last"}
        if any(m not in words for m in modifiers):
            raise ApiError(400, "PGRST100", f'"failed to parse order ({term})"')
        terms.append(sql.SQL(" ").join([sql.Identifier(_ident(name)), *(sql.SQL(words[m]) for m in modifiers)]))
    return sql.SQL(" order by ") + sql.SQL(", ").join(terms) if terms else sql.SQL("")


def _range(params: Any, headers: Any) -> tuple[int | None, int]:
    try:
        limit = int(params["limit"]) if "limit" in params else None
        offset = int(params.get("offset", 0))
        if limit is None and (header := headers.get("range")):
            first, _, last = header.partition("-")
            offset, limit = int(first), (int(last) - int(first) + 1 if last else None)
    except ValueError as exc:
        raise ApiError(400, "PGRST103", "Requested range not satisfiable") from exc
    return limit, offset


def _prefer(headers: Any) -> dict[str, str]:
    items = [item.strip() for value in headers.getlist("prefer") for item in value.split(",")]
    return dict(item.partition("=")[::2] for item in items if "=" in item)


def _rpc_arg(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value)  # numbers, booleans, objects and arrays: PostgreSQL casts the text


def _pg_error(exc: psycopg.Error, role: str) -> ApiError:
    state = exc.sqlstate or ""
    if not state:
        return ApiError(503, "PGRST000", "Database client error. Retrying the connection.", str(exc))
    status = PG_STATUS.get(state) or PG_STATUS.get(state[:2]) or 400
    if state == "42501":
        status = 401 if role == "anon" else 403
    diag = exc.diag
    return ApiError(status, state, diag.message_primary or str(exc), diag.message_detail, diag.message_hint)


class _Pool:
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


class SupabaseTestServer:
    """PostgREST + Storage stand-in on 127.0.0.1; `url`, `service_key`, `anon_key`, `user_key(sub)`."""

    def __init__(self, conninfo: str, *, secret: str | None = None, buckets: tuple[str, ...] = BUCKETS,
                 storage_dir: Path | None = None, port: int = 0, pool_size: int = 10) -> None:  # fmt: skip
        self.secret = secret or secrets.token_urlsafe(32)
        self.host, self.port = "127.0.0.1", port or free_port()
        self.buckets = buckets
        self._tmp = None if storage_dir else tempfile.TemporaryDirectory(prefix="omtx-storage-")
        self.storage_dir = Path(storage_dir or self._tmp.name)
        self._pool = _Pool(conninfo, pool_size)
        self._meta: dict[tuple[str, str], dict[str, Any]] = {}
        self._lock = threading.Lock()
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.requests = 0
        obj = "/storage/v1/object"
        self.app = Starlette(routes=[
            Route("/rest/v1/rpc/{function}", self._rest, methods=["GET", "POST"]),
            Route("/rest/v1/{table}", self._rest, methods=["GET", "HEAD", "POST", "PATCH", "DELETE"]),
            Route(obj + "/list/{bucket}", self._storage, methods=["POST"]),
            Route(obj + "/info/{bucket}/{path:path}", self._storage, methods=["GET"]),
            Route(obj + "/authenticated/{bucket}/{path:path}", self._storage, methods=["GET", "HEAD"]),
            Route(obj + "/{bucket}/{path:path}", self._storage, methods=["GET", "HEAD", "POST", "PUT"]),
            Route(obj + "/{bucket}", self._storage, methods=["DELETE"]),
        ])  # fmt: skip

    # ---- lifecycle -------------------------------------------------------------------------------------------
    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def token(self, role: str, sub: str | None = None, **claims: Any) -> str:
        return make_token(self.secret, role, sub, **claims)

    @property
    def service_key(self) -> str:
        return self.token("service_role")

    @property
    def anon_key(self) -> str:
        return self.token("anon")

    def user_key(self, sub: str) -> str:
        return self.token("authenticated", sub, aud="authenticated")

    @property
    def running(self) -> bool:
        return self._server is not None

    def start(self) -> SupabaseTestServer:
        if self._server is not None:
            return self
        config = uvicorn.Config(self.app, host=self.host, port=self.port, log_level="warning", access_log=False,
                                lifespan="off", timeout_graceful_shutdown=2)  # fmt: skip
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, name=f"supabase-test-{self.port}", daemon=True)
        thread.start()
        deadline = time.monotonic() + 10
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                server.should_exit = True
                raise RuntimeError(f"The Supabase test server could not listen on {self.url}.")
            time.sleep(0.01)
        self._server, self._thread = server, thread
        return self

    def stop(self) -> None:
        """Stop listening (the port refuses connections); `start()` listens again on the same port."""
        if self._server is not None:
            self._server.should_exit = True
            self._thread.join(15)
            self._server = self._thread = None

    @contextmanager
    def unreachable(self) -> Iterator[None]:
        """A Supabase outage: nothing listens on the port inside the block; the same server answers after it."""
        self.stop()
        try:
            yield
        finally:
            self.start()

    def close(self) -> None:
        self.stop()
        self._pool.close()
        if self._tmp is not None:
            self._tmp.cleanup()

    def clear_storage(self) -> None:
        shutil.rmtree(self.storage_dir / "objects", ignore_errors=True)
        with self._lock:
            self._meta.clear()

    def __enter__(self) -> SupabaseTestServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- auth ------------------------------------------------------------------------------------------------
    def _claims(self, request: Request) -> dict[str, Any]:
        header = request.headers.get("authorization", "")
        token = header[7:].strip() if header.lower().startswith("bearer ") else request.headers.get("apikey", "")
        if not token:
            raise ApiError(401, "PGRST302", "No API key found in request", hint="Send an apikey or a bearer token.")
        try:
            claims = jwt.decode(token, self.secret, algorithms=["HS256"], options={"verify_aud": False})
        except jwt.ExpiredSignatureError as exc:
            raise ApiError(401, "PGRST303", "JWT expired") from exc
        except jwt.InvalidTokenError as exc:
            raise ApiError(401, "PGRST301", "JWT could not be decoded", str(exc)) from exc
        if claims.get("role") not in ROLES:
            raise ApiError(401, "PGRST301", f"role {claims.get('role')!r} is not allowed")
        return claims

    # ---- REST ------------------------------------------------------------------------------------------------
    async def _rest(self, request: Request) -> Response:
        self.requests += 1
        try:
            claims = self._claims(request)
            profile = request.headers.get("accept-profile") or request.headers.get("content-profile") or "public"
            if profile != "public":
                raise ApiError(406, "PGRST106", "The schema must be one of the following: public")
            body = await request.body()
            try:
                payload = json.loads(body) if body else None
            except ValueError as exc:
                raise ApiError(400, "PGRST102", "Empty or invalid json") from exc
            return await run_in_threadpool(self._rest_sync, request, payload, claims)
        except ApiError as exc:
            return exc.response()

    def _rest_sync(self, request: Request, payload: Any, claims: dict[str, Any]) -> Response:
        role = claims["role"]
        try:
            with self._pool.connection() as conn, conn.transaction(), conn.cursor() as cur:
                cur.execute(sql.SQL("set local role {}").format(sql.Identifier(role)))
                cur.execute("select set_config('request.jwt.claims', %s, true)", [json.dumps(claims)])
                if "function" in request.path_params:
                    args = payload if request.method == "POST" else dict(request.query_params)
                    return self._rpc(cur, _ident(request.path_params["function"], "function"), args or {})
                table = sql.Identifier("public", _ident(request.path_params["table"], "table"))
                handler = {"GET": self._select, "HEAD": self._select, "POST": self._insert,
                           "PATCH": self._update, "DELETE": self._delete}[request.method]  # fmt: skip
                return handler(cur, table, request, payload)
        except psycopg.Error as exc:
            raise _pg_error(exc, role) from exc

    def _select(self, cur: psycopg.Cursor, table: sql.Composable, request: Request, _: Any) -> Response:
        params, prefer = request.query_params, _prefer(request.headers)
        where, values = _where(params)
        limit, offset = _range(params, request.headers)
        query = sql.SQL("select coalesce(json_agg(_r), '[]')::text from (select {} from {}{}{} limit %s offset %s) _r")
        cur.execute(query.format(_columns(params.get("select")), table, where, _order(params.get("order"))),
                    [*values, limit, offset])  # fmt: skip
        rows = json.loads(cur.fetchone()[0])
        total = None
        if prefer.get("count") == "exact":
            total = cur.execute(sql.SQL("select count(*) from {}{}").format(table, where), values).fetchone()[0]
            if offset > total:
                raise ApiError(416, "PGRST103", "Requested range not satisfiable",
                               f"An offset of {offset} was requested, but there are only {total} rows.")  # fmt: skip
        shown = "*" if total is None else total
        span = f"{offset}-{offset + len(rows) - 1}/{shown}" if rows else f"*/{shown}"
        status = 206 if total is not None and limit is not None and limit < total else 200
        return self._answer(request, rows, status, {"Content-Range": span})

    def _insert(self, cur: psycopg.Cursor, table: sql.Composable, request: Request, payload: Any) -> Response:
        rows = payload if isinstance(payload, list) else [payload]
        if not rows or not all(isinstance(row, dict) and row for row in rows):
            raise ApiError(400, "PGRST102", "Empty or invalid json")
        names = _name_list(request.query_params.get("columns")) or _name_list(",".join(dict.fromkeys(
            key for row in rows for key in row)))  # fmt: skip
        cols = sql.SQL(", ").join(map(sql.Identifier, names))
        statement = sql.SQL("insert into {} ({}) select {} from json_populate_recordset(null::{}, %s::json)").format(
            table, cols, cols, table
        )
        resolution = _prefer(request.headers).get("resolution")
        if resolution in ("merge-duplicates", "ignore-duplicates"):
            target = _name_list(request.query_params.get("on_conflict")) or self._primary_key(cur, table)
            keys = sql.SQL(", ").join(map(sql.Identifier, target))
            if resolution == "ignore-duplicates":
                statement += sql.SQL(" on conflict ({}) do nothing").format(keys)
            else:
                sets = sql.SQL(", ").join(sql.SQL("{0} = excluded.{0}").format(sql.Identifier(n)) for n in names)
                statement += sql.SQL(" on conflict ({}) do update set {}").format(keys, sets)
        return self._write(cur, request, statement, [json.dumps(rows)], 201)

    def _update(self, cur: psycopg.Cursor, table: sql.Composable, request: Request, payload: Any) -> Response:
        if not isinstance(payload, dict) or not payload:
            raise ApiError(400, "PGRST102", "Empty or invalid json")
        where, values = self._required_where(request)
        cols = sql.SQL(", ").join(sql.Identifier(_ident(name)) for name in payload)
        statement = sql.SQL("update {} set ({}) = (select {} from json_populate_record(null::{}, %s::json)){}").format(
            table, cols, cols, table, where
        )
        return self._write(cur, request, statement, [json.dumps(payload), *values], 200)

    def _delete(self, cur: psycopg.Cursor, table: sql.Composable, request: Request, _: Any) -> Response:
        where, values = self._required_where(request)
        return self._write(cur, request, sql.SQL("delete from {}{}").format(table, where), values, 200)

    @staticmethod
    def _required_where(request: Request) -> tuple[sql.Composable, list[Any]]:
        if all(key in RESERVED_PARAMS for key in request.query_params):
            raise ApiError(400, "21000", f"{request.method} requires a WHERE clause")  # Supabase's pg-safeupdate
        return _where(request.query_params)

    def _write(self, cur: psycopg.Cursor, request: Request, statement: sql.Composable, values: list[Any],
               status: int) -> Response:  # fmt: skip
        if _prefer(request.headers).get("return") != "representation":
            cur.execute(statement, values)
            return Response(status_code=201 if status == 201 else 204, headers={"Content-Range": f"*/{cur.rowcount}"})
        query = sql.SQL("with _w as ({} returning {}) select coalesce(json_agg(_w), '[]')::text from _w")
        cur.execute(query.format(statement, _columns(request.query_params.get("select"))), values)
        rows = json.loads(cur.fetchone()[0])
        return self._answer(request, rows, status, {"Content-Range": f"*/{len(rows)}"})

    @staticmethod
    def _answer(request: Request, rows: list[Any], status: int, headers: dict[str, str]) -> Response:
        if SINGLE_OBJECT in request.headers.get("accept", ""):
            if len(rows) != 1:
                raise ApiError(406, "PGRST116", "JSON object requested, multiple (or no) rows returned",
                               f"The result contains {len(rows)} rows")  # fmt: skip
            return JSONResponse(rows[0], status_code=status, headers=headers)
        if request.method == "HEAD":
            return Response(status_code=status, headers=headers)
        return JSONResponse(rows, status_code=status, headers=headers)

    @staticmethod
    def _primary_key(cur: psycopg.Cursor, table: sql.Composable) -> list[str]:
        query = ("select a.attname from pg_index i join pg_attribute a on a.attrelid = i.indrelid"
                 " and a.attnum = any(i.indkey) where i.indrelid = %s::regclass and i.indisprimary")  # fmt: skip
        return [row[0] for row in cur.execute(query, [table.as_string(cur)]).fetchall()]

    def _rpc(self, cur: psycopg.Cursor, function: str, args: dict[str, Any]) -> Response:
        found = cur.execute(
            "select p.proretset, t.typrelid <> 0, t.typname = 'void' from pg_proc p"
            " join pg_namespace n on n.oid = p.pronamespace join pg_type t on t.oid = p.prorettype"
            " where n.nspname = 'public' and p.proname = %s",
            [function],
        ).fetchone()
        if found is None:
            raise ApiError(404, "PGRST202", f"Could not find the function public.{function} in the schema cache")
        returns_set, composite, void = found
        named = sql.SQL(", ").join(sql.SQL("{} => %s").format(sql.Identifier(_ident(name))) for name in args)
        call = sql.SQL("{}({})").format(sql.Identifier("public", function), named)
        values = [_rpc_arg(value) for value in args.values()]
        if void:
            cur.execute(sql.SQL("select {}").format(call), values)
            return Response(status_code=204)
        if returns_set or composite:
            cur.execute(sql.SQL("select coalesce(json_agg(_r), '[]')::text from {} _r").format(call), values)
            rows = json.loads(cur.fetchone()[0])
            return JSONResponse(rows if returns_set else (rows[0] if rows else None))
        cur.execute(sql.SQL("select to_json({})::text").format(call), values)
        return JSONResponse(json.loads(cur.fetchone()[0]))

    # ---- Storage ---------------------------------------------------------------------------------------------
    async def _storage(self, request: Request) -> Response:
        self.requests += 1
        try:
            try:
                role = self._claims(request)["role"]
            except ApiError as exc:
                raise StorageError(exc.status, "Unauthorized", exc.body["message"]) from exc
            if role != "service_role":
                raise StorageError(403, "Unauthorized", "This test server's Storage serves the service_role only.")
            bucket = request.path_params["bucket"]
            if bucket not in self.buckets:
                raise StorageError(404, "Bucket not found", "Bucket not found")
            kind = request.url.path.split("/")[4]  # /storage/v1/object/<kind>/...
            if request.method == "DELETE":
                return JSONResponse(self._remove(bucket, (await request.json()).get("prefixes") or []))
            if kind == "list":
                return JSONResponse(self._list(bucket, await request.json()))
            name = request.path_params["path"]
            if request.method in ("POST", "PUT"):
                return await self._upload(request, bucket, name)
            if kind == "info":
                return JSONResponse(self._info(bucket, name))
            self._info(bucket, name)  # 404 when missing
            meta = self._meta.get((bucket, name), {})
            return Response(self._file(bucket, name).read_bytes(), media_type=meta.get("mimetype"))
        except StorageError as exc:
            return exc.response()

    def _file(self, bucket: str, name: str) -> Path:
        parts = name.strip("/").split("/")
        if not name.strip("/") or any(p in ("", ".", "..") or "\\" in p or "\x00" in p for p in parts):
            raise StorageError(400, "InvalidKey", f"Invalid key: {name}")
        return self.storage_dir.joinpath("objects", bucket, *parts)

    async def _upload(self, request: Request, bucket: str, name: str) -> Response:
        target = self._file(bucket, name)
        content_type = request.headers.get("content-type", "")
        if content_type.startswith("multipart/form-data"):
            upload = (await request.form())["file"]
            data, content_type = await upload.read(), upload.content_type
        else:
            data = await request.body()
        upsert = request.headers.get("x-upsert", "false").lower() == "true"
        if request.method == "POST" and target.is_file() and not upsert:
            raise StorageError(409, "Duplicate", "The resource already exists")
        if request.method == "PUT" and not target.is_file():
            raise StorageError(404, "not_found", "Object not found")
        if target.is_dir():
            raise StorageError(400, "InvalidKey", "A folder exists under this key")
        target.parent.mkdir(parents=True, exist_ok=True)
        scratch = self.storage_dir / "tmp"
        scratch.mkdir(exist_ok=True)
        partial = scratch / uuid.uuid4().hex
        partial.write_bytes(data)
        os.replace(partial, target)  # readers never see half a file
        now = datetime.now(UTC).isoformat()
        with self._lock:
            meta = self._meta.setdefault((bucket, name), {"id": str(uuid.uuid4()), "created_at": now})
            meta.update(updated_at=now, mimetype=content_type or "application/octet-stream")
        return JSONResponse({"Key": f"{bucket}/{name}", "Id": meta["id"]})

    def _info(self, bucket: str, name: str) -> dict[str, Any]:
        path = self._file(bucket, name)
        if not path.is_file():
            raise StorageError(404, "not_found", "Object not found")
        meta = self._meta.get((bucket, name)) or {"id": str(uuid.uuid4()), "mimetype": "application/octet-stream"}
        size = path.stat().st_size
        return {"id": meta["id"], "name": path.name, "bucket_id": bucket, "created_at": meta.get("created_at"),
                "updated_at": meta.get("updated_at"), "last_accessed_at": meta.get("updated_at"),
                "metadata": {"size": size, "contentLength": size, "mimetype": meta["mimetype"],
                             "cacheControl": "max-age=3600", "httpStatusCode": 200}}  # fmt: skip

    def _list(self, bucket: str, body: dict[str, Any]) -> list[dict[str, Any]]:
        prefix = str(body.get("prefix") or "").strip("/")
        folder = self._file(bucket, prefix) if prefix else self.storage_dir / "objects" / bucket
        search = str(body.get("search") or "").lower()
        entries = []
        for child in sorted(folder.iterdir()) if folder.is_dir() else []:
            if child.name.lower().startswith(search):
                name = f"{prefix}/{child.name}" if prefix else child.name
                entries.append({**self._info(bucket, name), "name": child.name} if child.is_file() else
                               {"name": child.name, "id": None, "updated_at": None, "created_at": None,
                                "last_accessed_at": None, "metadata": None})  # fmt: skip
        sort = body.get("sortBy") or {}
        entries.sort(key=lambda e: str(e.get(sort.get("column", "name")) or ""), reverse=sort.get("order") == "desc")
        offset = int(body.get("offset") or 0)
        return entries[offset : offset + int(body.get("limit") or 100)]

    def _remove(self, bucket: str, names: list[str]) -> list[dict[str, Any]]:
        removed = []
        for name in names:
            path = self._file(bucket, name)
            if path.is_file():
                removed.append(self._info(bucket, name))
                path.unlink()
                with self._lock:
                    self._meta.pop((bucket, name), None)
                root = self.storage_dir / "objects" / bucket
                while path.parent != root and not any(path.parent.iterdir()):
                    path.parent.rmdir()  # Storage has no empty folders
                    path = path.parent
        return removed
