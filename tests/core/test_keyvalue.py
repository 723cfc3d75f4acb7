"""The kernel's key-value store behaves the same in both modes: a dictionary in the embedded
process and Redis in cluster mode (real Redis, a test database)."""

from __future__ import annotations

import os
import uuid

import pytest
import redis

from apps.core.keyvalue import LocalKeyValue, RedisKeyValue
from tests.waiting import wait_until

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture(params=["local", "redis"])
def kv(request):
    if request.param == "local":
        yield LocalKeyValue(), "k"
        return
    client = redis.Redis.from_url(REDIS_URL, socket_timeout=2)
    try:
        client.ping()
    except redis.ConnectionError:
        pytest.skip("no Redis here")
    prefix = f"posko-test-kv-{uuid.uuid4().hex}"
    yield RedisKeyValue(client), prefix
    keys = list(client.scan_iter(f"{prefix}*"))
    if keys:
        client.delete(*keys)


def test_values_set_read_and_expire(kv):
    store, key = kv
    assert store.get(f"{key}:a") is None and not store.exists(f"{key}:a")
    assert store.set(f"{key}:a", "1")
    assert store.get(f"{key}:a") == "1" and store.exists(f"{key}:a")
    store.set(f"{key}:short", "x", seconds=0.05)
    wait_until(lambda: not store.exists(f"{key}:short"), timeout=5, what="expiry")
    assert store.get(f"{key}:a") == "1"  # the other key lives on


def test_only_new_stores_once(kv):
    store, key = kv
    assert store.set(f"{key}:q", "1", seconds=60, only_new=True)
    assert not store.set(f"{key}:q", "2", seconds=60, only_new=True)
    assert store.get(f"{key}:q") == "1"


def test_many_keys_at_once(kv):
    store, key = kv
    store.set_many([f"{key}:m1", f"{key}:m2"], "1", seconds=60)
    assert store.exists(f"{key}:m1") and store.exists(f"{key}:m2")


def test_counts_go_up_and_never_below_zero(kv):
    store, key = kv
    assert [store.incr(f"{key}:c", seconds=60) for _ in range(3)] == [1, 2, 3]
    assert store.decr(f"{key}:c") == 2
    assert store.decr(f"{key}:n") == 0  # a count that never existed stays at 0
    assert store.incr(f"{key}:n") == 1


def test_a_count_that_expired_starts_again_for_good(kv):
    store, key = kv
    store.incr(f"{key}:e", seconds=0.05)
    wait_until(lambda: not store.exists(f"{key}:e"), timeout=5, what="expiry")
    assert store.incr(f"{key}:e") == 1  # without a lifetime of its own: kept
    assert store.decr(f"{key}:e") == 0 and store.exists(f"{key}:e")
