"""Reviewing recordings: the timeline API, the segment file with byte ranges, and the owner's
access record of every playback."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.alerts.models import Alert
from apps.cameras.models import CameraShare, ViewRecord
from tests.cast import gate_and_inside_cameras
from tests.recordings.stored import PAYLOAD, stored_segment

# Late in the facility's (WIB) day of 7 December, away from its midnight.
T0 = datetime(2026, 12, 7, 3, 0, tzinfo=UTC)


@pytest.fixture
def gate(world):
    return gate_and_inside_cameras(world.a)[0]


@pytest.fixture
def owner(world, client):
    client.force_login(world.a.users["kpu"])
    return client


def timeline_url(camera, **query) -> str:
    url = reverse("api:recording-timeline", args=[camera.pk])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def test_the_timeline_lists_the_day_with_markers_in_a_fixed_number_of_queries(
        world, gate, owner) -> None:
    first = stored_segment(gate, T0, has_motion=True)
    alert = Alert.objects.create(kind=Alert.Kind.MOTION, severity=2, facility=gate.facility,
                                 camera=gate, title="Gerak di gerbang", dedup_key="g1",
                                 first_raised_at=T0 + timedelta(seconds=70))
    for minute in range(1, 30):
        segment = stored_segment(gate, T0 + timedelta(minutes=minute), has_tamper=minute == 5)
        if minute == 1:
            segment.alerts.add(alert)
    stored_segment(gate, T0 + timedelta(days=1))  # another day
    with CaptureQueriesContext(connection) as queries:
        answer = owner.get(timeline_url(gate, start="2026-12-07"))
    assert answer.status_code == 200, answer.content
    data = answer.json()
    assert data["camera"] == {"id": gate.pk, "name": gate.name, "facility": gate.facility_id,
                              "facility_name": gate.facility.name, "timezone": "Asia/Jakarta"}
    assert data["start"] == "2026-12-07T00:00:00+07:00"
    assert data["end"] == "2026-12-08T00:00:00+07:00"
    assert len(data["segments"]) == 30
    assert data["segments"][0] == {
        "id": first.pk, "start": "2026-12-07T10:00:00+07:00",
        "end": "2026-12-07T10:01:00+07:00",
        "url": reverse("recordings:segment", args=[first.pk])}
    assert data["markers"] == [
        {"kind": "motion", "at": "2026-12-07T10:00:00+07:00"},
        {"kind": "alert", "at": "2026-12-07T10:01:10+07:00", "alert_id": alert.pk,
         "title": "Gerak di gerbang"},
        {"kind": "tamper", "at": "2026-12-07T10:05:00+07:00"},
    ]
    assert data["masked"] is False
    assert len(queries) <= 12, [q["sql"] for q in queries]


@pytest.mark.parametrize(("query", "field"), [
    ({"start": "kemarin"}, "start"),
    ({"start": "2026-12-07T10:00:00"}, "start"),  # no offset: refused, not guessed
    ({"start": "2026-12-07T10:00:00%2B07:00", "end": "2026-12-07T09:00:00%2B07:00"}, "end"),
    ({"start": "2026-12-07", "end": "2026-12-09"}, "end"),  # beyond a day
    ({"start": "9999-12-31"}, "start"),  # no day after it to end at
    ({"start": "0001-01-01T00:00:00%2B14:00"}, "start"),  # before datetime's first moment
])
def test_a_span_that_cannot_be_read_is_a_readable_400(gate, owner, query, field) -> None:
    answer = owner.get(timeline_url(gate, **query))
    assert answer.status_code == 400
    assert field in answer.json()["errors"]


def test_a_plus_sign_left_unescaped_still_reads_as_the_offset(gate, owner) -> None:
    answer = owner.get(timeline_url(gate, start="2026-12-07T10:00:00+07:00",
                                    end="2026-12-07T11:00:00+07:00"))
    assert answer.status_code == 200
    assert answer.json()["start"] == "2026-12-07T10:00:00+07:00"


def test_the_segment_is_served_whole_and_in_ranges(gate, owner) -> None:
    segment = stored_segment(gate, T0)
    url = reverse("recordings:segment", args=[segment.pk])
    whole = owner.get(url)
    assert whole.status_code == 200
    assert b"".join(whole.streaming_content) == PAYLOAD
    assert whole["Content-Type"] == "video/mp4"
    assert whole["Content-Length"] == str(len(PAYLOAD))
    assert whole["Accept-Ranges"] == "bytes"
    assert "no-store" in whole["Cache-Control"] and "private" in whole["Cache-Control"]
    part = owner.get(url, HTTP_RANGE="bytes=300-309")
    assert part.status_code == 206
    assert b"".join(part.streaming_content) == PAYLOAD[300:310]
    assert part["Content-Range"] == f"bytes 300-309/{len(PAYLOAD)}"
    assert part["Content-Length"] == "10"
    tail = owner.get(url, HTTP_RANGE="bytes=-16")
    assert b"".join(tail.streaming_content) == PAYLOAD[-16:]
    open_ended = owner.get(url, HTTP_RANGE="bytes=10000-")
    assert b"".join(open_ended.streaming_content) == PAYLOAD[10000:]
    beyond_end = owner.get(url, HTTP_RANGE="bytes=10200-99999")
    assert beyond_end.status_code == 206
    assert beyond_end["Content-Range"] == f"bytes 10200-10239/{len(PAYLOAD)}"


@pytest.mark.parametrize(("header", "status"), [
    ("bytes=10240-", 416), ("bytes=99999-100000", 416), ("bytes=-0", 416),
    ("bytes=abc", 400), ("bytes=20-10", 400), ("bytes=-", 400),
])
def test_a_range_beyond_the_file_or_unreadable_is_a_clear_error(gate, owner, header,
                                                                status) -> None:
    segment = stored_segment(gate, T0)
    answer = owner.get(reverse("recordings:segment", args=[segment.pk]), HTTP_RANGE=header)
    assert answer.status_code == status
    assert answer["Content-Type"].startswith("text/plain")
    assert "rentang" in answer.content.decode().lower()  # readable, in the reader's language
    if status == 416:
        assert answer["Content-Range"] == f"bytes */{len(PAYLOAD)}"
    assert not ViewRecord.objects.filter(kind=ViewRecord.Kind.RECORDING).exists()


def test_a_file_gone_behind_the_portals_back_is_a_404(gate, owner) -> None:
    from apps.recordings.services import storage

    segment = stored_segment(gate, T0)
    storage().delete(segment.storage_name)
    assert owner.get(reverse("recordings:segment", args=[segment.pk])).status_code == 404


def _played(world, gate) -> list[ViewRecord]:
    return list(ViewRecord.objects.filter(camera=gate, kind=ViewRecord.Kind.RECORDING)
                .order_by("started_at", "pk"))


def test_every_playback_is_one_record_of_the_footage_watched(world, gate, client) -> None:
    CameraShare.objects.create(camera=gate, grantee=world.a.agencies["polres"], basis="MoU",
                               granted_by=world.a.users["kpu"], recordings=True,
                               valid_from=T0 - timedelta(days=1))
    operator = world.a.users["operator"]
    client.force_login(operator)
    run = [stored_segment(gate, T0 + timedelta(minutes=m)) for m in range(3)]
    # A gap (events only), then the camera's next segment: the same playback.
    after_gap = stored_segment(gate, T0 + timedelta(hours=1))
    stored_segment(gate, T0 + timedelta(hours=3))  # not played
    elsewhere = stored_segment(gate, T0 + timedelta(hours=5))
    for segment in [*run, after_gap]:
        for header in ("bytes=0-", "bytes=5000-", "bytes=-100"):  # the player's seeks
            url = reverse("recordings:segment", args=[segment.pk])
            assert client.get(url, HTTP_RANGE=header).status_code == 206
    records = _played(world, gate)
    assert len(records) == 1
    record = records[0]
    assert (record.viewer, record.viewer_agency) == (operator, operator.agency)
    assert (record.footage_start, record.footage_end) == (run[0].start, after_gap.end)
    # A jump to other footage is another playback.
    client.get(reverse("recordings:segment", args=[elsewhere.pk]))
    assert len(_played(world, gate)) == 2
    # N separate playbacks are N records.
    ViewRecord.objects.filter(kind=ViewRecord.Kind.RECORDING).update(
        ended_at=T0 - timedelta(hours=1))  # all long over
    for segment in run:
        client.get(reverse("recordings:segment", args=[segment.pk]))
        ViewRecord.objects.filter(kind=ViewRecord.Kind.RECORDING).update(
            ended_at=T0 - timedelta(hours=1))
    assert len(_played(world, gate)) == 5
    # A HEAD asks about the file without playing it.
    client.head(reverse("recordings:segment", args=[run[0].pk]))
    assert len(_played(world, gate)) == 5


def test_the_owner_reads_the_playback_in_the_access_record(world, gate, client) -> None:
    CameraShare.objects.create(camera=gate, grantee=world.a.agencies["polres"], basis="MoU",
                               granted_by=world.a.users["kpu"], recordings=True,
                               valid_from=T0 - timedelta(days=1))
    segment = stored_segment(gate, T0)
    client.force_login(world.a.users["operator"])
    client.get(reverse("recordings:segment", args=[segment.pk]))
    client.force_login(world.a.users["kpu"])
    page = client.get(reverse("cameras:access_record"), {"since": "2020-01-01"})
    text = page.content.decode()
    assert page.status_code == 200
    assert world.a.users["operator"].full_name in text
    assert "Rekaman" in text
    assert "2026-12-07 10:00:00 – 10:01:00 WIB" in text  # the footage, in the camera's time
    csv = client.get(reverse("cameras:access_record"), {"since": "2020-01-01", "format": "csv"})
    assert "2026-12-07 10:00:00 – 10:01:00 WIB" in csv.content.decode("utf-8-sig")
    listed = client.get("/api/view-records/", {"kind": "recording"}).json()["results"]
    assert [(r["footage_start"], r["footage_end"]) for r in listed] == [
        ("2026-12-07T10:00:00+07:00", "2026-12-07T10:01:00+07:00")]


def test_under_asgi_the_file_is_streamed_in_chunks_not_read_whole(world, gate) -> None:
    """Daphne serves the portal: a synchronous iterator would be read whole into memory
    before the first byte is sent; the view gives ASGI requests an asynchronous one."""
    import asyncio

    from django.test import AsyncRequestFactory

    from apps.recordings import views

    segment = stored_segment(gate, T0, payload=PAYLOAD * 60)  # 600 KiB: three chunks
    request = AsyncRequestFactory().get(reverse("recordings:segment", args=[segment.pk]),
                                        headers={"Range": "bytes=100-"})
    request.user = world.a.users["kpu"]
    response = views.segment(request, segment.pk)
    assert response.status_code == 206
    assert response.is_async

    async def read() -> list[bytes]:
        return [chunk async for chunk in response]

    chunks = asyncio.run(read())
    assert len(chunks) == 3 and max(map(len, chunks)) == views.CHUNK
    assert b"".join(chunks) == (PAYLOAD * 60)[100:]


@pytest.mark.django_db(transaction=True)
def test_a_players_simultaneous_range_requests_make_one_record() -> None:
    """A browser asks for several ranges of a segment at once: one playback, one row."""
    import threading

    from django.db import connection as default_connection
    from django.test import RequestFactory

    from apps.cameras.records import record_playback
    from tests.conftest import build_world

    if default_connection.vendor != "postgresql":
        pytest.skip("concurrent writers: PostgreSQL (SQLite writes one at a time anyway)")
    world = build_world()
    gate = gate_and_inside_cameras(world.a)[0]
    segment = stored_segment(gate, T0)
    owner = world.a.users["kpu"]
    start = threading.Barrier(8)

    def play() -> None:
        request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.7")
        request.user = owner
        try:
            start.wait(timeout=10)
            record_playback(request=request, segment=segment)
        finally:
            connection.close()

    threads = [threading.Thread(target=play) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert ViewRecord.objects.filter(kind=ViewRecord.Kind.RECORDING).count() == 1
