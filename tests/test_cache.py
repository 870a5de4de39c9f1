"""Input hashing and the Redis hot cache (real Redis), which must never be needed for correctness."""

from __future__ import annotations

import uuid

import pytest

from omtx_core.cache import HotCache, input_hash
from tests.redis_server import redis_url


@pytest.fixture(scope="module")
def redis():
    url, process = redis_url()
    yield url
    if process is not None:
        process.terminate()


def test_input_hash_is_canonical():
    a = input_hash("protein_structure", {"protein_sequence": "MK", "options": {"seed": 1, "recycling_steps": 3}})
    b = input_hash("protein_structure", {"options": {"recycling_steps": 3, "seed": 1}, "protein_sequence": "MK"})
    assert a == b and len(a) == 64
    assert a == input_hash("protein_structure", {"protein_sequence": "MK", "job_name": "x",
                                                 "options": {"seed": 1, "recycling_steps": 3}})  # fmt: skip
    assert a != input_hash("protein_complex", {"protein_sequence": "MK", "options": {"seed": 1, "recycling_steps": 3}})
    assert a != input_hash(
        "protein_structure", {"protein_sequence": "MK", "options": {"seed": 2, "recycling_steps": 3}}
    )


def test_hot_cache_reads_through_and_expires(redis):
    cache = HotCache(redis, ttl_s=60, prefix=f"test:{uuid.uuid4().hex}:")
    loads = []
    assert cache.get_or_load("k", lambda: loads.append(1) or b"value") == b"value"
    assert cache.get_or_load("k", lambda: loads.append(1) or b"other") == b"value"
    assert len(loads) == 1 and 0 < cache._client.ttl(cache._prefix + "k") <= 60


def test_unreachable_redis_is_only_a_miss():
    cache = HotCache("redis://127.0.0.1:1/0", ttl_s=60)
    assert cache.enabled and cache.get_or_load("k", lambda: b"from store") == b"from store"


def test_no_redis_configured():
    cache = HotCache(None, ttl_s=60)
    assert not cache.enabled and cache.get_or_load("k", lambda: b"x") == b"x"
