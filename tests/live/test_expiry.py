"""Access that runs out (a share's, a region grant's or an operation's end) stops live frames
like a revocation does, although no event announces it."""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta

import pytest
from asgiref.sync import sync_to_async
from django.utils import timezone

from apps.access import policy
from apps.access.models import RegionGrant
from apps.cameras.models import CameraShare
from apps.cameras.services import share_grant
from apps.places.models import Operation
from tests.live.test_consumer import _publish, _subscribe, run

pytestmark = pytest.mark.django_db(transaction=True)

ACK = "ack"
# Generous functional bound: an expiry stops frames about as fast as a revocation.
STOPS_WITHIN = 2.0


def _ends_soon(seconds: float = 1.5) -> datetime:
    return timezone.now() + timedelta(seconds=seconds)


async def _watch_until_revoked(comm, camera_id: int, valid_until: datetime, deadline: float):
    """Publish and acknowledge frames until the socket says "revoked" (or the deadline);
    returns whether it did and the arrival times of frames later than the expiry allows."""
    late = []
    while time.monotonic() < deadline:
        await _publish(camera_id)
        if await comm.receive_nothing(timeout=0.1):
            continue
        message = await comm.receive_output()
        if message.get("bytes") is not None:
            if time.time() > valid_until.timestamp() + STOPS_WITHIN:
                late.append(time.time())
            await comm.send_to(text_data=json.dumps({"action": ACK, "camera": camera_id}))
        elif json.loads(message["text"]) == {"type": "revoked", "camera": camera_id}:
            return True, late
    return False, late


def test_frames_stop_when_a_share_runs_out(live_world, connect):
    gate = live_world.gate
    valid_until = _ends_soon()
    CameraShare.objects.filter(pk=live_world.share.pk).update(valid_until=valid_until)

    async def scenario():
        comm, _ = await connect(live_world.a.users["operator"])
        assert await _subscribe(comm, gate.pk) == [{"type": "subscribed", "camera": gate.pk}]
        # Well before the 30 s re-check: only the expiry itself can end the view in time.
        revoked, late = await _watch_until_revoked(
            comm, gate.pk, valid_until, deadline=time.monotonic() + 8)
        assert revoked and late == []
        await _publish(gate.pk)
        assert await comm.receive_nothing(timeout=1)
        await comm.disconnect()

    run(scenario())


def test_an_idle_view_hears_that_a_region_grant_ran_out(live_world, connect):
    """Polres B works in city A only through a region grant: when it ends, the wall is told
    even though no frame arrives to notice it."""
    b = live_world.b
    valid_until = _ends_soon()
    RegionGrant.objects.create(agency=b.agencies["polres"], region=live_world.a.city,
                               basis="Surat Kapolda", valid_until=valid_until)
    share_grant(camera=live_world.gate, grantee=b.agencies["polres"], basis="MoU",
                by=live_world.a.users["kpu"])

    async def scenario():
        comm, _ = await connect(b.users["operator"])
        assert await _subscribe(comm, live_world.gate.pk) == [
            {"type": "subscribed", "camera": live_world.gate.pk}]
        message = json.loads(await comm.receive_from(timeout=valid_until.timestamp()
                                                     - time.time() + STOPS_WITHIN))
        assert message == {"type": "revoked", "camera": live_world.gate.pk}
        await _publish(live_world.gate.pk)
        assert await comm.receive_nothing(timeout=1)
        await comm.disconnect()

    run(scenario())


def test_an_operation_ending_at_midnight_ends_the_view(live_world, connect):
    """An operator sees the warehouse through the operation covering it: at the midnight
    after its last day (the facility's own), the wall loses the camera. The wall clock is
    moved to just before that midnight; the event loop's clock is not."""
    import time_machine

    facility = live_world.gate.facility
    last_day = facility.local_time().date()
    Operation.objects.filter(pk=live_world.a.operation.pk).update(ends_on=last_day)
    midnight = datetime.combine(last_day + timedelta(days=1), datetime.min.time(),
                                facility.zoneinfo)

    async def scenario():
        comm, _ = await connect(live_world.a.users["operator"])
        assert await _subscribe(comm, live_world.gate.pk) == [
            {"type": "subscribed", "camera": live_world.gate.pk}]
        revoked, late = await _watch_until_revoked(
            comm, live_world.gate.pk, midnight, deadline=time.monotonic() + 8)
        assert revoked and late == []
        await comm.disconnect()

    with time_machine.travel(midnight - timedelta(seconds=1.5), tick=True):
        run(scenario())
        assert not policy.can(live_world.a.users["operator"], policy.Action.VIEW, facility)
        assert live_world.a.users["operator"] not in policy.users_who_may_view_facility(facility)
        # Commanders see their whole region, operation or not.
        assert policy.can(live_world.a.users["commander"], policy.Action.VIEW, facility)


def test_revoking_a_region_grant_or_cutting_an_operation_short_stops_views(live_world,
                                                                          connect):
    """What shortens access before its time announces itself, like a share revocation."""
    b = live_world.b
    grant = RegionGrant.objects.create(agency=b.agencies["polres"], region=live_world.a.city,
                                       basis="Surat Kapolda")
    share_grant(camera=live_world.gate, grantee=b.agencies["polres"], basis="MoU",
                by=live_world.a.users["kpu"])
    gate = live_world.gate
    subscribed = [{"type": "subscribed", "camera": gate.pk}]
    revoked = {"type": "revoked", "camera": gate.pk}

    def revoke_grant():
        grant.revoked_at = timezone.now()
        grant.save()

    def end_operation_yesterday():
        operation = live_world.a.operation
        operation.ends_on = gate.facility.local_time().date() - timedelta(days=1)
        operation.save()

    async def scenario():
        through_grant, _ = await connect(b.users["operator"])
        through_operation, _ = await connect(live_world.a.users["operator"])
        assert await _subscribe(through_grant, gate.pk) == subscribed
        assert await _subscribe(through_operation, gate.pk) == subscribed
        await sync_to_async(revoke_grant)()
        assert json.loads(await through_grant.receive_from(timeout=STOPS_WITHIN)) == revoked
        await sync_to_async(end_operation_yesterday)()
        assert json.loads(await through_operation.receive_from(timeout=STOPS_WITHIN)) == revoked
        await through_grant.disconnect()
        await through_operation.disconnect()

    run(scenario())


def test_the_earliest_end_among_shares_grants_and_operations(live_world):
    operator = live_world.a.users["operator"]
    gate = live_world.gate
    zone = gate.facility.zoneinfo
    operation_end = datetime.combine(
        live_world.a.operation.ends_on + timedelta(days=1), datetime.min.time(), zone)
    # The share runs without end: the operation covering the warehouse is next to run out.
    assert policy.camera_view_lapses_at(operator, [gate.pk]) == operation_end
    share_end = timezone.now() + timedelta(days=3)
    CameraShare.objects.filter(pk=live_world.share.pk).update(valid_until=share_end)
    assert policy.camera_view_lapses_at(operator, [gate.pk]) == share_end
    grant_end = timezone.now() + timedelta(hours=1)
    RegionGrant.objects.create(agency=live_world.a.agencies["polres"],
                               region=live_world.b.city, basis="x", valid_until=grant_end)
    assert policy.camera_view_lapses_at(operator, [gate.pk]) == grant_end
    # Past ends are not upcoming; nothing to watch for without cameras.
    assert policy.camera_view_lapses_at(operator, [gate.pk],
                                        now=grant_end + timedelta(seconds=1)) == share_end
    assert policy.camera_view_lapses_at(operator, []) is None
