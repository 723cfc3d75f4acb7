"""Who may watch a camera's own video live, passed through undecoded (apps.vision.livemux):
the access policy allows it only where no privacy mask applies to the viewer (promise 1:
masks hold for every frame served outside the owner agency, live or stored)."""

from __future__ import annotations

import pytest

from apps.access import policy
from apps.cameras.models import Camera, Orientation
from apps.cameras.services import share_grant
from apps.live import access

pytestmark = pytest.mark.django_db

MASKS = [[[0.0, 0.0], [0.5, 0.0], [0.5, 0.5]]]


def _camera(world, name: str, **fields) -> Camera:
    camera = Camera.objects.create(
        facility=world.a.facilities["warehouse"], name=name, source_kind="rtsp",
        url=f"rtsp://127.0.0.1:8554/{name}", orientation=Orientation.OUTWARD, **fields)
    share_grant(camera=camera, grantee=world.a.agencies["polres"], basis="MoU",
                by=world.a.users["kpu"])
    return camera


def test_a_masked_camera_passes_through_to_its_owner_agency_only(world):
    masked = _camera(world, "masked", privacy_masks=MASKS)
    plain = _camera(world, "plain")
    owner, operator = world.a.users["kpu"], world.a.users["operator"]
    # Both may view both (snapshots); only where no mask applies is the video passed through.
    assert policy.viewable_camera_ids(operator, [masked.pk, plain.pk]) == {masked.pk, plain.pk}
    assert policy.passthrough_camera_ids(operator, [masked.pk, plain.pk]) == {plain.pk}
    assert policy.passthrough_camera_ids(owner, [masked.pk, plain.pk]) == {masked.pk, plain.pk}
    # Administrators view outward cameras as outsiders do: through the masks.
    assert policy.passthrough_camera_ids(world.a.users["admin"], [masked.pk]) == set()
    # Live and recorded agree: masked where the recordings are served masked.
    for user in (owner, operator, world.a.users["admin"]):
        assert (masked.pk in policy.passthrough_camera_ids(user, [masked.pk])) == (
            not policy.needs_masked_recording(user, masked))


def test_nobody_gets_passthrough_of_what_they_may_not_view(world):
    plain = _camera(world, "plain")
    inward = Camera.objects.create(
        facility=world.a.facilities["warehouse"], name="inside", source_kind="rtsp",
        url="rtsp://127.0.0.1:8554/inside", orientation=Orientation.INWARD)
    for user in (world.b.users["operator"], world.a.users["bawaslu"], world.a.users["norole"]):
        assert policy.passthrough_camera_ids(user, [plain.pk, inward.pk, 999_999]) == set()
    assert policy.passthrough_camera_ids(world.a.users["operator"], [inward.pk]) == set()
    assert policy.passthrough_camera_ids(world.a.users["kpu"], [inward.pk]) == {inward.pk}


def test_a_mask_drawn_or_a_camera_turned_inward_ends_passthrough(world):
    camera = _camera(world, "gate")
    operator = world.a.users["operator"]
    assert policy.passthrough_camera_ids(operator, [camera.pk]) == {camera.pk}
    camera.privacy_masks = MASKS
    camera.save()
    assert policy.passthrough_camera_ids(operator, [camera.pk]) == set()
    assert policy.passthrough_camera_ids(world.a.users["kpu"], [camera.pk]) == {camera.pk}


def test_jpeg_sources_have_no_video_to_pass_through(world):
    camera = _camera(world, "mjpeg")
    Camera.objects.filter(pk=camera.pk).update(source_kind="mjpeg",
                                               url="http://127.0.0.1:8090/mjpeg/gate")
    assert policy.passthrough_camera_ids(world.a.users["kpu"], [camera.pk]) == {camera.pk}
    assert access.passthrough_allowed(world.a.users["kpu"], [camera.pk]) == set()
