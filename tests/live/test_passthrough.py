"""Passthrough on the live websocket: a camera's own video (fragmented MP4) goes only to
viewers to whom no privacy mask applies, starts at a keyframe with its init segment, and is
downgraded to masked snapshots the moment that changes."""

from __future__ import annotations

import json
import struct
import time

import pytest
from asgiref.sync import sync_to_async

from apps.cameras.models import Camera, ViewRecord
from apps.cameras.services import share_revoke
from apps.core import push
from apps.streams.livestate import Need, is_live
from tests.live.test_consumer import JPEG, _json, _publish, run

pytestmark = pytest.mark.django_db(transaction=True)

MASKS = [[[0.0, 0.0], [0.5, 0.0], [0.5, 0.5]]]
INIT = b"\x00\x00\x00\x10ftypisom\x00\x00\x02\x00" + b"\x00\x00\x00\x08moov"
KEY = b"\x00\x00\x00\x10moofkey-" + b"\x00\x00\x00\x0cmdatIDR!"
DELTA = b"\x00\x00\x00\x10moofdelt" + b"\x00\x00\x00\x0cmdatP-fr"
CODEC = "avc1.64001F"


@pytest.fixture
def video_world(live_world):
    """The gate as an RTSP camera (its video can be passed through)."""
    Camera.objects.filter(pk=live_world.gate.pk).update(
        source_kind="rtsp", url="rtsp://127.0.0.1:8554/gate")
    live_world.gate.refresh_from_db()
    return live_world


async def _video(camera_id, fragment, *, keyframe=False, at=None):
    await sync_to_async(push.camera_video)(
        camera_id, fragment, at or time.time(), init=INIT if keyframe else None,
        codec=CODEC if keyframe else None)


async def _watch(comm, camera_id):
    await comm.send_to(text_data=json.dumps(
        {"action": "subscribe", "cameras": [camera_id], "passthrough": True}))
    assert await _json(comm) == {"type": "subscribed", "camera": camera_id}
    return await _json(comm)


async def _watching_video(comm, camera_id):
    """Granted passthrough, and the first keyframe's video (its notice and batch) taken."""
    await _watch(comm, camera_id)
    await _video(camera_id, KEY, keyframe=True)
    await _json(comm)
    await _binary(comm)


async def _binary(comm):
    message = await comm.receive_output(timeout=3)
    assert message.get("bytes") is not None, message
    camera_id, _at = struct.unpack(">Id", message["bytes"][:12])
    return camera_id, message["bytes"][12:]


def _masked(camera):
    camera.privacy_masks = MASKS
    camera.save()


def test_video_starts_at_a_keyframe_with_the_init_segment_and_marks_packets_only(
        video_world, connect):
    gate = video_world.gate

    async def scenario():
        comm, _ = await connect(video_world.a.users["operator"])
        assert await _watch(comm, gate.pk) == {"type": "passthrough", "camera": gate.pk,
                                               "granted": True}
        # Passthrough needs packets, not pictures: the watcher decodes as for an idle camera.
        assert await sync_to_async(is_live)(gate.pk, Need.PACKETS)
        assert not await sync_to_async(is_live)(gate.pk, Need.PICTURES)
        await _video(gate.pk, DELTA)  # mid-group: nothing to begin with
        assert await comm.receive_nothing(timeout=0.3)
        await _publish(gate.pk)  # a snapshot shows until the video starts
        assert (await _binary(comm))[1] == JPEG
        await _video(gate.pk, KEY, keyframe=True)
        assert await _json(comm) == {"type": "video", "camera": gate.pk, "codec": CODEC}
        assert await _binary(comm) == (gate.pk, INIT + KEY)
        await _video(gate.pk, DELTA)
        assert await _binary(comm) == (gate.pk, DELTA)
        # The next keyframe of the same stream: no second init segment.
        await _video(gate.pk, KEY, keyframe=True)
        assert await _binary(comm) == (gate.pk, KEY)
        await comm.send_to(text_data=json.dumps({"action": "ack", "camera": gate.pk}))
        await _publish(gate.pk)  # the video plays: no more snapshots
        assert await comm.receive_nothing(timeout=0.3)

        # A late joiner begins at the next keyframe, with the init segment.
        late, _ = await connect(video_world.a.users["commander"])
        await _watch(late, gate.pk)
        await _video(gate.pk, DELTA)
        assert await _binary(comm) == (gate.pk, DELTA)
        assert await late.receive_nothing(timeout=0.3)
        await _video(gate.pk, KEY, keyframe=True)
        assert (await _json(late))["type"] == "video"
        assert await _binary(late) == (gate.pk, INIT + KEY)
        assert await _binary(comm) == (gate.pk, KEY)

        # A late fragment is skipped with the rest of its group: on from the next keyframe.
        await _video(gate.pk, DELTA, at=time.time() - 3)
        await _video(gate.pk, DELTA)
        assert await comm.receive_nothing(timeout=0.3)
        await _video(gate.pk, KEY, keyframe=True)
        assert await _binary(comm) == (gate.pk, KEY)
        await comm.disconnect()
        await late.disconnect()

    run(scenario())
    # Viewing by passthrough is recorded as any live view.
    record = ViewRecord.objects.get(camera=video_world.gate,
                                    viewer=video_world.a.users["operator"])
    assert record.kind == "live" and record.ended_at is not None


def test_a_masked_camera_is_refused_to_other_agencies_and_granted_to_its_owner(
        video_world, connect):
    gate = video_world.gate
    _masked(gate)

    async def scenario():
        comm, _ = await connect(video_world.a.users["operator"])
        assert await _watch(comm, gate.pk) == {"type": "passthrough", "camera": gate.pk,
                                               "granted": False}
        assert await sync_to_async(is_live)(gate.pk, Need.PICTURES)
        await _video(gate.pk, KEY, keyframe=True)
        assert await comm.receive_nothing(timeout=0.3)  # never the unmasked video
        await _publish(gate.pk)
        assert (await _binary(comm))[1] == JPEG  # masked snapshots instead
        # Asking again later is refused the same way.
        await comm.send_to(text_data=json.dumps({"action": "passthrough",
                                                 "cameras": [gate.pk]}))
        assert (await _json(comm))["granted"] is False

        owner, _ = await connect(video_world.a.users["kpu"])
        assert (await _watch(owner, gate.pk))["granted"] is True
        await _video(gate.pk, KEY, keyframe=True)
        assert (await _json(owner))["type"] == "video"
        assert await _binary(owner) == (gate.pk, INIT + KEY)
        await comm.disconnect()
        await owner.disconnect()

    run(scenario())


def test_a_mask_drawn_mid_view_downgrades_to_snapshots_at_once(video_world, connect):
    gate = video_world.gate

    async def scenario():
        comm, _ = await connect(video_world.a.users["operator"])
        await _watching_video(comm, gate.pk)
        await sync_to_async(_masked)(gate)
        assert await _json(comm) == {"type": "passthrough", "camera": gate.pk,
                                     "granted": False}
        await _video(gate.pk, DELTA)
        await _video(gate.pk, KEY, keyframe=True)
        assert await comm.receive_nothing(timeout=0.5)
        assert await sync_to_async(is_live)(gate.pk, Need.PICTURES)
        await _publish(gate.pk)
        assert (await _binary(comm))[1] == JPEG
        await comm.disconnect()

    run(scenario())


def test_a_revoked_share_ends_the_video_with_the_view(video_world, connect):
    gate = video_world.gate

    async def scenario():
        comm, _ = await connect(video_world.a.users["operator"])
        await _watch(comm, gate.pk)
        await sync_to_async(share_revoke)(share=video_world.share,
                                          by=video_world.a.users["kpu"], reason="Selesai")
        assert await _json(comm) == {"type": "revoked", "camera": gate.pk}
        await _video(gate.pk, KEY, keyframe=True)
        assert await comm.receive_nothing(timeout=0.5)
        await comm.disconnect()

    run(scenario())


def test_a_browser_that_cannot_play_the_codec_goes_back_to_snapshots(video_world, connect):
    gate = video_world.gate

    async def scenario():
        comm, _ = await connect(video_world.a.users["kpu"])
        await _watching_video(comm, gate.pk)
        await comm.send_to(text_data=json.dumps({"action": "snapshots", "cameras": [gate.pk]}))
        assert (await _json(comm))["granted"] is False
        await _video(gate.pk, DELTA)
        assert await comm.receive_nothing(timeout=0.3)
        await _publish(gate.pk)
        assert (await _binary(comm))[1] == JPEG
        await comm.disconnect()

    run(scenario())
