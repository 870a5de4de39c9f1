"""Input hashing and the Redis hot cache (real Redis), which must never be needed for correctness."""

from __future__ import annotations

import socket
import threading
import time
import uuid

import pytest
import redis as redis_lib

from omtx_core.cache import HotCache, cache_prefix, input_hash
from omtx_core.config import Settings
from tests.private_redis import PrivateRedis


@pytest.fixture
def raw(redis):
    """A plain client, to look at and damage entries behind the cache's back."""
    client = redis_lib.Redis.from_url(redis)
    yield client
    client.close()


@pytest.fixture
def private():
    """A Redis of this test's own, to stop, pause or flush."""
    server = PrivateRedis()
    yield server
    server.close()


@pytest.fixture
def cache(redis) -> HotCache:
    return HotCache(redis, ttl_s=60, prefix=f"test:{uuid.uuid4().hex}:")


def loader(value: bytes, calls: list):
    return lambda: calls.append(value) or value


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


def test_hot_cache_reads_through_with_its_ttl(cache, raw):
    loads = []
    assert cache.get_or_load("k", loader(b"value", loads)) == b"value"
    assert cache.get_or_load("k", loader(b"other", loads)) == b"value"
    assert loads == [b"value"] and 55_000 < raw.pttl(cache.prefix + "k") <= 60_000


def test_an_entry_is_never_replaced_and_a_forgotten_one_stays_out_for_a_ttl(cache, raw):
    cache.put("k", b"first")
    cache.put("k", b"second")  # what is cached never changes: a second writer has nothing newer
    assert cache.get("k") == b"first"
    cache.forget("k")
    cache.put("k", b"loaded just before the forget")  # a reader racing the deletion cannot bring it back
    loads = []
    assert cache.get("k") is None and cache.get_or_load("k", loader(b"store", loads)) == b"store"
    assert cache.get_or_load("k", loader(b"store", loads)) == b"store" and len(loads) == 2
    assert 55_000 < raw.pttl(cache.prefix + "k") <= 60_000  # the tombstone expires like any entry


def test_garbage_truncated_or_foreign_entries_are_misses_and_get_replaced(cache, raw):
    cache.put("good", b'{"runs": {}}')
    entry = raw.get(cache.prefix + "good")
    raw.set(cache.prefix + "garbage", b"\x00not an entry")
    raw.set(cache.prefix + "truncated", entry[:-3])
    raw.set(cache.prefix + "flipped", entry[:-1] + b"]")
    raw.set(cache.prefix + "old format", b'{"runs": {}}')  # what the cache wrote before entries were checked
    raw.rpush(cache.prefix + "list", b"x")  # a key of another type
    raw.set(cache.prefix + "job:j1", entry)  # intact, but not a job record
    for key in ("garbage", "truncated", "flipped", "old format", "list"):
        assert cache.get(key) is None, key
        assert cache.get_or_load(key, lambda: b"from store") == b"from store", key
        assert cache.get(key) == b"from store", key  # the damaged entry was dropped and a good copy took its place
    assert cache.job("j1") is None and raw.get(cache.prefix + "job:j1") is None


def test_values_over_the_size_limit_are_not_cached(redis, raw):
    cache = HotCache(redis, ttl_s=60, prefix=f"test:{uuid.uuid4().hex}:", max_bytes=1000)
    cache.put("small", b"x" * 1000)
    cache.put("large", b"x" * 1001)
    assert cache.get("small") == b"x" * 1000 and cache.get("large") is None
    assert raw.exists(cache.prefix + "large") == 0


def test_each_store_has_its_own_namespace(tmp_path, cache, redis):
    other = HotCache(redis, ttl_s=60, prefix=f"test:{uuid.uuid4().hex}:")
    cache.put("k", b"mine")
    assert other.get("k") is None
    a, b = Settings(data_dir=tmp_path / "a"), Settings(data_dir=tmp_path / "b")
    supabase = Settings(store="supabase", supabase_url="https://x.supabase.co", data_dir=tmp_path / "a")
    fallback = Settings(store="fallback", supabase_url="https://x.supabase.co/", data_dir=tmp_path / "b")
    assert cache_prefix(a) == cache_prefix(Settings(data_dir=tmp_path / "a")) != cache_prefix(b)
    assert cache_prefix(supabase) == cache_prefix(fallback) != cache_prefix(a)  # both read the same project
    assert all(cache_prefix(s).startswith("omtx:") for s in (a, b, supabase))


def test_unreachable_redis_is_only_a_miss():
    cache = HotCache("redis://127.0.0.1:1/0", ttl_s=60)
    assert cache.enabled and cache.get_or_load("k", lambda: b"from store") == b"from store"
    cache.forget("k")
    assert cache.get("k") is None


def test_a_hanging_redis_costs_one_timeout_per_back_off_not_one_per_read():
    """A stand-in at the network edge: a port that accepts connections and never answers."""
    listener = socket.create_server(("127.0.0.1", 0))
    accepted = []

    def accept() -> None:
        while True:
            try:
                accepted.append(listener.accept()[0])
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    try:
        cache = HotCache(f"redis://127.0.0.1:{listener.getsockname()[1]}/0", ttl_s=60, timeout_s=0.2,
                         retry_after_s=60)  # fmt: skip
        for _ in range(5):
            assert cache.get_or_load("k", lambda: b"from store") == b"from store"
        deadline = time.monotonic() + 5
        while not accepted and time.monotonic() < deadline:  # the accepting thread may lag on a busy machine
            time.sleep(0.01)
        assert len(accepted) == 1
    finally:
        listener.close()
        for conn in accepted:
            conn.close()


def test_a_forget_missed_during_an_outage_is_written_before_the_next_read(private):
    cache = HotCache(private.url, ttl_s=60, prefix="test:", timeout_s=0.2, retry_after_s=0.3)
    replica = HotCache(private.url, ttl_s=60, prefix="test:")  # another process, which saw no deletion
    cache.put("k", b"before the deletion")
    with private.down():
        cache.forget("k")  # Redis refuses the connection: the tombstone waits in this process
        assert cache.get("k") is None
    assert replica.get("k") == b"before the deletion"  # Redis is back with its data, the deletion unknown to it
    time.sleep(0.4)  # past the back-off, the next call writes the tombstone before it reads
    assert cache.get("k") is None and replica.get("k") is None


def test_a_redis_that_stops_answering_mid_call_is_only_a_miss(private):
    cache = HotCache(private.url, ttl_s=60, prefix="test:", timeout_s=0.2, retry_after_s=60)
    cache.put("k", b"cached")
    with private.paused():
        assert cache.get_or_load("k", lambda: b"from store") == b"from store"
        assert cache.get_or_load("k", lambda: b"from store") == b"from store"


def test_a_flushed_redis_is_only_a_miss(private):
    cache = HotCache(private.url, ttl_s=60, prefix="test:")
    cache.put("k", b"cached")
    private.flush()
    assert cache.get("k") is None and cache.get_or_load("k", lambda: b"from store") == b"from store"
    assert cache.get("k") == b"from store"


def test_no_redis_configured():
    cache = HotCache(None, ttl_s=60)
    assert not cache.enabled and cache.get_or_load("k", lambda: b"x") == b"x"
    with pytest.raises(ValueError):
        HotCache(None, ttl_s=0)
