"""The access matrix of recordings: every person of the cast × every way in (the timeline API,
the segment file, a guessed segment id, a guessed camera id, the admin) × every kind of camera
(own outward, own inward, shared live only, shared with recordings, a share expired or
revoked, a camera turned inward after sharing, footage recorded while inward, a masked
camera). Missing and forbidden answer the same 404."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.contrib import admin
from django.core.files.base import ContentFile
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from apps.access import policy
from apps.cameras import services
from apps.cameras.models import Camera, CameraShare, Orientation, ViewRecord
from apps.recordings import renditions, views
from apps.recordings.models import RecordingSegment
from apps.recordings.renditions import RenditionBusy, RenditionError
from apps.recordings.services import storage
from tests.cast import PEOPLE
from tests.conftest import build_world
from tests.recordings.stored import PAYLOAD, stored_segment

pytestmark = pytest.mark.django_db

OWNER = "kpu"
GRANTEES = {"operator", "commander", "padal"}  # security roles of Polres A, the grantee
# A camera with masks: the masked rendition's stand-in (apps.recordings.renditions makes it).
MASKS = [[[0.0, 0.0], [0.5, 0.0], [0.5, 0.5]]]
MASKED_PAYLOAD = b"masked" * 100
PIECE_PAYLOAD = b"piece" * 100

# Who reviews which segment: (camera kind, segment) -> people. Nobody else, in any way.
EXPECTED = {
    ("own_outward", "now"): {OWNER, "admin"},
    ("own_inward", "now"): {OWNER},
    ("live_only", "now"): {OWNER, "admin"},
    ("recordings", "now"): {OWNER, "admin", *GRANTEES},
    ("recordings", "before_share"): {OWNER, "admin"},
    ("expired", "now"): {OWNER, "admin"},
    ("revoked", "now"): {OWNER, "admin"},
    ("turned_inward", "now"): {OWNER},
    ("recorded_inward", "now"): {OWNER},
    ("recorded_inward", "after_outward"): {OWNER, "admin", *GRANTEES},
    ("masked", "now"): {OWNER, "admin", *GRANTEES},
}
KINDS = sorted({kind for kind, _segment in EXPECTED})
WHO = [name for name, _agency, _roles in PEOPLE] + ["operator_b"]


def _camera(city, kind: str, orientation=Orientation.OUTWARD, **fields) -> Camera:
    return Camera.objects.create(
        facility=city.facilities["warehouse"], name=f"Kamera {kind}", source_kind="mjpeg",
        url=f"http://127.0.0.1:8554/mjpeg/{kind}", orientation=orientation, **fields)


def _share(city, camera, *, recordings=True, **fields) -> CameraShare:
    fields.setdefault("valid_from", timezone.now() - timedelta(hours=2))
    return services.share_grant(camera=camera, grantee=city.agencies["polres"], basis="MoU",
                                by=city.users[OWNER], recordings=recordings, **fields)


def _build() -> SimpleNamespace:
    world = build_world()
    a, now = world.a, timezone.now()
    hour_ago = now - timedelta(hours=1)
    cameras, segments = {}, {}

    def camera(kind, **fields):
        cameras[kind] = _camera(a, kind, **fields)
        return cameras[kind]

    def segment(kind, label, start):
        segments[kind, label] = stored_segment(cameras[kind], start, has_motion=True)

    camera("own_outward")
    camera("own_inward", orientation=Orientation.INWARD)
    _share(a, camera("live_only"), recordings=False)
    _share(a, camera("recordings"))
    segment("recordings", "before_share", now - timedelta(hours=3))
    _share(a, camera("expired"), valid_until=now - timedelta(minutes=1))
    share = _share(a, camera("revoked"))
    services.share_revoke(share=share, by=a.users[OWNER], reason="selesai")
    _share(a, camera("masked", privacy_masks=MASKS))
    for kind in ("own_outward", "own_inward", "live_only", "recordings", "expired", "revoked",
                 "masked"):
        segment(kind, "now", hour_ago)
    # Shared with recordings, footage recorded, then turned inward: its shares end with it.
    _share(a, camera("turned_inward"))
    segment("turned_inward", "now", hour_ago)
    turned = cameras["turned_inward"]
    turned.orientation = Orientation.INWARD
    services.camera_save(camera=turned, by=a.users[OWNER])
    # Recorded while inward, then turned outward and shared over a period covering that time.
    camera("recorded_inward", orientation=Orientation.INWARD)
    segment("recorded_inward", "now", hour_ago)
    opened = cameras["recorded_inward"]
    opened.orientation = Orientation.OUTWARD
    services.camera_save(camera=opened, by=a.users[OWNER])
    _share(a, opened)
    segment("recorded_inward", "after_outward", timezone.now() + timedelta(seconds=10))
    storage().save("masked/rendition.mp4", ContentFile(MASKED_PAYLOAD))
    storage().save("masked/piece.mp4", ContentFile(PIECE_PAYLOAD))
    return SimpleNamespace(world=world, cameras=cameras, segments=segments)


@pytest.fixture(scope="module")
def recordings_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("recordings")


def _storages(settings_storages, root) -> dict:
    return {**settings_storages, "recordings": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(root)}}}


@pytest.fixture(scope="module")
def made(module_db, recordings_dir):
    from django.conf import settings

    with override_settings(STORAGES=_storages(settings.STORAGES, recordings_dir)):
        return _build()


@pytest.fixture(autouse=True)
def _module_recordings(settings, recordings_root, recordings_dir):
    """The module's files outlive each test (the conftest gives each test its own folder)."""
    settings.STORAGES = _storages(settings.STORAGES, recordings_dir)


@pytest.fixture(autouse=True)
def _renditions(monkeypatch):
    """The masked rendition's stand-ins (their making is tests/recordings/test_renditions.py)."""
    monkeypatch.setattr(views, "masked_segment_name", lambda segment: "masked/rendition.mp4")
    monkeypatch.setattr(views, "masked_piece_name",
                        lambda piece, ahead=False: "masked/piece.mp4")


def _person(made, who):
    world = made.world
    return world.b.users["operator"] if who == "operator_b" else world.a.users[who]


def _timeline(client, camera):
    now = timezone.now()
    return client.get(reverse("api:recording-timeline", args=[camera.pk]), {
        "start": (now - timedelta(hours=4)).isoformat(),
        "end": (now + timedelta(hours=1)).isoformat()})


@pytest.mark.parametrize("who", WHO)
@pytest.mark.parametrize("kind", KINDS)
def test_each_way_in_shows_exactly_what_the_policy_allows(client, made, kind, who) -> None:
    user = _person(made, who)
    client.force_login(user)
    camera = made.cameras[kind]
    mine = {label: seg for (k, label), seg in made.segments.items() if k == kind}
    allowed = {label for label, seg in mine.items() if who in EXPECTED[kind, label]}
    # The policy itself, the timeline and the files agree.
    scoped = set(policy.scope(user, RecordingSegment.objects.filter(camera=camera))
                 .values_list("pk", flat=True))
    assert scoped == {mine[label].pk for label in allowed}
    answer = _timeline(client, camera)
    if allowed:
        assert answer.status_code == 200
        data = answer.json()
        assert {s["id"] for s in data["segments"]} == {mine[label].pk for label in allowed}
        assert data["masked"] is (kind == "masked" and who != OWNER)
        assert data["piece_seconds"] == (renditions.PIECE_SECONDS if data["masked"] else None)
        assert all(m["kind"] == "motion" for m in data["markers"])
    else:
        assert answer.status_code == 404
    for label, seg in mine.items():
        played = client.get(reverse("recordings:segment", args=[seg.pk]),
                            HTTP_RANGE="bytes=0-99")
        if label in allowed:
            assert played.status_code == 206, (kind, label, who)
            body = b"".join(played.streaming_content)
            expected = MASKED_PAYLOAD if data["masked"] else PAYLOAD
            assert body == expected[:100]
        else:
            assert played.status_code == 404, (kind, label, who)
        # A piece: of masked footage only, to whoever may review it.
        piece = client.get(reverse("recordings:segment", args=[seg.pk]), {"bagian": "0"},
                           HTTP_RANGE="bytes=0-99")
        if label in allowed and data["masked"]:
            assert b"".join(piece.streaming_content) == PIECE_PAYLOAD[:100]
        else:
            assert piece.status_code == 404, (kind, label, who)


@pytest.mark.parametrize("who", WHO)
def test_guessed_ids_answer_like_forbidden_ones(client, made, who) -> None:
    client.force_login(_person(made, who))
    hidden_camera = made.cameras["own_inward"]  # nobody but the owner reviews it
    hidden_segment = made.segments["own_inward", "now"]
    guesses = ["999999999", "9223372036854775807", "99999999999999999999"]
    for guess in guesses:
        camera = client.get(f"/api/recordings/cameras/{guess}/")
        segment = client.get(f"/rekaman/segmen/{guess}/")
        assert camera.status_code == segment.status_code == 404
    if who == OWNER:
        return
    forbidden_camera = _timeline(client, hidden_camera)
    missing_camera = client.get(f"/api/recordings/cameras/{guesses[0]}/")
    assert forbidden_camera.content == missing_camera.content
    forbidden = client.get(reverse("recordings:segment", args=[hidden_segment.pk]))
    missing = client.get(f"/rekaman/segmen/{guesses[0]}/")
    assert forbidden.status_code == missing.status_code == 404


def test_signed_out_people_get_nothing(client, made) -> None:
    segment = made.segments["own_outward", "now"]
    assert client.get(reverse("api:recording-timeline",
                              args=[segment.camera_id])).status_code == 401
    answer = client.get(reverse("recordings:segment", args=[segment.pk]))
    assert answer.status_code == 302 and "/akun/" in answer["Location"]


def test_the_admin_lists_no_recording_segments_beyond_the_policy(client, made) -> None:
    """The index is not edited by hand: if the admin shows it at all, only what the policy
    lets the person see."""
    for who in ("admin", OWNER):
        user = _person(made, who)
        user.is_staff = True
        user.save(update_fields=["is_staff"])
        client.force_login(user)
        if RecordingSegment not in admin.site._registry:
            url = "/admin/recordings/recordingsegment/"
            assert client.get(url).status_code == 404
            continue
        url = reverse("admin:recordings_recordingsegment_changelist")
        listed = set(client.get(url).context["cl"].queryset.values_list("pk", flat=True))
        assert listed <= set(policy.scope(user, RecordingSegment.objects.all())
                             .values_list("pk", flat=True))


def test_the_owner_is_served_the_footage_as_recorded_others_the_masked_rendition(
        client, made) -> None:
    segment = made.segments["masked", "now"]
    url = reverse("recordings:segment", args=[segment.pk])
    client.force_login(made.world.a.users[OWNER])
    assert b"".join(client.get(url).streaming_content) == PAYLOAD
    client.force_login(made.world.a.users["operator"])
    assert b"".join(client.get(url).streaming_content) == MASKED_PAYLOAD
    # Cameras without masks are served as stored, to everyone who may review them.
    plain = made.segments["recordings", "now"]
    assert b"".join(client.get(reverse("recordings:segment", args=[plain.pk]))
                    .streaming_content) == PAYLOAD


def test_a_masked_viewer_plays_pieces_with_ranges_each_in_one_playback_record(
        client, made) -> None:
    segment = made.segments["masked", "now"]  # 60 s: pieces 0 to 29
    url = reverse("recordings:segment", args=[segment.pk])
    client.force_login(made.world.a.users["operator"])
    for asked in ("30", "-1", "x", "", "²", "9" * 40):
        assert client.get(url, {"bagian": asked}).status_code == 404, asked
    assert not ViewRecord.objects.filter(camera=segment.camera).exists()
    whole = client.get(url, {"bagian": "3"})
    assert whole.status_code == 200 and b"".join(whole.streaming_content) == PIECE_PAYLOAD
    assert whole["Content-Disposition"] == f'inline; filename="rekaman-{segment.pk}-3.mp4"'
    ranged = client.get(url, {"bagian": "3"}, HTTP_RANGE="bytes=10-19")
    assert ranged.status_code == 206
    assert ranged["Content-Range"] == f"bytes 10-19/{len(PIECE_PAYLOAD)}"
    assert b"".join(ranged.streaming_content) == PIECE_PAYLOAD[10:20]
    assert client.get(url, {"bagian": "3"}, HTTP_RANGE="bytes=9999-").status_code == 416
    client.get(url, {"bagian": "4", "berikutnya": "1"})  # the player's next, asked ahead
    # One playback, its span the pieces played (6 s to 10 s of the segment).
    [record] = ViewRecord.objects.filter(camera=segment.camera, kind=ViewRecord.Kind.RECORDING)
    assert (record.footage_start - segment.start, record.footage_end - segment.start) == (
        timedelta(seconds=6), timedelta(seconds=10))
    assert record.viewer == made.world.a.users["operator"]


@pytest.mark.parametrize("failure", [RenditionBusy, RenditionError])
def test_without_a_masked_rendition_a_masked_camera_is_refused_not_served_bare(
        client, made, monkeypatch, failure) -> None:
    def fails(segment, ahead=False):
        raise failure("no render")

    monkeypatch.setattr(views, "masked_segment_name", fails)
    monkeypatch.setattr(views, "masked_piece_name", fails)
    client.force_login(made.world.a.users["operator"])
    segment = made.segments["masked", "now"]
    for query in ({}, {"bagian": "0"}):
        answer = client.get(reverse("recordings:segment", args=[segment.pk]), query)
        assert answer.status_code == 503
        assert "bermasker" in answer.content.decode()
        assert PAYLOAD[:50] not in answer.content
    assert not ViewRecord.objects.filter(camera=segment.camera,
                                         kind=ViewRecord.Kind.RECORDING).exists()


def test_a_share_that_ends_stops_the_review_at_once(client, made) -> None:
    camera = made.cameras["recordings"]
    client.force_login(made.world.a.users["operator"])
    assert _timeline(client, camera).status_code == 200
    share = CameraShare.objects.get(camera=camera)
    services.share_revoke(share=share, by=made.world.a.users[OWNER], reason="selesai")
    assert _timeline(client, camera).status_code == 404
    segment = made.segments["recordings", "now"]
    assert client.get(reverse("recordings:segment", args=[segment.pk])).status_code == 404
