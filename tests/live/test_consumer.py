"""The live websocket against the access policy, with Channels' WebsocketCommunicator."""

from __future__ import annotations

import json
import struct
import time

import pytest
from asgiref.sync import sync_to_async

from apps.cameras.models import Orientation, ViewRecord
from apps.cameras.services import share_revoke
from apps.core import push

pytestmark = pytest.mark.django_db(transaction=True)

JPEG = b"\xff\xd8\xff\xe0" + b"x" * 200


async def _json(comm, timeout=3):
    return json.loads(await comm.receive_from(timeout=timeout))


async def _subscribe(comm, *ids):
    await comm.send_to(text_data=json.dumps({"action": "subscribe", "cameras": list(ids)}))
    return [await _json(comm) for _ in ids]


async def _publish(camera_id, at=None):
    await sync_to_async(push.camera_frame)(camera_id, JPEG, at or time.time())


async def _frames_within(comm, seconds):
    """The binary frames received within `seconds` (status and alert messages may come too)."""
    deadline = time.monotonic() + seconds
    frames = []
    while (left := deadline - time.monotonic()) > 0:
        if await comm.receive_nothing(timeout=left):
            break
        message = await comm.receive_output()
        if message.get("bytes") is not None:
            frames.append(message["bytes"][:12])
    return frames


def run(coro):
    import asyncio

    return asyncio.run(coro)


def test_anonymous_and_foreign_origins_are_refused(live_world, connect):
    async def scenario():
        for user, origin in [
            (None, "http://127.0.0.1:8000"),
            (live_world.a.users["operator"], "http://evil.example"),
            (live_world.a.users["operator"], "http://127.0.0.1:8000.evil.example"),
            (live_world.a.users["operator"], "http://127.0.0.1:9999"),
            (live_world.a.users["operator"], "https://127.0.0.1:8000"),
            (live_world.a.users["operator"], "null"),
            (live_world.a.users["operator"], None),
        ]:
            _comm, connected = await connect(user, origin=origin)
            assert not connected, (user, origin)

    run(scenario())


def test_operator_gets_frames_of_a_shared_camera_newest_first(live_world, connect):
    gate = live_world.gate

    async def scenario():
        comm, connected = await connect(live_world.a.users["operator"])
        assert connected
        assert await _subscribe(comm, gate.pk) == [{"type": "subscribed", "camera": gate.pk}]
        taken = time.time()
        await _publish(gate.pk, taken)
        frame = await comm.receive_from(timeout=3)
        camera_id, at = struct.unpack(">Id", frame[:12])
        assert (camera_id, frame[12:]) == (gate.pk, JPEG) and abs(at - taken) < 0.01
        # Until the viewer acknowledges, newer frames replace each other: only the newest goes.
        for _ in range(5):
            await _publish(gate.pk)
        assert await comm.receive_nothing(timeout=0.5)
        last = time.time()
        await _publish(gate.pk, last)
        await comm.send_to(text_data=json.dumps({"action": "ack", "camera": gate.pk}))
        frame = await comm.receive_from(timeout=3)
        assert struct.unpack(">Id", frame[:12])[1] == pytest.approx(last, abs=0.01)
        await comm.disconnect()

    run(scenario())
    record = ViewRecord.objects.get(camera=gate)
    assert record.kind == "live" and record.ended_at is not None


def test_stale_frames_are_never_delivered(live_world, connect):
    async def scenario():
        comm, _ = await connect(live_world.a.users["operator"])
        await _subscribe(comm, live_world.gate.pk)
        await _publish(live_world.gate.pk, time.time() - 2.5)
        assert await _frames_within(comm, 0.5) == []
        await comm.disconnect()

    run(scenario())


@pytest.mark.parametrize("who", ["operator_b", "field_polri", "bawaslu"])
def test_refused_subscriptions_get_an_error_and_nothing_else(live_world, connect, who):
    user = live_world.b.users["operator"] if who == "operator_b" else live_world.a.users[who]

    async def scenario():
        comm, connected = await connect(user)
        assert connected
        answers = await _subscribe(comm, live_world.gate.pk, live_world.inside.pk, 999_999)
        assert all(a["type"] == "error" and a["code"] == "denied" for a in answers)
        await _publish(live_world.gate.pk)
        await _publish(live_world.inside.pk)
        assert await comm.receive_nothing(timeout=1)
        await comm.disconnect()

    run(scenario())


def test_inward_camera_frames_reach_only_the_owner(live_world, connect):
    async def scenario():
        for user, allowed in ((live_world.a.users["operator"], False),
                              (live_world.a.users["admin"], False),
                              (live_world.a.users["kpu"], True)):
            comm, _ = await connect(user)
            answer = (await _subscribe(comm, live_world.inside.pk))[0]
            assert (answer["type"] == "subscribed") == allowed
            await comm.disconnect()

    run(scenario())


def test_client_cannot_name_groups_or_send_garbage(live_world, connect):
    async def scenario():
        comm, _ = await connect(live_world.a.users["field_polri"])
        await comm.send_to(text_data=json.dumps({"action": "subscribe",
                                                 "group": f"camera.{live_world.gate.pk}"}))
        assert (await _json(comm))["code"] == "malformed"
        await comm.send_to(text_data=json.dumps({"action": "join", "cameras": [1]}))
        assert (await _json(comm))["code"] == "unknown_action"
        await _publish(live_world.gate.pk)
        assert await comm.receive_nothing(timeout=0.5)
        await comm.send_to(text_data="[" * 3000)  # deep nesting within the size limit
        assert (await _json(comm))["code"] == "malformed"
        await comm.send_to(text_data=json.dumps({"action": "subscribe", "cameras": ["1"]}))
        assert (await _json(comm))["code"] == "malformed"
        # Three bad messages close the socket with 4400.
        assert (await comm.receive_output(timeout=3))["type"] == "websocket.close"

    run(scenario())


def test_oversized_and_binary_messages_are_rejected(live_world, connect):
    async def scenario():
        comm, _ = await connect(live_world.a.users["operator"])
        await comm.send_to(text_data=json.dumps({"action": "ping", "pad": "x" * 70_000}))
        assert (await _json(comm))["code"] == "too_large"
        await comm.send_to(bytes_data=b"\x00" * 10)
        assert (await _json(comm))["code"] == "binary_not_accepted"
        await comm.send_to(text_data=json.dumps({"action": "ping"}))
        assert (await _json(comm))["type"] == "pong"
        await comm.disconnect()

    run(scenario())


def test_message_flood_is_throttled_then_closed(live_world, connect):
    async def scenario():
        comm, _ = await connect(live_world.a.users["operator"])
        for _ in range(60):
            await comm.send_to(text_data=json.dumps({"action": "ping"}))
        codes = []
        while True:
            output = await comm.receive_output(timeout=3)
            if output["type"] == "websocket.close":
                assert output["code"] == 4429
                break
            codes.append(json.loads(output["text"]).get("code"))
        assert "rate_limited" in codes

    run(scenario())


def test_revoking_a_share_stops_queued_and_future_frames(live_world, connect):
    gate = live_world.gate

    async def scenario():
        comm, _ = await connect(live_world.a.users["operator"])
        await _subscribe(comm, gate.pk)
        await _publish(gate.pk)
        await comm.receive_from(timeout=3)  # one frame, now awaiting its ack
        for _ in range(50):
            await _publish(gate.pk)  # queued behind the revocation below
        await sync_to_async(share_revoke)(share=live_world.share, by=live_world.a.users["kpu"],
                                          reason="Selesai")
        await comm.send_to(text_data=json.dumps({"action": "ack", "camera": gate.pk}))
        started = time.monotonic()
        message = await _json(comm)
        assert message == {"type": "revoked", "camera": gate.pk}
        assert time.monotonic() - started < 2
        await _publish(gate.pk)
        assert await comm.receive_nothing(timeout=1)
        await comm.disconnect()

    run(scenario())


def test_turning_the_camera_inward_revokes_live_view(live_world, connect):
    gate = live_world.gate

    async def scenario():
        comm, _ = await connect(live_world.a.users["operator"])
        await _subscribe(comm, gate.pk)

        def turn_inward():
            gate.orientation = Orientation.INWARD
            gate.save()

        await sync_to_async(turn_inward)()
        assert await _json(comm) == {"type": "revoked", "camera": gate.pk}
        await _publish(gate.pk)
        assert await comm.receive_nothing(timeout=1)
        await comm.disconnect()

    run(scenario())


def test_deactivated_user_is_disconnected(live_world, connect):
    operator = live_world.a.users["operator"]

    async def scenario():
        comm, _ = await connect(operator)
        await _subscribe(comm, live_world.gate.pk)

        def deactivate():
            operator.is_active = False
            operator.save()

        await sync_to_async(deactivate)()
        output = await comm.receive_output(timeout=2)
        assert output == {"type": "websocket.close", "code": 4401}

    run(scenario())


def test_sockets_per_user_are_capped(live_world, connect):
    async def scenario():
        sockets = []
        for _ in range(10):
            comm, connected = await connect(live_world.a.users["operator"])
            assert connected
            sockets.append(comm)
        _, connected = await connect(live_world.a.users["operator"])
        assert not connected
        for comm in sockets:
            await comm.disconnect()
        _, connected = await connect(live_world.a.users["operator"])
        assert connected

    run(scenario())


def test_alerts_are_pushed_to_allowed_people_only(live_world, connect):
    from apps.alerts.models import Alert
    from apps.alerts.services import alert_raise

    async def scenario():
        allowed, _ = await connect(live_world.a.users["operator"])
        other, _ = await connect(live_world.b.users["operator"])
        await sync_to_async(alert_raise)(
            kind=Alert.Kind.TAMPER, severity=Alert.Severity.HIGH,
            facility=live_world.a.facilities["warehouse"], dedup_key="t",
            title="Lensa tertutup")
        message = await _json(allowed)
        assert message["type"] == "alert" and message["title"] == "Lensa tertutup"
        assert message["seq"] > 0
        assert await other.receive_nothing(timeout=0.5)
        await allowed.disconnect()
        await other.disconnect()

    run(scenario())


def test_one_layer_membership_per_camera_however_many_viewers(live_world, connect):
    """The process's camera hub joins `camera.<id>` once and fans frames out locally."""
    from channels.layers import get_channel_layer

    from apps.core.push import camera_group

    gate = live_world.gate
    group = camera_group(gate.pk)

    async def scenario():
        layer = get_channel_layer()
        viewers = []
        for user in (live_world.a.users["operator"], live_world.a.users["commander"],
                     live_world.a.users["operator"]):
            comm, connected = await connect(user)
            assert connected
            await _subscribe(comm, gate.pk)
            viewers.append(comm)
        assert len(layer.groups.get(group, {})) == 1
        taken = time.time()
        await _publish(gate.pk, taken)
        for comm in viewers:
            frame = await comm.receive_from(timeout=3)
            assert struct.unpack(">Id", frame[:12]) == (gate.pk, pytest.approx(taken, abs=0.01))
        await viewers[0].disconnect()
        assert len(layer.groups.get(group, {})) == 1  # the others still watch
        for comm in viewers[1:]:
            await comm.disconnect()
        assert not layer.groups.get(group)

    run(scenario())
