"""Result cache: canonical input hashing, the optional Redis hot cache, and MSAs reused across jobs."""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from omtx_core.domain.job import Job
from omtx_core.domain.layout import msa_cache_key

MODEL_VERSION = "boltz-2"  # part of every hash: a new model must not be served old results
_NOT_PREDICTION_INPUTS = frozenset({"job_name"})  # fields that change how a job is labelled, not what it predicts

log = logging.getLogger(__name__)


def input_hash(task_type: str, normalised_input: dict[str, Any]) -> str:
    """SHA-256 of the canonical JSON of the task, the normalised input (minus its name) and the model version."""
    prediction_input = {k: v for k, v in normalised_input.items() if k not in _NOT_PREDICTION_INPUTS}
    canonical = json.dumps(
        {"task": task_type, "input": prediction_input, "model": MODEL_VERSION},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


_HEADER = b"omtx1"  # every entry is this header, the CRC-32 of the value, then the value
_GONE = b"omtx-gone"  # a tombstone (see HotCache): no entry starts like it
_MAX_UNSENT = 10_000  # tombstones held while Redis is unreachable; beyond that the oldest rely on their TTL


class HotCache:
    """Redis in front of the stores for what no longer changes: finished job records and result documents.

    Redis is only ever an optimisation: with no URL, or when Redis is down, slow, flushed or holds something
    unreadable under a key, a read is a miss and falls through to the store. What is cached never changes once
    written, so `put` never replaces an entry, and `forget` (a deletion) leaves a tombstone for a TTL, so a reader
    that loaded the value just before cannot put it back. Every entry expires after `ttl_s`. A Redis that fails to
    answer is left alone for `retry_after_s` (one timeout per period, not one per read), and tombstones it missed
    meanwhile are written before anything is read from it again.
    """

    def __init__(
        self,
        redis_url: str | None,
        ttl_s: int,
        *,
        prefix: str = "omtx:",
        max_bytes: int = 8 * 2**20,
        timeout_s: float = 0.5,
        retry_after_s: float = 5.0,
    ) -> None:
        if ttl_s < 1:
            raise ValueError("the hot cache needs a TTL of at least one second")
        self.ttl_s, self.prefix, self.max_bytes = ttl_s, prefix, max_bytes
        self._retry_after_s = retry_after_s
        self._down_until = 0.0
        self._unsent: dict[str, None] = {}  # full keys, oldest first
        self._lock = threading.Lock()
        self._client = None
        if redis_url:
            import redis
            from redis.backoff import NoBackoff
            from redis.retry import Retry

            # No retries inside redis-py: a failed call is a miss at once; the back-off decides when to try again.
            self._client = redis.Redis.from_url(redis_url, socket_timeout=timeout_s, socket_connect_timeout=timeout_s,
                                                retry=Retry(NoBackoff(), 0))  # fmt: skip
            self._unreachable = (redis.ConnectionError, redis.TimeoutError, redis.exceptions.InvalidResponse, OSError)
            self._refused = redis.ResponseError

    @property
    def enabled(self) -> bool:
        return self._client is not None

    def get_or_load(self, key: str, load: Callable[[], bytes]) -> bytes:
        cached = self.get(key)
        if cached is not None:
            return cached
        value = load()
        self.put(key, value)
        return value

    def get(self, key: str) -> bytes | None:
        """The cached value, or None: not cached, forgotten, damaged (dropped), or Redis unavailable."""
        full = self.prefix + key
        raw = self._call("read", lambda client: self._read(client, full))
        if raw is None or raw == _GONE:
            return None
        value = _unwrap(raw)
        if value is None:  # not written by this version, or damaged: drop it so a good copy can take its place
            self._call("drop", lambda client: client.delete(full))
        return value

    def put(self, key: str, value: bytes) -> None:
        """Cache `value` for `ttl_s` unless an entry (or a tombstone) is there already, or it exceeds `max_bytes`."""
        if len(value) > self.max_bytes:
            return
        full, entry = self.prefix + key, _wrap(value)
        self._call("write", lambda client: client.set(full, entry, ex=self.ttl_s, nx=True))

    def forget(self, *keys: str) -> None:
        """Drop these entries and keep them from coming back for `ttl_s` (sent later if Redis is unreachable)."""
        if self._client is None or not keys:
            return
        with self._lock:
            self._unsent.update(dict.fromkeys(self.prefix + key for key in keys))
            while len(self._unsent) > _MAX_UNSENT:
                log.error("Redis unreachable: a forgotten entry may be served until it expires")
                del self._unsent[next(iter(self._unsent))]
        self._call("forget", lambda client: None)  # sending what is unsent is the first step of every call

    # Finished jobs only: a pending or running job changes with every heartbeat.
    def job(self, job_id: str) -> Job | None:
        data = self.get(_job_key(job_id))
        if data is None:
            return None
        try:
            return Job.model_validate_json(data)
        except ValueError:  # written by another version, or damaged: read the store instead
            self._call("drop", lambda client: client.delete(self.prefix + _job_key(job_id)))
            return None

    def keep_job(self, job: Job) -> None:
        """Cache a finished job's record; one that is not finished is never cached, so there is nothing to drop."""
        if job.status.is_terminal:
            self.put(_job_key(job.id), job.model_dump_json().encode())

    def forget_job(self, job_id: str) -> None:
        """The job was deleted: drop its record, and keep a reader that read it just before from caching it again."""
        self.forget(_job_key(job_id))

    def _call(self, what: str, command: Callable[[Any], Any]) -> Any:
        """`command(client)` after any unsent tombstones; None when disabled, backing off, or on any failure."""
        if self._client is None or time.monotonic() < self._down_until:
            return None
        try:
            self._send_unsent()
            return command(self._client)
        except Exception as exc:  # Redis is an optimisation: any failure is a miss
            unreachable = isinstance(exc, self._unreachable)
            if unreachable:
                self._down_until = time.monotonic() + self._retry_after_s
            log.warning("Redis %s failed (%s)%s", what, type(exc).__name__,
                        f"; using the store alone for {self._retry_after_s:g} s" if unreachable else "")  # fmt: skip
            return None

    def _read(self, client, full: str) -> bytes | None:
        try:
            return client.get(full)
        except self._refused:  # a value of another type under the key (WRONGTYPE): drop it, a good copy follows
            client.delete(full)
            return None

    def _send_unsent(self) -> None:
        with self._lock:
            keys = list(self._unsent)
        if not keys:
            return
        pipe = self._client.pipeline(transaction=False)
        for key in keys:
            pipe.set(key, _GONE, ex=self.ttl_s)
        pipe.execute()
        with self._lock:
            for key in keys:
                self._unsent.pop(key, None)


def _wrap(value: bytes) -> bytes:
    return _HEADER + zlib.crc32(value).to_bytes(4, "big") + value


def _unwrap(entry: bytes) -> bytes | None:
    """The value of an entry `_wrap` made, or None for anything else (garbage, truncated, another format)."""
    head = len(_HEADER) + 4
    if not entry.startswith(_HEADER) or len(entry) < head:
        return None
    value = entry[head:]
    return value if zlib.crc32(value).to_bytes(4, "big") == entry[len(_HEADER) : head] else None


def _job_key(job_id: str) -> str:
    return f"job:{job_id}"


def cache_prefix(settings) -> str:
    """`omtx:<digest>:`, one namespace per store and job-record format.

    Deployments and test runs that share a Redis never read each other's entries, and a release whose Job model
    changed never reads records cached by the one before.
    """
    if settings.store == "sqlite":
        where = f"sqlite:{Path(settings.database_path).resolve()}"
    else:  # supabase, and fallback in front of it: the Supabase project holds the jobs
        where = f"supabase:{(settings.supabase_url or '').rstrip('/')}"
    schema = json.dumps(Job.model_json_schema(), sort_keys=True)
    return f"omtx:{hashlib.sha256(f'{where}|{schema}'.encode()).hexdigest()[:16]}:"


def open_hot_cache(settings) -> HotCache:
    """The hot cache the settings ask for (`OMTX_REDIS_URL`, `OMTX_CACHE_TTL_S`); disabled without a URL."""
    if not settings.redis_url:
        return HotCache(None, settings.cache_ttl_s)
    return HotCache(settings.redis_url, settings.cache_ttl_s, prefix=cache_prefix(settings))


class MsaCache:
    """MSAs by protein sequence, in the artifact store, so a protein is sent to the MSA server once."""

    def __init__(self, artifacts) -> None:
        self.artifacts = artifacts

    def lookup(self, sequences: set[str]) -> dict[str, bytes]:
        found = {}
        for sequence in sequences:
            key = msa_cache_key(sequence)
            if self.artifacts.exists(key):
                found[sequence] = self.artifacts.get(key)
        return found

    def save(self, msas: dict[str, bytes]) -> None:
        for sequence, data in msas.items():
            self.artifacts.put(msa_cache_key(sequence), data, "text/csv")
