"""channels-redis with the pinned redis-py: an idle consumer survives, many sockets fit.

channels-redis 4.3 with redis-py 8 fails an idle receive after 5 s and caps the pool at 100
connections; requirements pin redis<8. This proves it on a real Redis."""

from __future__ import annotations

import asyncio
import os
import time

import pytest
import redis
from channels_redis.core import RedisChannelLayer

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture
def layer():
    try:
        redis.Redis.from_url(REDIS_URL, socket_timeout=2).ping()
    except redis.ConnectionError:
        pytest.skip("Redis is not running")
    return RedisChannelLayer(hosts=[REDIS_URL], prefix=f"posko-test-{os.getpid()}")


def test_an_idle_consumer_survives_thirty_seconds(layer):
    async def scenario():
        channel = await layer.new_channel()
        await layer.group_add("idle", channel)
        receiving = asyncio.ensure_future(layer.receive(channel))
        await asyncio.sleep(30)  # the point of the test is the idle time itself
        assert not receiving.done(), "the idle receive failed instead of waiting"
        sent_at = time.monotonic()
        await layer.group_send("idle", {"type": "ping"})
        message = await asyncio.wait_for(receiving, timeout=5)
        assert message["type"] == "ping" and time.monotonic() - sent_at < 5
        await layer.flush()

    asyncio.run(scenario())


def test_two_hundred_consumers_receive_a_group_message(layer):
    async def scenario():
        channels = [await layer.new_channel() for _ in range(200)]
        for channel in channels:
            await layer.group_add("many", channel)
        await layer.group_send("many", {"type": "hello"})
        messages = await asyncio.gather(
            *(asyncio.wait_for(layer.receive(c), timeout=10) for c in channels)
        )
        assert all(m["type"] == "hello" for m in messages)
        await layer.flush()

    asyncio.run(scenario())


def test_video_fragments_sent_from_a_reader_thread_arrive_in_order(layer, monkeypatch):
    """Passthrough fragments go through apps.core.push's own sending loop (a new loop per
    message would open a Redis connection each): all of them, in the order sent."""
    import threading

    from apps.core import push

    # Its own layer object, as another process's: its connections live on the sending loop.
    sending = RedisChannelLayer(hosts=[REDIS_URL], prefix=layer.prefix)
    monkeypatch.setattr(push, "get_channel_layer", lambda: sending)

    async def scenario():
        channel = await layer.new_channel()
        await layer.group_add(push.camera_group(7), channel)
        reader = threading.Thread(target=lambda: [
            push.camera_video(7, str(i).encode(), time.time()) for i in range(50)])
        reader.start()
        received = [await asyncio.wait_for(layer.receive(channel), timeout=10)
                    for _ in range(50)]
        reader.join()
        assert [m["fragment"] for m in received] == [str(i).encode() for i in range(50)]
        await layer.flush()

    asyncio.run(scenario())
