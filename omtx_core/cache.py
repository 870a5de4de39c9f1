"""Result cache: canonical input hashing, the optional Redis hot cache, and MSAs reused across jobs."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
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


class HotCache:
    """Redis in front of the stores for what no longer changes: finished job records and result documents.

    Every entry expires after `ttl_s`. Redis is only ever an optimisation: with no URL, or when Redis is down,
    flushed or holds something unreadable, every read is a miss and falls through to the store. Writers (the
    worker, the job service) refresh or drop an entry when they change what it copies.
    """

    def __init__(self, redis_url: str | None, ttl_s: int, *, prefix: str = "omtx:") -> None:
        self._ttl_s = ttl_s
        self._prefix = prefix
        self._client = None
        if redis_url:
            import redis

            self._client = redis.Redis.from_url(redis_url, socket_timeout=1, socket_connect_timeout=1)

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
        if self._client is None:
            return None
        try:
            return self._client.get(self._prefix + key)
        except Exception as exc:  # Redis is an optimisation: any failure is a miss
            log.warning("Redis read failed, reading from the store: %s", type(exc).__name__)
            return None

    def put(self, key: str, value: bytes) -> None:
        if self._client is None:
            return
        try:
            self._client.set(self._prefix + key, value, ex=self._ttl_s)
        except Exception as exc:
            log.warning("Redis write failed: %s", type(exc).__name__)

    def forget(self, *keys: str) -> None:
        if self._client is None or not keys:
            return
        try:
            self._client.delete(*(self._prefix + key for key in keys))
        except Exception as exc:  # an entry that cannot be dropped expires with its TTL
            log.warning("Redis delete failed: %s", type(exc).__name__)

    # Finished jobs only: a pending or running job changes with every heartbeat.
    def job(self, job_id: str) -> Job | None:
        data = self.get(_job_key(job_id))
        if data is None:
            return None
        try:
            return Job.model_validate_json(data)
        except ValueError:  # written by another version, or damaged: read the store instead
            self.forget(_job_key(job_id))
            return None

    def keep_job(self, job: Job) -> None:
        """Cache a finished job's record; forget any entry of one that is not finished."""
        if job.status.is_terminal:
            self.put(_job_key(job.id), job.model_dump_json().encode())
        else:
            self.forget(_job_key(job.id))

    def forget_job(self, job_id: str) -> None:
        self.forget(_job_key(job_id))


def _job_key(job_id: str) -> str:
    return f"job:{job_id}"


def open_hot_cache(settings) -> HotCache:
    """The hot cache the settings ask for (`OMTX_REDIS_URL`, `OMTX_CACHE_TTL_S`); disabled without a URL."""
    return HotCache(settings.redis_url, settings.cache_ttl_s)


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
