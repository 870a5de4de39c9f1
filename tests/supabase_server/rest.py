"""PostgREST for the test server: the subset of its REST API the `supabase` client sends, over real PostgreSQL.

GET/HEAD/POST/PATCH/DELETE /rest/v1/<table> with select=, column filters (eq neq gt gte lt lte like ilike match
imatch is in, each optionally not.), order=, limit/offset or Range, Prefer return=/count=exact/resolution= with
on_conflict=; POST (or GET) /rest/v1/rpc/<function> with named args. Like Supabase (pg-safeupdate), PATCH and
DELETE need at least one filter. Every request runs in one transaction as the JWT's role with its claims
(`common.become`). Identifiers are checked against a strict pattern and quoted with psycopg.sql; values always
travel as parameters.
"""

from __future__ import annotations

import csv
import json
import re
from typing import Any

import psycopg
from psycopg import sql
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from tests.supabase_server.common import ApiError, Pool, become, request_claims

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


class RestApi:
    """`/rest/v1/...` of the test server."""

    def __init__(self, pool: Pool, secret: str) -> None:
        self._pool, self._secret = pool, secret

    async def handle(self, request: Request) -> Response:
        try:
            claims = request_claims(request, self._secret)
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
                become(cur, claims)
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
