"""Exactly one watcher per camera: the lease stores, in the database and in Redis."""

from __future__ import annotations

import os
import threading
import uuid

import pytest
import redis
from django.db import connection

from apps.streams.leases import DatabaseLeases, RedisLeases

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture
def redis_store():
    client = redis.Redis.from_url(REDIS_URL, socket_timeout=2, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.ConnectionError:
        pytest.skip("Redis is not running")
    store = RedisLeases(client, seconds=1.0)
    yield store
    for key in client.scan_iter("posko:lease*"):
        client.delete(key)


def _contract(store, camera_id: int, wait_expiry) -> None:
    first = store.acquire(camera_id, "worker-1")
    assert first is not None
    assert store.acquire(camera_id, "worker-2") is None
    assert store.renew(first)
    assert store.holders([camera_id]) == {camera_id: "worker-1"}
    wait_expiry()
    second = store.acquire(camera_id, "worker-2")
    assert second is not None and second.token > first.token
    assert not store.renew(first), "a holder that lost the lease must learn it at renewal"
    store.release(first)  # a stale release must not free the new holder's lease
    assert store.holders([camera_id]) == {camera_id: "worker-2"}
    store.release(second)
    assert store.holders([camera_id]) == {}


def test_redis_lease_contract(redis_store):
    camera_id = uuid.uuid4().int % 10**9
    client = redis_store.client

    def wait_expiry():
        client.delete(f"posko:lease:camera:{camera_id}")  # as if its TTL ran out

    _contract(redis_store, camera_id, wait_expiry)


def test_database_lease_contract(world):
    from apps.cameras.models import Camera, CameraLease

    camera = Camera.objects.create(facility=world.a.facilities["warehouse"], name="x",
                                   source_kind="mjpeg", url="http://127.0.0.1:1/x")
    store = DatabaseLeases(seconds=30)

    def wait_expiry():
        from django.utils import timezone

        CameraLease.objects.filter(camera=camera).update(expires_at=timezone.now())

    _contract(store, camera.pk, wait_expiry)


def test_concurrent_acquires_make_one_holder_in_redis(redis_store):
    camera_id = uuid.uuid4().int % 10**9
    barrier = threading.Barrier(16)
    won = []

    def attempt(n):
        barrier.wait(timeout=10)
        if redis_store.acquire(camera_id, f"w{n}"):
            won.append(n)

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=10)
    assert len(won) == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_acquires_make_one_holder_in_postgres(world):
    if connection.vendor != "postgresql":
        pytest.skip("real concurrency needs PostgreSQL")
    from apps.cameras.models import Camera

    camera = Camera.objects.create(facility=world.a.facilities["warehouse"], name="x",
                                   source_kind="mjpeg", url="http://127.0.0.1:1/x")
    barrier = threading.Barrier(8)
    won = []

    def attempt(n):
        try:
            barrier.wait(timeout=10)
            if DatabaseLeases().acquire(camera.pk, f"w{n}"):
                won.append(n)
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=20)
    assert len(won) == 1
