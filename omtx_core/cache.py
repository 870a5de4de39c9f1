"""Result cache: canonical input hashing, and an optional Redis hot cache for result reads."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from typing import Any

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
    """Redis-backed read-through cache of result documents with a TTL; every error means a miss.

    Results never change once written, so a stale entry cannot exist; Redis only saves the artifact read.
    """

    def __init__(self, redis_url: str | None, ttl_s: int, *, prefix: str = "omtx:result:") -> None:
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
        cached = self._get(key)
        if cached is not None:
            return cached
        value = load()
        self._set(key, value)
        return value

    def _get(self, key: str) -> bytes | None:
        if self._client is None:
            return None
        try:
            return self._client.get(self._prefix + key)
        except Exception as exc:  # Redis is an optimisation: any failure is a miss
            log.warning("Redis read failed, reading from the store: %s", type(exc).__name__)
            return None

    def _set(self, key: str, value: bytes) -> None:
        if self._client is None:
            return
        try:
            self._client.set(self._prefix + key, value, ex=self._ttl_s)
        except Exception as exc:
            log.warning("Redis write failed: %s", type(exc).__name__)


class MsaCache:
    """MSAs by protein sequence, in the artifact store, so a protein is sent to the MSA server once."""

    def __init__(self, artifacts) -> None:
        self.artifacts = artifacts

    @staticmethod
    def key(sequence: str) -> str:
        digest = hashlib.sha256(sequence.encode()).hexdigest()
        return f"inputs/msa-cache/{digest}.csv"

    def lookup(self, sequences: set[str]) -> dict[str, bytes]:
        found = {}
        for sequence in sequences:
            key = self.key(sequence)
            if self.artifacts.exists(key):
                found[sequence] = self.artifacts.get(key)
        return found

    def save(self, msas: dict[str, bytes]) -> None:
        for sequence, data in msas.items():
            self.artifacts.put(self.key(sequence), data, "text/csv")
