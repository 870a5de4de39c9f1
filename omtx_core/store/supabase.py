"""Supabase: jobs in the `public.jobs` table (PostgREST, row-level security) and artifacts in Supabase Storage.

The SQL side (table, indexes, policies, the job rules no user's key gets round, `claim_next_job`, and the
functions that make cache hits and imports) lives in `supabase/migrations/`. Network failures, timeouts and
server-side outages become `StoreUnavailable`, with a message that never contains the key; other refusals
(permissions, constraints, job rules) become `StoreRefused`. `supabase` and `httpx` are imported only when used,
so `import omtx_core` stays light.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from omtx_core.domain.job import Job, JobPage, JobQuery, JobStatus, check_transition, utcnow
from omtx_core.domain.layout import BUCKETS, check_artifact_key
from omtx_core.errors import (
    ArtifactNotFound,
    ConfigurationError,
    JobNotFound,
    OmtxError,
    StaleJobError,
    StoreRefused,
    StoreUnavailable,
)
from omtx_core.store.supabase_limits import SupabaseLimits

if TYPE_CHECKING:
    from supabase import Client

TABLE = "jobs"
CLAIM_FUNCTION = "claim_next_job"
CACHE_HIT_FUNCTION = "create_cache_hit"
IMPORT_FUNCTION = "create_imported_job"
IMPORT_ENGINE = "import"  # omtx_core.jobs.importer's (which this layer may not import); a test keeps them equal
COLUMNS = ",".join(Job.model_fields)
_OUTAGE_CODES = {"PGRST000", "PGRST001", "PGRST002", "PGRST003"}  # PostgREST cannot reach PostgreSQL
_OUTAGE_CLASSES = ("08", "53", "57P")  # connection exception, insufficient resources, server shutting down
_OWN_HINT_CODES = ("42501", "23514")  # raised with a hint for the user by our own SQL (refused, rule broken)
_UNAVAILABLE_HINT = "Check the network and Supabase's status page; try again in a moment."
_PAGE = 100  # Storage lists and removes at most this many objects per request
_UPDATE_TRIES = 3
_PLACEHOLDER = ".emptyFolderPlaceholder"  # made by the Supabase dashboard for empty folders; not an artifact


def connect_supabase(
    url: str, key: str, timeout_s: float = 10, *, token: Callable[[], str] | None = None, api_key: str | None = None
) -> Client:
    """A `supabase` client whose every request (REST, Storage) gives up after `timeout_s` seconds.

    PostgREST's automatic retries (up to 7 s of back-off on GET) are off: a caller that falls back to a local
    store while Supabase is away wants to know at once. With `token` (a signed-in user's token source, asked
    before every request so a long session outlives any one token), each request carries its answer as key and
    bearer instead of `key` (with `api_key`, the project's anon key, as the gateway's `apikey`).
    """
    import httpx
    from supabase import ClientOptions, create_client

    from omtx_core.store.user_tokens import TokenHeaders

    # A request hook, not httpx auth: PostgREST's client turns auth off for requests that carry their own header.
    hooks = {"request": [TokenHeaders(token, api_key)]} if token is not None else {}
    options = ClientOptions(
        httpx_client=httpx.Client(timeout=httpx.Timeout(timeout_s), follow_redirects=True, event_hooks=hooks),
        postgrest_client_retry=False,
        auto_refresh_token=False,
        persist_session=False,
    )
    try:
        return create_client(url, key, options)
    except Exception as exc:  # SupabaseException: a URL that is not http(s), a key that is not a string
        raise ConfigurationError(
            "The Supabase URL or key is invalid.", "The URL must start with https:// (or http:// for a local stack)."
        ) from exc


def _translate(exc: Exception, action: str) -> OmtxError | None:
    """The OmtxError for a failure of the client, or None when it is not one of the client's errors."""
    import httpx
    from postgrest.exceptions import APIError
    from storage3.exceptions import StorageApiError

    unavailable = StoreUnavailable(f"Supabase could not be reached to {action} ({type(exc).__name__}).",
                                   _UNAVAILABLE_HINT)  # fmt: skip
    if isinstance(exc, httpx.TransportError):  # refused, reset, DNS, every kind of timeout
        return unavailable
    if isinstance(exc, APIError):
        code = str(exc.code or "")
        if code in _OUTAGE_CODES or code.startswith(_OUTAGE_CLASSES) or _is_http_5xx(code):
            return unavailable
        detail = f" {exc.details}" if isinstance(exc.details, str) and exc.details else ""
        return StoreRefused(f"Supabase refused to {action}: {exc.message or code} ({code}).{detail}",
                            _refusal_hint(code, exc.hint), store_code=code)  # fmt: skip
    if isinstance(exc, StorageApiError):
        status = str(exc.status)
        if _is_http_5xx(status):
            return unavailable
        return StoreRefused(f"Supabase Storage refused to {action}: {exc.message}.",
                            _refusal_hint(status), store_code=str(exc.code))  # fmt: skip
    return None


def _is_http_5xx(code: str) -> bool:
    """An HTTP status given as the code (a proxy's error page, a gateway timeout), not a 5-character SQLSTATE."""
    return len(code) == 3 and code.isdigit() and code >= "500"


_MISSING_SCHEMA_CODES = ("42P01", "42703", "42883")  # no such table, column or function: migrations missing


def _refusal_hint(code: str, server_hint: str | None = None) -> str:
    if code in _OWN_HINT_CODES and server_hint:  # the job rules in supabase/migrations say what to do instead
        return server_hint
    if code == "PGRST301":  # a signature the project does not accept: a key or JWT secret of another project
        return ("Check that OMTX_SUPABASE_KEY is this project's key and, with sign-in, that OMTX_SUPABASE_JWT_SECRET "
                "is this project's JWT secret (Project Settings → API).")  # fmt: skip
    if code == "PGRST303":
        return "The Supabase token has expired: sign in again, or set OMTX_SUPABASE_KEY to a fresh token."
    if code in ("42501", "401", "403") or code.startswith("PGRST3"):
        return "Check the Supabase key and that you are signed in; you can only see and change your own jobs."
    if code.startswith("22"):  # a data exception: the value itself (e.g. a NUL in a name), not the set-up
        return "A value of this job cannot be stored in the shared database; change that value and submit again."
    if code in _MISSING_SCHEMA_CODES or code.startswith("PGRST2"):
        return "Check that the Supabase migrations in supabase/migrations have been applied."
    return "The shared database refused this change for the reason given; if it keeps happening, report the message."


@contextlib.contextmanager
def _calling(action: str) -> Iterator[None]:
    try:
        yield
    except OmtxError:
        raise
    except Exception as exc:
        if (error := _translate(exc, action)) is None:
            raise
        raise error from exc


def _job(row: dict[str, Any]) -> Job:
    return Job.model_validate({name: row[name] for name in Job.model_fields if name in row})


def _create_function(job: Job) -> str | None:
    """The SQL function that makes this job, for jobs completed at birth (a user's key may not insert those as rows:
    the function checks them and, for a cache hit, copies the results from the source job), else None."""
    if job.cache_hit:
        return CACHE_HIT_FUNCTION
    if job.engine == IMPORT_ENGINE:
        return IMPORT_FUNCTION
    return None


def _like_literal(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _regex_literal(text: str) -> str:
    return "".join(f"\\{c}" if c.isascii() and not c.isalnum() and c != " " else c for c in text)


def _filtered(request: Any, query: JobQuery) -> Any:
    for column, value in (("status", query.status), ("task_type", query.task_type), ("owner", query.owner)):
        if value is not None:
            request = request.eq(column, value)
    if query.search:
        # PostgREST turns every `*` of an ilike pattern into `%`, so a literal `*` needs the regex operator.
        if "*" in query.search:
            return request.filter("job_name", "imatch", _regex_literal(query.search))
        request = request.ilike("job_name", f"*{_like_literal(query.search)}*")
    return request


class SupabaseJobStore(SupabaseLimits):
    """JobStore over the `public.jobs` table; what a user may see is decided by the key's row-level security."""

    def __init__(self, client: Client, *, name: str = "supabase") -> None:
        self.client = client
        self.name = name

    def _table(self) -> Any:
        return self.client.table(TABLE)

    def create(self, job: Job) -> Job:
        row = job.model_dump(mode="json")
        if (function := _create_function(job)) is not None:
            with _calling("save a job"):
                rows = self.client.rpc(function, {"p_job": row}).execute().data
        else:
            # The database refuses a user's insert of anything but a fresh pending job, even when the row exists
            # and the insert would change nothing (the fallback store replays later states of a job this way).
            if job.status != JobStatus.PENDING and (stored := self.get(job.id)) is not None:
                return stored
            with _calling("save a job"):
                rows = self._table().upsert(row, on_conflict="id", ignore_duplicates=True).execute().data
        if rows:
            return _job(rows[0])
        if (stored := self.get(job.id)) is None:  # the id exists, but in a row this key may not read
            raise JobNotFound(f"Job {job.id} already exists and belongs to someone else.", "Submit it again.")
        return stored

    def get(self, job_id: str) -> Job | None:
        with _calling("read a job"):
            rows = self._table().select(COLUMNS).eq("id", job_id).limit(1).execute().data
        return _job(rows[0]) if rows else None

    def list(self, query: JobQuery) -> JobPage:
        request = _filtered(self._table().select(COLUMNS, count="exact"), query)
        request = request.order("created_at", desc=True).order("id", desc=True)
        with _calling("list jobs"):
            try:
                response = request.range(query.offset, query.offset + query.limit - 1).execute()
            except Exception as exc:
                # An offset past the end: PostgREST answers 416 (PGRST103; some versions send a body that does
                # not parse, and the client reports the bare status).
                if getattr(exc, "code", None) not in ("PGRST103", "416"):
                    raise
                return JobPage(jobs=[], total=self._count(query))
        return JobPage(jobs=[_job(row) for row in response.data], total=response.count or 0)

    def _count(self, query: JobQuery) -> int:
        with _calling("count jobs"):
            return _filtered(self._table().select("id", count="exact"), query).limit(1).execute().count or 0

    def update(
        self,
        job_id: str,
        changes: dict[str, Any],
        *,
        expect_status: JobStatus | None = None,
        expect_lease_owner: str | None = None,
    ) -> Job:
        # Read, check, then write only if status (and lease owner) are still what was checked; if another writer
        # got in between without breaking an expectation, check again against what it wrote.
        for _ in range(_UPDATE_TRIES):
            current = self.get(job_id)
            if current is None:
                raise JobNotFound(f"No job {job_id}.", "It may have been deleted.")
            if expect_status is not None and current.status != expect_status:
                raise StaleJobError(f"Job {job_id} is {current.status.value}, not {JobStatus(expect_status).value}.")
            if expect_lease_owner is not None and current.lease_owner != expect_lease_owner:
                raise StaleJobError(f"Job {job_id} is no longer leased to {expect_lease_owner}.")
            new = Job.model_validate({**current.model_dump(), **changes, "updated_at": utcnow()})
            check_transition(current.status, new.status)
            payload = {k: v for k, v in new.model_dump(mode="json").items() if k in changes or k == "updated_at"}
            request = self._table().update(payload).eq("id", job_id).eq("status", current.status.value)
            if expect_lease_owner is not None:
                request = request.eq("lease_owner", expect_lease_owner)
            with _calling("update a job"):
                rows = request.execute().data
            if rows:
                return _job(rows[0])
        raise StaleJobError(f"Job {job_id} kept changing while it was being updated.", "Try again.")

    def delete(self, job_id: str) -> bool:
        with _calling("delete a job"):
            return bool(self._table().delete().eq("id", job_id).execute().data)

    def claim_next(self, worker_id: str, lease_seconds: float, *, max_running: int, now: datetime) -> Job | None:
        params = {"p_worker": worker_id, "p_lease_seconds": lease_seconds, "p_max_running": max_running,
                  "p_now": now.isoformat()}  # fmt: skip
        with _calling("claim a job"):
            rows = self.client.rpc(CLAIM_FUNCTION, params).execute().data
        return _job(rows[0]) if rows else None

    def heartbeat(self, job_id: str, worker_id: str, lease_seconds: float, *, now: datetime) -> Job | None:
        payload = {
            "lease_expires_at": (now + timedelta(seconds=lease_seconds)).isoformat(),
            "updated_at": now.isoformat(),
        }
        request = self._table().update(payload).eq("id", job_id).eq("status", JobStatus.RUNNING.value)
        with _calling("extend a job's lease"):
            rows = request.eq("lease_owner", worker_id).execute().data
        return _job(rows[0]) if rows else None

    def find_completed(self, input_hash: str, owner: str) -> Job | None:
        request = self._table().select(COLUMNS).eq("input_hash", input_hash).eq("owner", owner)
        request = request.eq("status", JobStatus.COMPLETED.value).eq("cache_hit", False)
        with _calling("look up cached results"):
            rows = request.order("created_at", desc=True).order("id", desc=True).limit(1).execute().data
        return _job(rows[0]) if rows else None

    def count_results_users(self, job_id: str) -> int:
        request = self._table().select("id", count="exact").eq("results_from", job_id).neq("id", job_id)
        with _calling("count jobs sharing results"):
            return request.limit(1).execute().count or 0


def _split_prefix(prefix: str) -> tuple[str, str]:
    """`<bucket>/<path prefix>` → (bucket, path prefix); ValueError for anything check_artifact_key would refuse."""
    bucket, _, rest = prefix.partition("/")
    if bucket not in BUCKETS or any(part in (".", "..") for part in rest.split("/")):
        raise ValueError(f"invalid artifact prefix {prefix!r}")
    if rest.rstrip("/"):
        check_artifact_key(f"{bucket}/{rest.rstrip('/')}")
    return bucket, rest


class SupabaseArtifactStore:
    """ArtifactStore over Supabase Storage: bucket = first key segment (inputs, results, logs), object = the rest.

    What a key reaches is decided by Storage's policies (supabase/migrations): a user's key reads the folders of
    that user's jobs (and of the jobs their cache hits read from) and writes only those of jobs they own; the
    service-role key reaches everything, the MSA cache included. An object the key may not read looks missing
    (`get` raises ArtifactNotFound, `exists` is False, `list` leaves it out, `delete` and `delete_prefix` count only
    what was removed), so nothing tells another user's files apart from absent ones; a refused write is StoreRefused.
    """

    def __init__(self, client: Client) -> None:
        self.client = client

    def _object(self, key: str) -> tuple[Any, str]:
        bucket, _, path = check_artifact_key(key).partition("/")
        return self.client.storage.from_(bucket), path

    def put(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None:
        bucket, path = self._object(key)
        with _calling("save a file"):
            bucket.upload(path, data, {"content-type": content_type, "upsert": "true"})

    def get(self, key: str) -> bytes:
        bucket, path = self._object(key)
        with _calling("read a file"):
            try:
                return bucket.download(path)
            except Exception as exc:
                if str(getattr(exc, "status", "")) == "404" or getattr(exc, "code", "") in ("not_found", "NoSuchKey"):
                    raise ArtifactNotFound(f"No file {key}.", "It may have been deleted with its job.") from exc
                raise

    def exists(self, key: str) -> bool:
        bucket, path = self._object(key)
        with _calling("check a file"):
            return bucket.exists(path)

    def list(self, prefix: str) -> list[str]:
        bucket_name, rest = _split_prefix(prefix)
        bucket = self.client.storage.from_(bucket_name)
        keys, folders = [], [rest.rpartition("/")[0]]  # Storage lists one folder level per request
        while folders:
            folder = folders.pop()
            for entry in self._entries(bucket, folder):
                path = f"{folder}/{entry['name']}" if folder else entry["name"]
                if entry.get("id") is None:  # a folder
                    if f"{path}/".startswith(rest) or rest.startswith(f"{path}/"):
                        folders.append(path)
                elif path.startswith(rest) and entry["name"] != _PLACEHOLDER:
                    keys.append(f"{bucket_name}/{path}")
        return sorted(keys)

    def _entries(self, bucket: Any, folder: str) -> Iterator[dict[str, Any]]:
        offset = 0
        while True:
            options = {"limit": _PAGE, "offset": offset, "sortBy": {"column": "name", "order": "asc"}}
            with _calling("list files"):
                page = bucket.list(folder, options)
            yield from page
            if len(page) < _PAGE:
                return
            offset += _PAGE

    def delete(self, key: str) -> bool:
        bucket, path = self._object(key)
        with _calling("delete a file"):
            return bool(bucket.remove([path]))

    def delete_prefix(self, prefix: str) -> int:
        keys = self.list(prefix)
        if not keys:
            return 0
        bucket = self.client.storage.from_(keys[0].partition("/")[0])
        paths = [key.partition("/")[2] for key in keys]
        deleted = 0
        for start in range(0, len(paths), _PAGE):
            with _calling("delete files"):
                deleted += len(bucket.remove(paths[start : start + _PAGE]))
        return deleted
