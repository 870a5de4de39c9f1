"""Supabase Storage for the test server: object rows in `storage.objects`, read and written as the caller's role.

Like Supabase Storage, each request runs in one transaction as the JWT's role with its claims (`common.become`) and
does its work on `storage.objects` there, so PostgreSQL's row-level security (the policies in supabase/migrations)
decides what the caller may see and change; service_role bypasses it. Upload (POST) inserts the row, or with
`x-upsert: true` inserts or updates it (which needs insert, select and update rights); PUT replaces an existing
object; download and info select the row; list calls `storage.search` (one folder level, made of the rows the
caller may see); remove deletes the rows the caller may delete and answers only those. A row the caller may not see
is "Object not found", a refused write a 403 "Unauthorized", both in Storage's JSON shape. The bucket must exist
(looked up before taking the caller's role, as Storage does). The bytes live in `<storage dir>/objects/<object id>`.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from tests.supabase_server.common import ApiError, Pool, StorageError, become, request_claims

DEFAULT_TYPE = "application/octet-stream"
_OBJECT = "id, name, bucket_id, owner, owner_id, created_at, updated_at, last_accessed_at, metadata"
_OUTAGE_CLASSES = ("08", "53", "57")  # connection exception, insufficient resources, server shutting down


def _not_found() -> StorageError:
    return StorageError(404, "not_found", "Object not found")


def _storage_error(exc: psycopg.Error) -> StorageError:
    """What Supabase Storage answers when its database refuses or fails."""
    state = exc.sqlstate or ""
    if not state or state.startswith(_OUTAGE_CLASSES):
        return StorageError(503, "DatabaseError", "The database is unavailable")
    if state == "42501":
        return StorageError(403, "Unauthorized", "new row violates row-level security policy")
    if state == "23505":
        return StorageError(409, "Duplicate", "The resource already exists")
    return StorageError(400, "DatabaseError", exc.diag.message_primary or state)


def _check_name(name: str) -> str:
    parts = name.split("/")
    if not name or any(p in ("", ".", "..") or "\\" in p or "\x00" in p for p in parts):
        raise StorageError(400, "InvalidKey", f"Invalid key: {name}")
    return name


def _uuid_or_none(value: Any) -> str | None:
    try:
        return str(uuid.UUID(str(value))) if value else None
    except ValueError:
        return None


class StorageApi:
    """`/storage/v1/object/...` of the test server."""

    def __init__(self, pool: Pool, secret: str, root: Path) -> None:
        self._pool, self._secret, self.root = pool, secret, root

    @property
    def objects_dir(self) -> Path:
        return self.root / "objects"

    def clear(self) -> None:
        """Remove every object of every bucket (rows and bytes)."""
        with self._pool.connection() as conn:
            conn.execute("truncate storage.objects")
        shutil.rmtree(self.objects_dir, ignore_errors=True)

    async def handle(self, request: Request) -> Response:
        try:
            try:
                claims = request_claims(request, self._secret)
            except ApiError as exc:
                raise StorageError(403, "Unauthorized", exc.body["message"]) from exc
            bucket = request.path_params["bucket"]
            kind = request.url.path.split("/")[4]  # /storage/v1/object/<kind>/...
            if request.method == "DELETE":
                names = (await self._json(request)).get("prefixes") or []
                return JSONResponse(await run_in_threadpool(self._remove, claims, bucket, [str(n) for n in names]))
            if kind == "list":
                return JSONResponse(await run_in_threadpool(self._list, claims, bucket, await self._json(request)))
            name = _check_name(request.path_params["path"])
            if request.method in ("POST", "PUT"):
                data, content_type = await self._body(request)
                upsert = request.method == "POST" and request.headers.get("x-upsert", "false").lower() == "true"
                answer = await run_in_threadpool(self._upload, claims, bucket, name, data, content_type,
                                                 request.method == "PUT", upsert)  # fmt: skip
                return JSONResponse(answer)
            row, data = await run_in_threadpool(self._read, claims, bucket, name, kind != "info")
            if kind == "info":
                return JSONResponse(row)
            return Response(data, media_type=(row["metadata"] or {}).get("mimetype") or DEFAULT_TYPE)
        except StorageError as exc:
            return exc.response()

    @staticmethod
    async def _json(request: Request) -> dict[str, Any]:
        try:
            body = await request.json()
        except ValueError as exc:
            raise StorageError(400, "InvalidRequest", "The body is not JSON") from exc
        if not isinstance(body, dict):
            raise StorageError(400, "InvalidRequest", "The body must be a JSON object")
        return body

    @staticmethod
    async def _body(request: Request) -> tuple[bytes, str]:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith("multipart/form-data"):
            upload = (await request.form())["file"]
            return await upload.read(), upload.content_type or DEFAULT_TYPE
        return await request.body(), content_type or DEFAULT_TYPE

    @contextmanager
    def _acting(self, claims: dict[str, Any], bucket: str) -> Iterator[psycopg.Cursor]:
        """A transaction acting as the caller, in an existing bucket; database errors become Storage's errors."""
        try:
            with self._pool.connection() as conn, conn.transaction(), conn.cursor() as cur:
                if cur.execute("select 1 from storage.buckets where id = %s", [bucket]).fetchone() is None:
                    raise StorageError(404, "Bucket not found", "Bucket not found")
                become(cur, claims)
                yield cur
        except psycopg.Error as exc:
            raise _storage_error(exc) from exc

    def _upload(self, claims: dict[str, Any], bucket: str, name: str, data: bytes, content_type: str,
                replace: bool, upsert: bool) -> dict[str, str]:  # fmt: skip
        now = datetime.now(UTC).isoformat()
        metadata = {"eTag": f'"{hashlib.md5(data).hexdigest()}"', "size": len(data), "mimetype": content_type,
                    "cacheControl": "max-age=3600", "lastModified": now, "contentLength": len(data),
                    "httpStatusCode": 200}  # fmt: skip
        sub = claims.get("sub")
        values = {"id": str(uuid.uuid4()), "bucket": bucket, "name": name, "owner": _uuid_or_none(sub),
                  "owner_id": sub, "metadata": json.dumps(metadata)}  # fmt: skip
        columns = "(id, bucket_id, name, owner, owner_id, metadata)"
        row = "(%(id)s, %(bucket)s, %(name)s, %(owner)s, %(owner_id)s, %(metadata)s)"
        with self._acting(claims, bucket) as cur:
            if replace:
                query = ("update storage.objects set owner = %(owner)s, owner_id = %(owner_id)s,"
                         " metadata = %(metadata)s, updated_at = now()"
                         " where bucket_id = %(bucket)s and name = %(name)s returning id")  # fmt: skip
                found = cur.execute(query, values).fetchone()
                if found is None:  # missing, or hidden from this caller by a policy
                    raise _not_found()
                object_id = found[0]
            elif upsert:
                # Reading back the id of an existing row is what makes an upsert need select rights too.
                object_id = cur.execute(f"insert into storage.objects {columns} values {row}"
                                        " on conflict (bucket_id, name) do update set owner = excluded.owner,"
                                        " owner_id = excluded.owner_id, metadata = excluded.metadata,"
                                        " updated_at = now() returning id", values).fetchone()[0]  # fmt: skip
            else:
                cur.execute(f"insert into storage.objects {columns} values {row}", values)
                object_id = values["id"]
            self._write_bytes(str(object_id), data)  # inside the transaction: a refused write stores nothing
        return {"Key": f"{bucket}/{name}", "Id": str(object_id)}

    def _write_bytes(self, object_id: str, data: bytes) -> None:
        scratch = self.root / "tmp"
        scratch.mkdir(parents=True, exist_ok=True)
        self.objects_dir.mkdir(parents=True, exist_ok=True)
        partial = scratch / uuid.uuid4().hex
        partial.write_bytes(data)
        os.replace(partial, self.objects_dir / object_id)  # readers never see half a file

    def _read(self, claims: dict[str, Any], bucket: str, name: str, with_bytes: bool) -> tuple[dict[str, Any], bytes]:
        with self._acting(claims, bucket) as cur:
            found = cur.execute(f"select row_to_json(o)::text from (select {_OBJECT} from storage.objects"
                                " where bucket_id = %s and name = %s) o", [bucket, name]).fetchone()  # fmt: skip
            if found is None:  # missing, or hidden from this caller by a policy
                raise _not_found()
            row = json.loads(found[0])
            try:
                data = (self.objects_dir / row["id"]).read_bytes() if with_bytes else b""
            except FileNotFoundError as exc:  # removed meanwhile
                raise _not_found() from exc
        return row, data

    def _list(self, claims: dict[str, Any], bucket: str, body: dict[str, Any]) -> list[dict[str, Any]]:
        prefix = str(body.get("prefix") or "").lstrip("/")
        if prefix and not prefix.endswith("/"):
            prefix += "/"  # Storage takes the prefix as a folder
        sort = body.get("sortBy") or {}
        try:
            limit, offset = int(body.get("limit") or 100), int(body.get("offset") or 0)
        except (TypeError, ValueError) as exc:
            raise StorageError(400, "InvalidRequest", "limit and offset must be numbers") from exc
        levels = len(prefix.split("/"))  # the path token the listed names sit at
        args = [prefix, bucket, limit, levels, offset, str(body.get("search") or ""), str(sort.get("column") or "name"),
                str(sort.get("order") or "asc")]  # fmt: skip
        with self._acting(claims, bucket) as cur:
            query = "select coalesce(json_agg(s), '[]')::text from storage.search(%s, %s, %s, %s, %s, %s, %s, %s) s"
            return json.loads(cur.execute(query, args).fetchone()[0])

    def _remove(self, claims: dict[str, Any], bucket: str, names: list[str]) -> list[dict[str, Any]]:
        with self._acting(claims, bucket) as cur:
            query = (f"with d as (delete from storage.objects where bucket_id = %s and name = any(%s)"
                     f" returning {_OBJECT}) select coalesce(json_agg(d), '[]')::text from d")  # fmt: skip
            removed = json.loads(cur.execute(query, [bucket, names]).fetchone()[0])
        for row in removed:  # after the commit: only what the caller could delete
            (self.objects_dir / row["id"]).unlink(missing_ok=True)
        return removed
